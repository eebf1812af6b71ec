import ArgumentParser
import CBLAS

@main
struct GFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn",
        abstract: "GFlowNet fine-tuning of language models, scripted.",
        version: "gfn 0.1.0"
    )

    mutating func run() throws {
        print("gfn 0.1.0")
        print("BLAS: OpenBLAS (\(String(cString: openblas_get_corename())) kernels, \(openblas_get_num_threads()) threads)")
        print("config: \(String(cString: openblas_get_config()))")
    }
}
