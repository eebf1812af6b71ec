import ArgumentParser
import Foundation
import GFlowNets
import LanguageModels
import Tensors

/// `gfn-bench gfn`: GFlowNet training steps on SmolLM2 with the next-sentence settings (docs/method.md §4.2,
/// §6) scaled to 8 samples × up to 20 tokens: ⊤ = ".", LoRA r 64 / α 16 on every projection,
/// reward = base-LM likelihood of the sentence and ".", behaviour 25 % replay / 50 % tempered,
/// modified SubTB. Prints the seconds per phase (sampling, reward, forward-backward, optimizer).
struct GFlowNetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gfn",
        abstract: "Time GFlowNet training steps on SmolLM2 (next-sentence settings, 8 samples × ≤ 20 tokens) per phase."
    )

    @Option(help: "Timed steps (after one warm-up step).") var steps: Int = 3
    @Option(help: "Samples per step.") var samples: Int = 8
    @Option(help: "Maximum latent length in tokens.") var maxTokens: Int = 20
    @Option(help: "LoRA rank (the next-sentence setting is 64).") var rank: Int = 64
    @Option(help: "SmolLM2's weights kept in their GGUF blocks (quantized) or dequantised at load (f32).")
    var weights: String = WeightPrecision.quantized.rawValue
    @Flag(help: "Recompute each layer in the backward pass instead of keeping its activations (Transformer.recomputesActivations).")
    var recompute = false

    func run() throws {
        guard let precision = WeightPrecision(rawValue: weights) else {
            throw ValidationError("--weights must be one of \(WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let task = try NextSentenceSetup(rank: rank, weights: precision)
        let (model, period, policy, reward, prompt) = (task.model, task.period, task.policy, task.reward, task.prompt)
        model.recomputesActivations = recompute
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = samples
        c.maxLength = maxTokens
        c.minLength = 1
        c.forcedTermination = .modelProbability
        c.behaviour = try BehaviourPolicy(useBufferProbability: 0.25, temperedProbability: 0.666, temperatureLow: 0.5, temperatureHigh: 2)
        c.rewardTemperature = try RewardTemperatureSchedule(start: 1, end: 0.8, horizon: 750)
        c.seed = 27
        let trainer = try GFlowNetTrainer(policy: policy, reward: reward, prompts: [prompt], configuration: c)
        print("gfn-bench gfn: SmolLM2-135M (\(precision.rawValue) weights\(recompute ? ", activations recomputed" : "")), LoRA r=\(rank) α=16 on \(model.config.projectionNames.joined(separator: ",")) "
              + "(\(task.trainableCount) trainable), \(samples) samples × ≤ \(maxTokens) tokens, "
              + "⊤ = \".\" (id \(period)), BLAS threads \(BLAS.threadCount), load \(BenchTiming.loadAverage())")
        let warm = try trainer.trainStep()
        print(String(format: "warm-up step: %.2f s (%@)", warm.seconds.values.reduce(0, +), warm.behaviours.keys.sorted().joined(separator: ",")))
        var totals: [String: Double] = [:]
        for _ in 0..<steps {
            let m = try trainer.trainStep()
            for (k, v) in m.seconds { totals[k, default: 0] += v }
            print(String(format: "step %d: %@  loss %.3g  mean length %.1f  total %.2f s", m.step,
                         m.seconds.keys.sorted().map { String(format: "%@ %.2f s", $0, m.seconds[$0] ?? 0) }.joined(separator: ", "),
                         m.loss, m.meanLength, m.seconds.values.reduce(0, +)))
        }
        let all = totals.values.reduce(0, +)
        print("mean per step over \(steps): " + ["sampling", "reward", "forward_backward", "optimizer"].map {
            String(format: "%@ %.2f s (%.0f%%)", $0, (totals[$0] ?? 0) / Double(steps), 100 * (totals[$0] ?? 0) / max(all, 1e-9))
        }.joined(separator: ", ") + String(format: "; total %.2f s", all / Double(steps)))
    }
}
