import ArgumentParser
import Bindings
import Foundation
import Scripting

/// `gfn-bench plot-script FILE`: runs a .gfn script with every binding installed and times it (e.g. the
/// plot gallery).
struct PlotScript: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot-script",
        abstract: "Run a .gfn script with the bindings installed (e.g. scripts/plots_gallery.gfn) and time it."
    )

    @Argument(help: "The .gfn file.") var file: String

    @Option(name: .customLong("set"), help: "Override a param: --set out=DIR (repeatable).")
    var settings: [String] = []

    func run() throws {
        let interp = Interpreter()
        Bindings.install(into: interp)
        for s in settings {
            guard let eq = s.firstIndex(of: "=") else { throw ValidationError("--set expects name=value, got '\(s)'") }
            interp.overrides[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        let t0 = BenchTiming.now()
        do { try interp.evaluateFile(file) } catch { print(error.render(color: false)); throw ExitCode(65) }
        print(String(format: "ran %@ in %.2f s", file, BenchTiming.now() - t0))
    }
}
