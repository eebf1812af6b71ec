import ArgumentParser

/// `gfn-bench <area>`: speed figures for each part of gfn, printed as tables with ratios.
/// Each area is a subcommand in its own file; register it with one line below.
@main
struct GFNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn-bench",
        abstract: "Benchmarks for gfn (run with `swift run -c release gfn-bench <area>`).",
        subcommands: [
            TensorBench.self,
        ]
    )
}
