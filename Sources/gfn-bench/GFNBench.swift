import ArgumentParser

/// Benchmarks for gfn, one subcommand per area. Each prints its figures and the command's settings.
@main
struct GFNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn-bench",
        abstract: "Benchmarks for gfn (run with `swift run -c release gfn-bench <area>`).",
        subcommands: [PlotBench.self, LangBench.self, LangRun.self]
    )
}
