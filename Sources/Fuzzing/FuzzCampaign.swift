import Foundation

/// Runs cases of one target in this process: case i of campaign seed s is always the same input
/// (`FuzzRandom(campaignSeed:caseIndex:)`), so a reproducer is one number as well as a file.
/// Before each case the input is written to `inFlight` (when given), so that a supervisor that
/// sees this process die or stall knows which input did it.
public struct FuzzCampaign {
    public let target: FuzzTarget
    public let seed: UInt64
    public var timeLimit: Double
    /// Where the input of the running case is kept ("<index>\n" then the bytes), or nil.
    public var inFlight: URL?
    /// Receives one outcome character per finished case, or nil.
    public var outcomeLog: FileHandle?

    public init(target: FuzzTarget, seed: UInt64, timeLimit: Double) {
        self.target = target
        self.seed = seed
        self.timeLimit = timeLimit
    }

    /// The campaign seed of a target: the run's seed mixed with the target's name.
    var targetSeed: UInt64 {
        target.name.utf8.reduce(seed ^ 0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    public func input(ofCase index: Int) -> [UInt8] {
        var rng = FuzzRandom(campaignSeed: targetSeed, caseIndex: index)
        return target.makeInput(&rng)
    }

    /// Runs cases `range`; returns how many ended each way, and the first few clean-error messages.
    public func run(_ range: Range<Int>, onCase: ((Int, FuzzOutcome) -> Void)? = nil) throws -> FuzzTally {
        var tally = FuzzTally()
        for index in range {
            let input = input(ofCase: index)
            if let inFlight { try Data(Array("\(index)\n".utf8) + input).write(to: inFlight) }
            let (outcome, message) = target.run(input, timeLimit: timeLimit)
            tally.record(outcome, message: message)
            outcomeLog?.write(Data([outcome.code]))
            onCase?(index, outcome)
        }
        return tally
    }

    /// Reads a supervisor's in-flight file back: the case index and its input.
    public static func readInFlight(_ url: URL) -> (index: Int, input: [UInt8])? {
        guard let data = try? Data(contentsOf: url), let newline = data.firstIndex(of: UInt8(ascii: "\n")),
              let index = Int(String(decoding: data[..<newline], as: UTF8.self)) else { return nil }
        return (index, Array(data[(newline + 1)...]))
    }
}

/// Counts of outcomes, with a sample of clean-error messages (the first line of each, by frequency).
public struct FuzzTally: Sendable {
    public var counts: [FuzzOutcome: Int] = [:]
    public var errorSamples: [String: Int] = [:]

    public init() {}

    public var runs: Int { counts.values.reduce(0, +) }

    public subscript(_ outcome: FuzzOutcome) -> Int {
        get { counts[outcome, default: 0] }
        set { counts[outcome] = newValue }
    }

    mutating func record(_ outcome: FuzzOutcome, message: String?) {
        self[outcome] += 1
        if outcome == .cleanError, let message, errorSamples.count < 2000 || errorSamples[Self.shape(message)] != nil {
            errorSamples[Self.shape(message), default: 0] += 1
        }
    }

    public mutating func add(_ other: FuzzTally) {
        for (k, v) in other.counts { self[k] += v }
        for (k, v) in other.errorSamples { errorSamples[k, default: 0] += v }
    }

    /// An error message with its numbers and paths blanked, so messages of one kind count together.
    static func shape(_ message: String) -> String {
        let line = message.split(separator: "\n").first.map(String.init) ?? message
        var out = ""
        var lastWasDigit = false
        for c in line {
            if c.isNumber { if !lastWasDigit { out.append("#") }; lastWasDigit = true } else { out.append(c); lastWasDigit = false }
        }
        return String(out.replacingOccurrences(of: #"/[^ :']*/"#, with: "…/", options: .regularExpression).prefix(160))
    }
}
