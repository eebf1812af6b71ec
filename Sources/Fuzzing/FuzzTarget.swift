import Foundation

/// What one fuzz case ended in. A crash or a hang cannot be observed from inside the process:
/// the supervisor (`gfn-bench fuzz`) sees the worker die or stall and records those.
public enum FuzzOutcome: String, CaseIterable, Sendable {
    /// The input was accepted and used (a script ran; a model loaded and generated; a checkpoint resumed and trained).
    case accepted
    /// A thrown error: the program kept its state and said what was wrong.
    case cleanError
    /// Stopped by the time limit (scripts: the interrupt; other targets: measured after the fact).
    case timeout
    /// The process trapped or was killed by a signal.
    case crash
    /// No progress within the hang limit: the supervisor killed the worker.
    case hang

    /// One character per case in a worker's outcome log.
    public var code: UInt8 {
        switch self {
        case .accepted: UInt8(ascii: "a")
        case .cleanError: UInt8(ascii: "e")
        case .timeout: UInt8(ascii: "t")
        case .crash: UInt8(ascii: "c")
        case .hang: UInt8(ascii: "h")
        }
    }

    public init?(code: UInt8) {
        guard let match = FuzzOutcome.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }
}

/// One kind of input the fuzzer damages, and how that input is used.
public protocol FuzzTarget: AnyObject {
    /// "script", "gguf", "hf/config.json", "checkpoint/optimizer.safetensors", …
    var name: String { get }
    /// The extension reproducers get (".gfn", ".gguf", ".json", …).
    var fileExtension: String { get }
    /// A mutant of a seed input, drawn from `rng`.
    func makeInput(_ rng: inout FuzzRandom) -> [UInt8]
    /// Uses `input` as a user would; returns how it ended (never throws: errors are outcomes).
    /// `timeLimit` in seconds; a target that can be interrupted stops itself there.
    func run(_ input: [UInt8], timeLimit: Double) -> (outcome: FuzzOutcome, message: String?)
}

extension FuzzTarget {
    /// The reproducer file name prefix for this target ("/" cannot be part of a file name).
    public var fileStem: String { name.replacingOccurrences(of: "/", with: "~") }
}
