import Foundation
import GFlowNets
import LanguageModels
import Tensors

/// One file of a trainer checkpoint mutated, then `resume` into a fresh trainer and one more
/// step. With `rewriteManifest` the manifest is recomputed after the damage (a hostile but
/// consistent checkpoint), so the parsers behind the checksum are exercised too.
public final class CheckpointTarget: FuzzTarget {
    public let name: String
    public let fileExtension: String
    let file: String
    let rewriteManifest: Bool
    let seed: [UInt8]
    let folder: URL

    /// The checkpoint files a fuzz campaign damages.
    public static let files = ["adapter/adapter_model.safetensors", "adapter/adapter_config.json", "optimizer.safetensors", "trainer_state.json"]

    public init(file: String, rewriteManifest: Bool, scratch: URL) throws {
        self.file = file
        self.rewriteManifest = rewriteManifest
        name = (rewriteManifest ? "checkpoint+manifest/" : "checkpoint/") + file
        fileExtension = "." + (file as NSString).pathExtension
        let seedFolder = scratch.appendingPathComponent("checkpoint-seed")
        if !FileManager.default.fileExists(atPath: seedFolder.appendingPathComponent("manifest.json").path) {
            let trainer = try Self.makeTrainer()
            trainer.checkpointDirectory = seedFolder
            try trainer.fit(steps: 2)
        }
        seed = Array(try Data(contentsOf: seedFolder.appendingPathComponent(file)))
        folder = scratch.appendingPathComponent((rewriteManifest ? "ckpt-m-" : "ckpt-") + file.replacingOccurrences(of: "/", with: "~"))
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.copyItem(at: seedFolder, to: folder)
    }

    /// A supervised trainer of a one-layer transformer's LoRA adapters: small enough for thousands of cases.
    static func makeTrainer() throws -> SupervisedTrainer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: 3, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj"], seed: 1))
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: { $0.map(String.init).joined(separator: " ") })
        var c = SupervisedConfiguration()
        c.batchSize = 2
        c.optimization.learningRate = 0.01
        c.optimization.seed = 3
        return try SupervisedTrainer(policy: policy, examples: (1...4).map { SupervisedExample(prompt: [1], completion: [$0, ($0 % 5) + 1]) },
                                     configuration: c)
    }

    public func makeInput(_ rng: inout FuzzRandom) -> [UInt8] {
        switch fileExtension {
        case ".json": return JSONMutator.mutate(seed, &rng)
        case ".safetensors": return SafetensorsMutator.mutate(seed, &rng)
        default: return ByteMutator.mutate(seed, &rng)
        }
    }

    public func run(_ input: [UInt8], timeLimit: Double) -> (outcome: FuzzOutcome, message: String?) {
        measured(timeLimit) {
            try Data(input).write(to: folder.appendingPathComponent(file))
            if rewriteManifest { try CheckpointManifest.write(in: folder) }
            let trainer = try Self.makeTrainer()
            try trainer.resume(from: folder)
            try trainer.trainStep()
        }
    }
}
