import Foundation
import ProcessGroups
import Tensors

/// One supervised example: a completion to teach after a prompt (tokens; the completion without ⊤).
public struct SupervisedExample: Sendable, Equatable {
    public var prompt: [Int]
    public var completion: [Int]

    public init(prompt: [Int], completion: [Int]) {
        self.prompt = prompt
        self.completion = completion
    }
}

/// Settings of supervised fine-tuning; the reference SFT baseline of the RNG task (docs/method.md §5.1)
/// used batch 64, learning rate 5e-4 and cross-entropy on the target tokens only.
public struct SupervisedConfiguration: Sendable {
    public var optimization = OptimizerSettings()
    /// Examples per optimizer step (the last batch of an epoch may be smaller).
    public var batchSize = 8
    /// Epochs that `fitEpochs()` runs (and `totalSteps` counts).
    public var epochs = 1
    /// Also teach ⊤ after each completion (log q(⊤ | prompt, completion)), so the model learns to stop.
    public var teachTermination = true

    public init() {}

    func validate() throws {
        try optimization.validate("sft")
        guard batchSize >= 1 else { throw GFlowNetError("sft", "batch size must be ≥ 1, got \(batchSize)") }
        guard epochs >= 1 else { throw GFlowNetError("sft", "epochs must be ≥ 1, got \(epochs)") }
    }
}

/// Supervised fine-tuning (maximum likelihood) of a policy's adapters: each step takes one batch
/// of examples and minimises the mean token negative log-likelihood
///
///     L = − Σ_examples [ Σ_t log q(y_t | x, y_<t) + log q(⊤ | x, y) ] / (number of scored tokens),
///
/// teacher-forced through the same scorer the GFlowNet trainer uses (the ⊤ term only with
/// `teachTermination`). Examples are visited in epochs, each in its own seeded shuffled order,
/// so step s always sees the same batch, also after a resume.
public final class SupervisedTrainer: FineTuner, BaselineCheckpointing {
    public let configuration: SupervisedConfiguration
    public let policy: GFlowNetPolicy
    public let examples: [SupervisedExample]
    public let optimizer: AdamW
    public internal(set) var step = 0
    var nonFinite: NonFiniteGuard
    public var skippedSteps: Int { nonFinite.skipped }
    public let controls = TrainingControls()
    public var method: TrainingMethod { .sft }
    var optimization: OptimizerSettings { configuration.optimization }
    var checkpointValues: [String: Double] = [:]

    public init(policy: GFlowNetPolicy, examples: [SupervisedExample], configuration: SupervisedConfiguration = SupervisedConfiguration()) throws {
        try configuration.validate()
        guard !examples.isEmpty else { throw GFlowNetError("sft", "needs at least one example") }
        for (i, e) in examples.enumerated() {
            guard !e.prompt.isEmpty else { throw GFlowNetError("sft", "example \(i) has an empty prompt") }
            guard !e.completion.isEmpty || configuration.teachTermination else {
                throw GFlowNetError("sft", "example \(i) has an empty completion and ⊤ is not taught: nothing to learn")
            }
        }
        self.configuration = configuration
        self.policy = policy
        self.examples = examples
        optimizer = try configuration.optimization.makeOptimizer(for: policy, "sft")
        nonFinite = NonFiniteGuard(limit: configuration.optimization.maxConsecutiveNonFinite)
    }

    /// Optimizer steps in one pass over the examples.
    public var stepsPerEpoch: Int { (examples.count + configuration.batchSize - 1) / configuration.batchSize }
    /// Steps in `configuration.epochs` epochs.
    public var totalSteps: Int { stepsPerEpoch * configuration.epochs }
    /// Epochs completed (fractional).
    public var epoch: Double { Double(step) / Double(stepsPerEpoch) }

