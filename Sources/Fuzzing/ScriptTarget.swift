import Foundation
import Scripting

/// Mutated scripts of the language, run by the interpreter with small limits (call depth,
/// elements, string bytes) and a watchdog that interrupts a run after the time limit. Writing
/// files is disabled. Only a `ScriptError` carrying diagnostics counts as a clean error.
public final class ScriptTarget: FuzzTarget {
    public let name = "script"
    public let fileExtension = ".gfn"
    let seeds: [String]

    /// `seeds`: the programs mutants are made from (e.g. the conformance corpus).
    public init(seeds: [String]) {
        self.seeds = seeds.isEmpty ? ["print(1)"] : seeds
    }

    /// Every .gfn file under `directory`, recursively, sorted by path.
    public static func corpus(under directory: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "gfn" }.sorted { $0.path < $1.path }
            .compactMap { try? String(contentsOf: $0, encoding: .utf8) }
    }

    public func makeInput(_ rng: inout FuzzRandom) -> [UInt8] {
        Array(TextMutator.mutateScript(rng.pick(seeds), &rng, donors: seeds).utf8)
    }

    public func run(_ input: [UInt8], timeLimit: Double) -> (outcome: FuzzOutcome, message: String?) {
        let source = String(decoding: input, as: UTF8.self)
        var limits = Limits()
        limits.maxCallDepth = 200
        limits.maxElements = 100_000
        limits.maxStringBytes = 1 << 20
        let interpreter = Interpreter(limits: limits, output: CapturedOutput())
        for name in ["write_text", "write_json", "write_jsonl", "write_csv"] {
            interpreter.register(NativeFunction("\(name)(*args, **named)", summary: "disabled while fuzzing") { _ in
                throw RuntimeError("file writing is disabled while fuzzing")
            })
        }
        _ = Interpreter.inputStatus(source)
        for d in interpreter.check(source, file: "fuzz.gfn") { _ = d.render(color: true) }
        let watchdog = Watchdog(after: timeLimit) { [flag = interpreter.interrupt] in flag.request() }
        defer { watchdog.cancel() }
        do {
            _ = try interpreter.evaluate(source, file: "fuzz.gfn").repr
            return (.accepted, nil)
        } catch {
            let text = error.render(color: false)
            if error.kind == .interrupted { return (.timeout, text) }
            // An error that names nothing would be a silent failure of another kind.
            return error.diagnostics.isEmpty ? (.crash, "an error without diagnostics") : (.cleanError, text)
        }
    }
}

/// Calls `action` once after `seconds` unless cancelled first.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    init(after seconds: Double, _ action: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.lock()
            let fire = !cancelled
            lock.unlock()
            if fire { action() }
        }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
