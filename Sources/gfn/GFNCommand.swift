import ArgumentParser
import Tensors

@main
struct GFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn",
        abstract: "GFlowNet fine-tuning of language models, scripted.",
        version: "gfn 0.1.0 (BLAS: \(BLAS.summary))"
    )

    mutating func run() throws {
        print("gfn 0.1.0")
        print("BLAS: \(BLAS.summary)")
        print("config: \(BLAS.configuration)")
    }
}
