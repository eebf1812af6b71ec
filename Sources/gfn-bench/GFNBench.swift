import ArgumentParser

/// Benchmarks for gfn, one subcommand per area. Each prints its figures and the command's settings.
/// Each area is a subcommand in its own file; register it with one line in `subcommands`.
@main
struct GFNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn-bench",
        abstract: "Benchmarks for gfn (run with `swift run -c release gfn-bench <area>`).",
        subcommands: [
            LanguageModelBench.self,
            GGUFModelBench.self,
            PlotBench.self,
            ScriptBench.self,
            TensorBench.self,
            TokenizerBench.self,
            LangBench.self,
            LangRun.self,
            PlotScript.self,
            GFlowNetBench.self,
            BaselineBench.self,
            EmbeddingBench.self,
            FuzzBench.self,
            AllreduceBench.self,
        ]
    )
}
