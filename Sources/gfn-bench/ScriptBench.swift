import ArgumentParser
import Bindings
import Foundation
import Scripting

/// `gfn-bench script FILE [name=value ...]`: runs a .gfn script with every binding installed and
/// prints its wall time (how scripts/quickstart.gfn is timed until the `gfn run` command exists).
struct ScriptBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "script",
        abstract: "Run a .gfn script with the ML and plot bindings installed, and print its wall time."
    )

    @Argument(help: "The .gfn file.")
    var file: String

    @Argument(help: "param overrides, name=value (read as gfn literals).")
    var overrides: [String] = []

    func run() throws {
        let interpreter = Interpreter()
        Bindings.install(into: interpreter)
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else { throw ValidationError("override '\(o)' is not name=value") }
            interpreter.overrides[String(o[..<eq])] = String(o[o.index(after: eq)...])
        }
        let start = BenchTiming.now()
        do {
            _ = try interpreter.evaluateFile(file)
        } catch {
            print(error)
            throw ExitCode(1)
        }
        print("script \(file): \(String(format: "%.1f", BenchTiming.now() - start)) s wall (load average \(BenchTiming.loadAverage()))")
    }
}