    /// The example indices of step `s`: a slice of epoch ⌊s / stepsPerEpoch⌋'s shuffled order.
    public func batch(atStep s: Int) -> [Int] {
        let epoch = s / stepsPerEpoch, position = s % stepsPerEpoch
        // A stream of its own (the seed xor a constant), indexed by epoch rather than step.
        var rng = stepGenerator(seed: configuration.optimization.seed ^ 0x5F7_A11, step: epoch)
        var order = Array(examples.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let start = position * configuration.batchSize
        return Array(order[start..<min(order.count, start + configuration.batchSize)])
    }

    /// Σ log q of the scored tokens of `rows` (all sharing `prompt`) with a graph, and their count.
    func logLikelihood(prompt: [Int], completions: [[Int]]) throws -> (Tensor, Int) {
        let (logPF, logPT) = try policy.score(prompt: prompt, latents: completions)
        let n = logPF.shape[1], b = completions.count
        var tokenMask = [Float](repeating: 0, count: b * n), endMask = [Float](repeating: 0, count: b * (n + 1))
        var count = 0
        for (i, c) in completions.enumerated() {
            for t in 0..<c.count { tokenMask[i * n + t] = 1 }
            count += c.count
            if configuration.teachTermination { endMask[i * (n + 1) + c.count] = 1; count += 1 }
        }
        let zero = Tensor(0)
        var total = try Tensor.where(try Tensor(shape: [b, n], scalars: tokenMask), logPF, zero).sum()
        if configuration.teachTermination {
            total = try total + Tensor.where(try Tensor(shape: [b, n + 1], scalars: endMask), logPT, zero).sum()
        }
        return (total, count)
    }

    /// Examples grouped by prompt (one scoring pass each), in first-appearance order.
    static func grouped(_ examples: [SupervisedExample]) -> [(prompt: [Int], completions: [[Int]])] {
        var order: [[Int]] = [], members: [[Int]: [[Int]]] = [:]
        for e in examples {
            if members[e.prompt] == nil { order.append(e.prompt) }
            members[e.prompt, default: []].append(e.completion)
        }
        return order.map { ($0, members[$0] ?? []) }
    }

    /// The mean token negative log-likelihood of `data` (default: the training set) under the
    /// current policy, without a graph.
    public func meanNegativeLogLikelihood(_ data: [SupervisedExample]? = nil) throws -> Double {
        var total = 0.0, count = 0
        try withNoGrad {
            for group in Self.grouped(data ?? examples) {
                let (ll, n) = try logLikelihood(prompt: group.prompt, completions: group.completions)
                total -= Double(try ll.item())
                count += n
            }
        }
        return count == 0 ? .nan : total / Double(count)
    }

    /// One step, its batch's prompt groups split across the ranks of `processGroup` (group g, in
    /// first-appearance order, on rank g mod N): each rank scores and back-propagates its groups, then
    /// the gradients, the summed log-likelihood and a count of non-finite groups are summed over the
    /// ranks, so every rank takes the update one process takes. Nothing here is random.
    @discardableResult
    public func trainStep() throws -> StepMetrics {
        let start = Date()
        let lr = configuration.optimization.learningRate(atStep: step)
        let indices = batch(atStep: step)
        let tokens = indices.reduce(0) { $0 + examples[$1].completion.count + (configuration.teachTermination ? 1 : 0) }
        let group = processGroup
        let groups = Self.grouped(indices.map { examples[$0] })
        // [Σ log-likelihood of this rank's groups, non-finite groups]
        var totals = [0.0, 0.0]
        for g in group.microBatches(of: groups.count) {
            let (ll, _) = try logLikelihood(prompt: groups[g].prompt, completions: groups[g].completions)
            let value = Double(try ll.item())
            guard value.isFinite else { totals[1] += 1; break }
            try (ll * Float(-1.0 / Double(tokens))).backward()
            totals[0] += value
        }
        try group.allreduceSum(&totals)
        try group.allreduceGradients(optimizer.parameters)
        let nll = -totals[0], finite = totals[1] == 0
        let forward = Date().timeIntervalSince(start)
        let t0 = Date()
        let update = try optimizer.guardedStep(learningRate: lr, maxNorm: configuration.optimization.maxGradientNorm, lossIsFinite: finite)
        nonFinite.record(skipped: update.skipped)
        step += 1
        let metrics = StepMetrics(
            step: step, loss: finite ? nll / Double(tokens) : .nan, logReward: .nan, varianceLogRMinusLogPF: .nan,
            learningRate: Double(lr), rewardTemperature: 1,
            meanLength: Double(indices.reduce(0) { $0 + examples[$1].completion.count }) / Double(indices.count),
            gradientNorm: update.gradientNorm, skipped: update.skipped, skippedTotal: nonFinite.skipped, behaviours: [:],
            seconds: try group.slowest(["forward_backward": forward, "optimizer": Date().timeIntervalSince(t0)]),
            extra: [.epoch: epoch, .tokens: Double(tokens)])
        try report(metrics, nonFinite: nonFinite)
        try nonFinite.check(step: step, context: "sft", hint: "Lower the learning rate.")
        return metrics
    }

    /// Runs the steps left to finish `configuration.epochs` epochs (stopping early like `fit`).
    @discardableResult
    public func fitEpochs() throws -> [StepMetrics] { try fit(steps: max(0, totalSteps - step)) }

    public func saveCheckpoint(to directory: URL) throws { try writeCheckpoint(to: directory) }

    /// Restores adapters, optimizer and step from `saveCheckpoint`'s directory.
    public func resume(from directory: URL) throws { try readCheckpoint(from: directory) }
}
