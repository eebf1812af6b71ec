import ArgumentParser
import Foundation
import Fuzzing
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `gfn-bench fuzz`: mutation fuzzing of scripts, model files and checkpoints (docs/reliability.md).
///
/// The supervisor runs each target's cases in a worker process (this command with --worker) under
/// a memory limit; the worker runs the cases in-process, writing each input to an in-flight file
/// first. When the worker dies (a crash) or makes no progress for --hang-limit seconds (a hang,
/// then killed), that input is saved to OUT/reproducers and a new worker continues after it.
struct FuzzBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Mutation fuzzing of scripts, GGUF and Hugging Face files, and checkpoints; crashes and hangs are saved as reproducers."
    )

    @Option(name: .customLong("target"), help: "A target (repeatable): \(FuzzTargetCatalog.names.joined(separator: ", ")); default all.")
    var targets: [String] = []

    @Option(help: "Cases per target.")
    var runs = 1000

    @Option(help: "The first case's index (cases first..<runs): splits one campaign across several runs.")
    var first = 0

    @Option(help: "The campaign seed: case i of a target is the same input for the same seed.")
    var seed: UInt64 = 1

    @Option(help: "The output folder: summary, outcome logs, reproducers.")
    var out = "runs/fuzz"

    @Option(help: "Seconds per case: scripts are interrupted there, other cases counted as timeouts.")
    var timeLimit = 0.5

    @Option(help: "Seconds without progress after which a worker is killed and its case saved as a hang.")
    var hangLimit = 30.0

    @Option(help: "The worker's address-space limit in MiB (RLIMIT_AS).")
    var memoryLimit = 8192

    @Option(help: "The repository root (for the seed corpus and fixtures).")
    var root = "."

    @Option(help: "Replay reproducer files (repeatable) instead of fuzzing: each must end in accepted or a clean error.")
    var replay: [String] = []

    @Option(help: "Write the input of case N of the (one) target to standard output instead of fuzzing.")
    var showCase: Int?

    @Flag(help: .hidden) var worker = false
    @Option(help: .hidden) var from = 0

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
        let catalog = FuzzTargetCatalog(repositoryRoot: URL(fileURLWithPath: root), scratch: outURL.appendingPathComponent("scratch"))
        if !replay.isEmpty { return try replayAll(catalog) }
        let names = targets.isEmpty ? FuzzTargetCatalog.names : targets
        for name in names where !FuzzTargetCatalog.names.contains(name) {
            throw ValidationError("no fuzz target '\(name)'; targets: \(FuzzTargetCatalog.names.joined(separator: ", "))")
        }
        if let index = showCase {
            guard let name = names.first, names.count == 1 else { throw ValidationError("--show-case needs one --target") }
            let input = FuzzCampaign(target: try catalog.make(name), seed: seed, timeLimit: timeLimit).input(ofCase: index)
            FileHandle.standardOutput.write(Data(input))
            return
        }
        if worker {
            guard let name = names.first, names.count == 1 else { throw ValidationError("a worker runs one target") }
            return try runWorker(catalog.make(name), outURL)
        }
        try supervise(names, outURL)
    }

    // MARK: - Worker

    func runWorker(_ target: FuzzTarget, _ outURL: URL) throws {
        var limit = rlimit(rlim_cur: rlim_t(memoryLimit) << 20, rlim_max: rlim_t(memoryLimit) << 20)
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        var campaign = FuzzCampaign(target: target, seed: seed, timeLimit: timeLimit)
        let inFlight = outURL.appendingPathComponent(target.fileStem + ".in-flight")
        campaign.inFlight = inFlight
        let logURL = outURL.appendingPathComponent(target.fileStem + ".outcomes")
        if !FileManager.default.fileExists(atPath: logURL.path) { _ = FileManager.default.createFile(atPath: logURL.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        campaign.outcomeLog = log
        let tally = try campaign.run(from..<runs)
        let samples = try JSONSerialization.data(withJSONObject: tally.errorSamples, options: [.sortedKeys])
        try samples.write(to: outURL.appendingPathComponent("\(target.fileStem).errors-\(from).json"))
        try? FileManager.default.removeItem(at: inFlight)
    }

    // MARK: - Supervisor

    struct TargetResult {
        var name: String
        var counts: [FuzzOutcome: Int]
        var seconds: Double
        var reproducers: [String]
        var errorShapes: [String: Int]
    }

    func supervise(_ names: [String], _ outURL: URL) throws {
        let reproducers = outURL.appendingPathComponent("reproducers")
        try FileManager.default.createDirectory(at: reproducers, withIntermediateDirectories: true)
        var results: [TargetResult] = []
        print("gfn-bench fuzz: cases \(first)..<\(runs) of each target, seed \(seed), time limit \(timeLimit) s, hang limit \(hangLimit) s, memory limit \(memoryLimit) MiB")
        for name in names {
            let stem = name.replacingOccurrences(of: "/", with: "~")
            for suffix in [".outcomes", ".in-flight", ".stderr"] { try? FileManager.default.removeItem(at: outURL.appendingPathComponent(stem + suffix)) }
            for old in (try? FileManager.default.contentsOfDirectory(atPath: outURL.path)) ?? [] where old.hasPrefix(stem + ".errors-") {
                try? FileManager.default.removeItem(at: outURL.appendingPathComponent(old))
            }
            let start = Date()
            var next = first
            var saved: [String] = []
            var killed: [FuzzOutcome: Int] = [:]
            while next < runs {
                let (status, stalled) = try runOneWorker(name, from: next, outURL: outURL, stem: stem)
                if status == 0 && !stalled { break }
                // The worker died or stalled: its in-flight case is the culprit.
                guard let (index, input) = FuzzCampaign.readInFlight(outURL.appendingPathComponent(stem + ".in-flight")) else {
                    throw ValidationError("the \(name) worker ended with status \(status) before its first case")
                }
                let kind: FuzzOutcome = stalled ? .hang : .crash
                killed[kind, default: 0] += 1
                let ext = (try? FuzzTargetCatalog(repositoryRoot: URL(fileURLWithPath: root), scratch: outURL.appendingPathComponent("scratch"))
                    .make(name).fileExtension) ?? ""
                let file = reproducers.appendingPathComponent("\(stem)--\(kind.rawValue)-seed\(seed)-case\(index)\(ext)")
                try Data(input).write(to: file)
                saved.append(file.path)
                print("  \(name): case \(index) ended in a \(kind.rawValue) (status \(status)): saved \(file.path)")
                next = index + 1
            }
            var counts: [FuzzOutcome: Int] = killed
            let log = (try? Data(contentsOf: outURL.appendingPathComponent(stem + ".outcomes"))) ?? Data()
            for byte in log { if let o = FuzzOutcome(code: byte) { counts[o, default: 0] += 1 } }
            var shapes: [String: Int] = [:]
            for file in (try? FileManager.default.contentsOfDirectory(atPath: outURL.path)) ?? [] where file.hasPrefix(stem + ".errors-") {
                if let data = try? Data(contentsOf: outURL.appendingPathComponent(file)),
                   let map = try? JSONSerialization.jsonObject(with: data) as? [String: Int] {
                    for (k, v) in map { shapes[k, default: 0] += v }
                }
            }
            let result = TargetResult(name: name, counts: counts, seconds: Date().timeIntervalSince(start), reproducers: saved, errorShapes: shapes)
            results.append(result)
            print(line(result))
        }
        try writeSummary(results, outURL)
    }

    func line(_ r: TargetResult) -> String {
        let runs = r.counts.values.reduce(0, +)
        let parts = FuzzOutcome.allCases.map { "\($0.rawValue) \(r.counts[$0, default: 0])" }.joined(separator: ", ")
        return r.name.padding(toLength: max(46, r.name.count), withPad: " ", startingAt: 0)
            + String(format: "%7d runs: %@  (%.0f s)", runs, parts as NSString, r.seconds)
    }

    /// Runs one worker from case `from`; returns its exit status and whether it was killed for stalling.
    func runOneWorker(_ name: String, from: Int, outURL: URL, stem: String) throws -> (status: Int32, stalled: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executablePath() ?? CommandLine.arguments[0])
        process.arguments = ["fuzz", "--worker", "--target", name, "--from", "\(from)", "--runs", "\(runs)", "--seed", "\(seed)",
                             "--out", out, "--time-limit", "\(timeLimit)", "--memory-limit", "\(memoryLimit)", "--root", root]
        let stderrURL = outURL.appendingPathComponent(stem + ".stderr")
        if !FileManager.default.fileExists(atPath: stderrURL.path) { _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil) }
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        stderrHandle.seekToEndOfFile()
        process.standardError = stderrHandle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let inFlight = outURL.appendingPathComponent(stem + ".in-flight")
        var lastIndex = -1
        var lastProgress = Date()
        var stalled = false
        while process.isRunning {
            usleep(50_000)
            let index = FuzzCampaign.readInFlight(inFlight)?.index ?? -1
            if index != lastIndex { lastIndex = index; lastProgress = Date() }
            if Date().timeIntervalSince(lastProgress) > hangLimit {
                kill(process.processIdentifier, SIGKILL)
                stalled = true
                process.waitUntilExit()
                break
            }
        }
        process.waitUntilExit()
        try? stderrHandle.close()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (status, stalled)
    }

    static func executablePath() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    }

    func writeSummary(_ results: [TargetResult], _ outURL: URL) throws {
        var total: [FuzzOutcome: Int] = [:]
        for r in results { for (k, v) in r.counts { total[k, default: 0] += v } }
        print(line(TargetResult(name: "all", counts: total, seconds: results.reduce(0) { $0 + $1.seconds }, reproducers: [], errorShapes: [:])))
        let json: [String: Any] = [
            "seed": seed, "first_case": first, "end_case": runs, "time_limit_s": timeLimit, "hang_limit_s": hangLimit, "memory_limit_mib": memoryLimit,
            "targets": results.map { r -> [String: Any] in
                var entry: [String: Any] = ["name": r.name, "seconds": r.seconds, "reproducers": r.reproducers,
                                            "top_errors": r.errorShapes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8).map { "\($0.value)× \($0.key)" }]
                for o in FuzzOutcome.allCases { entry[o.rawValue] = r.counts[o, default: 0] }
                return entry
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: outURL.appendingPathComponent("summary.json"))
        print("summary: \(outURL.appendingPathComponent("summary.json").path)")
    }

    // MARK: - Replay

    func replayAll(_ catalog: FuzzTargetCatalog) throws {
        var failures = 0
        for path in replay {
            let url = URL(fileURLWithPath: path)
            guard let name = FuzzTargetCatalog.targetName(ofReproducer: url) else {
                throw ValidationError("\(path): a reproducer is named <target>--…, e.g. gguf--crash-seed1-case7.gguf")
            }
            let target = try catalog.make(name)
            let (outcome, message) = target.run(Array(try Data(contentsOf: url)), timeLimit: timeLimit)
            if outcome != .accepted && outcome != .cleanError { failures += 1 }
            print("\(url.lastPathComponent): \(outcome.rawValue)\(message.map { ": " + ($0.split(separator: "\n").first.map(String.init) ?? "") } ?? "")")
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
