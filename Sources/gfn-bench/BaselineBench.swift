import ArgumentParser
import Foundation
import GFlowNets
import LanguageModels
import Tensors

/// `gfn-bench baselines`: one training step of each method on SmolLM2 with the same policy, prompt,
/// sample count and latent length (next-sentence style: ⊤ = ".", reward = the base model's
/// likelihood): GFlowNet (on-policy SubTB), REINFORCE, PPO (2 epochs, KL to the base) and SFT (a
/// batch of the same size, completions of the maximum length). Prints seconds per phase and each
/// method's step time relative to the GFlowNet step.
struct BaselineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baselines",
        abstract: "Time one step of GFlowNet, REINFORCE, PPO and SFT training on SmolLM2 with the same sizes."
    )

    @Option(help: "Timed steps per method (after one warm-up step each).") var steps: Int = 1
    @Option(help: "Samples per step (SFT: examples per batch).") var samples: Int = 4
    @Option(help: "Maximum latent length in tokens (SFT: completion length).") var maxTokens: Int = 12
    @Option(help: "LoRA rank.") var rank: Int = 16
    @Option(help: "PPO epochs per batch.") var ppoEpochs: Int = 2

    func run() throws {
        let task = try NextSentenceSetup(rank: rank)
        let (policy, reward, prompt) = (task.policy, task.reward, task.prompt)
        print("gfn-bench baselines: SmolLM2-135M (Q4_1 → f32), LoRA r=\(rank) on every projection "
              + "(\(task.trainableCount) trainable), \(samples) samples × ≤ \(maxTokens) tokens, "
              + "PPO epochs \(ppoEpochs), BLAS threads \(BLAS.threadCount), load \(BenchTiming.loadAverage())")

        var g = GFlowNetConfiguration()
        g.samplesPerPrompt = samples; g.maxLength = maxTokens; g.seed = 27; g.learningRateSchedule = .constant
        var pg = PolicyGradientConfiguration()
        pg.samplesPerPrompt = samples; pg.maxLength = maxTokens; pg.optimization.seed = 27
        var reinforce = pg
        reinforce.algorithm = .reinforce
        pg.algorithm = .ppo(clip: 0.2, epochs: ppoEpochs)
        var s = SupervisedConfiguration()
        s.batchSize = samples
        var rng = RandomGenerator(seed: 5)
        let examples = (0..<samples).map { _ in
            SupervisedExample(prompt: prompt.tokens, completion: (0..<maxTokens).map { _ in Int(rng.next() % 40_000) + 1000 })
        }
        let trainers: [(String, any FineTuner)] = [
            ("gflownet", try GFlowNetTrainer(policy: policy, reward: reward, prompts: [prompt], configuration: g)),
            ("reinforce", try PolicyGradientTrainer(policy: policy, reward: reward, prompts: [prompt], configuration: reinforce)),
            ("ppo", try PolicyGradientTrainer(policy: policy, reward: reward, prompts: [prompt], configuration: pg)),
            ("sft", try SupervisedTrainer(policy: policy, examples: examples, configuration: s)),
        ]
        var perStep: [String: Double] = [:]
        for (name, trainer) in trainers {
            _ = try trainer.trainStep()
            var totals: [String: Double] = [:]
            for _ in 0..<steps {
                let m = try trainer.trainStep()
                for (k, v) in m.seconds { totals[k, default: 0] += v }
            }
            let total = totals.values.reduce(0, +) / Double(steps)
            perStep[name] = total
            print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "%6.2f s/step  ", total) + totals.keys.sorted().map {
                String(format: "%@ %.2f", $0, (totals[$0] ?? 0) / Double(steps))
            }.joined(separator: ", "))
        }
        if let base = perStep["gflownet"], base > 0 {
            print("relative to a GFlowNet step: " + ["reinforce", "ppo", "sft"].map {
                String(format: "%@ %.2f×", $0, (perStep[$0] ?? .nan) / base)
            }.joined(separator: ", ") + "; load after \(BenchTiming.loadAverage())")
        }
    }
}
