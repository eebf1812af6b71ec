import Foundation
import Tensors

/// One classification example: the prompt (for the M-step: X followed by a sampled rationale Z)
/// and the index of its true label.
public struct LabelledPrompt: Sendable, Equatable {
    public var prompt: [Int]
    public var label: Int

    public init(prompt: [Int], label: Int) {
        self.prompt = prompt
        self.label = label
    }
}

/// Settings of label classification; the reference's subjectivity M-step (docs/method.md §4.4)
/// used learning rate 1e-4, betas (0.9, 0.99), 20 warm-up steps and a linear decay to 0 at step
/// 100, 256 examples per step; its label SFT baseline the same with learning rate 1e-3.
public struct LabelClassifierConfiguration: Sendable {
    public var optimization = OptimizerSettings()
    /// Examples per optimizer step (the last batch of an epoch may be smaller).
    public var batchSize = 32
    /// Prompts scored in one differentiable pass; a batch runs as several such passes whose
    /// gradients add up to the batch mean's (bounds memory, not the result).
    public var microBatch = 8
    /// Epochs that `totalSteps` counts.
    public var epochs = 1

    public init() {}

    func validate() throws {
        try optimization.validate("classifier")
        guard batchSize >= 1 else { throw GFlowNetError("classifier", "batch size must be ≥ 1, got \(batchSize)") }
        guard microBatch >= 1 else { throw GFlowNetError("classifier", "micro-batch must be ≥ 1, got \(microBatch)") }
        guard epochs >= 1 else { throw GFlowNetError("classifier", "epochs must be ≥ 1, got \(epochs)") }
    }
}

/// Fine-tunes a policy's adapters to classify prompts by the likelihood of label texts: each step
/// takes a batch of examples and minimises the mean C-way cross-entropy
///
///     L = − (1/B) Σ_b log softmax_c( log p(Y_c | prompt_b) )[label_b]
///
/// (`LabelLikelihood.crossEntropy`). This is the subjectivity M-step on (X Z, label) pairs and
/// the label SFT baseline on (X, label). Examples are visited in epochs, each in its own seeded
/// shuffled order, so step s always sees the same batch, also after a resume.
public final class LabelClassifierTrainer: FineTuner, BaselineCheckpointing {
    public let configuration: LabelClassifierConfiguration
    public let policy: GFlowNetPolicy
    public let likelihood: LabelLikelihood
    public let examples: [LabelledPrompt]
    public let optimizer: AdamW
    public internal(set) var step = 0
    var nonFinite: NonFiniteGuard
    public var skippedSteps: Int { nonFinite.skipped }
    public let controls = TrainingControls()
    public var method: TrainingMethod { .classifier }
    var optimization: OptimizerSettings { configuration.optimization }
    var checkpointValues: [String: Double] = [:]

    /// `likelihood.model` must be the network whose adapters `policy` trains.
    public init(policy: GFlowNetPolicy, likelihood: LabelLikelihood, examples: [LabelledPrompt],
                configuration: LabelClassifierConfiguration = LabelClassifierConfiguration()) throws {
        try configuration.validate()
        guard !examples.isEmpty else { throw GFlowNetError("classifier", "needs at least one example") }
        for (i, e) in examples.enumerated() {
            guard !e.prompt.isEmpty else { throw GFlowNetError("classifier", "example \(i) has an empty prompt") }
            guard likelihood.labels.indices.contains(e.label) else {
                throw GFlowNetError("classifier", "example \(i) has label \(e.label), not one of 0…\(likelihood.labels.count - 1)")
            }
        }
        self.configuration = configuration
        self.policy = policy
        self.likelihood = likelihood
        self.examples = examples
        optimizer = try configuration.optimization.makeOptimizer(for: policy, "classifier")
        nonFinite = NonFiniteGuard(limit: configuration.optimization.maxConsecutiveNonFinite)
    }

    /// Optimizer steps in one pass over the examples.
    public var stepsPerEpoch: Int { (examples.count + configuration.batchSize - 1) / configuration.batchSize }
    /// Steps in `configuration.epochs` epochs.
    public var totalSteps: Int { stepsPerEpoch * configuration.epochs }

    /// The example indices of step `s`: a slice of epoch ⌊s / stepsPerEpoch⌋'s shuffled order.
    public func batch(atStep s: Int) -> [Int] {
        let epoch = s / stepsPerEpoch, position = s % stepsPerEpoch
        var rng = stepGenerator(seed: configuration.optimization.seed ^ 0xC1A5_5, step: epoch)
        var order = Array(examples.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let start = position * configuration.batchSize
        return Array(order[start..<min(order.count, start + configuration.batchSize)])
    }

    /// The mean cross-entropy and the accuracy on `data` (default: the training set), without a graph.
    public func evaluate(_ data: [LabelledPrompt]? = nil) throws -> (loss: Double, accuracy: Double) {
        let rows = data ?? examples
        guard !rows.isEmpty else { return (.nan, .nan) }
        var total = 0.0, correct = 0
        try withNoGrad {
            for start in stride(from: 0, to: rows.count, by: configuration.microBatch) {
                let part = Array(rows[start..<min(rows.count, start + configuration.microBatch)])
                let (loss, right) = try likelihood.crossEntropy(prompts: part.map(\.prompt), truths: part.map(\.label))
                total += Double(try loss.item()) * Double(part.count)
                correct += right
            }
        }
        return (total / Double(rows.count), Double(correct) / Double(rows.count))
    }

    @discardableResult
    public func trainStep() throws -> StepMetrics {
        let start = Date()
        let lr = configuration.optimization.learningRate(atStep: step)
        let indices = batch(atStep: step)
        var loss = 0.0, correct = 0, finite = true
        for from in stride(from: 0, to: indices.count, by: configuration.microBatch) {
            let part = indices[from..<min(indices.count, from + configuration.microBatch)].map { examples[$0] }
            let (l, right) = try likelihood.crossEntropy(prompts: part.map(\.prompt), truths: part.map(\.label), training: true)
            let share = Double(part.count) / Double(indices.count)
            let value = Double(try l.item())
            guard value.isFinite else { finite = false; break }
            try (l * Float(share)).backward()
            loss += value * share
            correct += right
        }
        let forward = Date().timeIntervalSince(start)
        let t0 = Date()
        let update = try optimizer.guardedStep(learningRate: lr, maxNorm: configuration.optimization.maxGradientNorm, lossIsFinite: finite)
        nonFinite.record(skipped: update.skipped)
        step += 1
        let metrics = StepMetrics(
            step: step, loss: finite ? loss : .nan, logReward: .nan, varianceLogRMinusLogPF: .nan,
            learningRate: Double(lr), rewardTemperature: 1,
            meanLength: Double(indices.reduce(0) { $0 + examples[$1].prompt.count }) / Double(indices.count),
            gradientNorm: update.gradientNorm, skipped: update.skipped, skippedTotal: nonFinite.skipped, behaviours: [:],
            seconds: ["forward_backward": forward, "optimizer": Date().timeIntervalSince(t0)],
            extra: [.accuracy: Double(correct) / Double(indices.count), .epoch: Double(step) / Double(stepsPerEpoch)])
        try report(metrics, nonFinite: nonFinite)
        try nonFinite.check(step: step, context: "classifier", hint: "Lower the learning rate.")
        return metrics
    }

    public func saveCheckpoint(to directory: URL) throws { try writeCheckpoint(to: directory) }

    /// Restores adapters, optimizer and step from `saveCheckpoint`'s directory.
    public func resume(from directory: URL) throws { try readCheckpoint(from: directory) }
}
