import Foundation
import Tensors

/// How the losses of the micro-batches of one optimizer step combine (docs/method.md §2.4).
public enum GradientAccumulation: String, Sendable, Codable {
    /// Σ of the micro-batch losses (the plain PyTorch scripts: RNG, infill, arithmetic).
    case sum
    /// Their mean (Lightning's division by the accumulation count: next sentence).
    case mean
}

/// Every setting of a GFlowNet fine-tuning run; defaults follow the next-sentence reference
/// (docs/method.md §4.2), scaled for a CPU.
public struct GFlowNetConfiguration: Sendable {
    public var loss: BalanceLoss = .subTrajectory(lambda: 1)
    public var forcedTermination: ForcedTermination = .certain
    /// k: latents per micro-batch (one prompt each).
    public var samplesPerPrompt = 8
    /// Micro-batches per optimizer step (gradient accumulation).
    public var microBatchesPerStep = 1
    public var accumulation: GradientAccumulation = .mean
    /// m_min and m_max of the latent, in tokens.
    public var minLength = 1
    public var maxLength = 20
    public var learningRate: Float = 1e-4
    public var learningRateSchedule: LearningRateSchedule = .linearWarmup(warmupSteps: 20)
    public var weightDecay: Float = 0.01
    public var beta1: Float = 0.9, beta2: Float = 0.999
    /// Clip the global gradient norm to this (nil: no clipping, as the reference code does in every task).
    public var maxGradientNorm: Float? = nil
    /// The learning rate of the per-prompt log Z of trajectory balance.
    public var logPartitionLearningRate: Float = 1
    public var rewardTemperature: RewardTemperatureSchedule = .unit
    public var behaviour: BehaviourPolicy = .onPolicyOnly
    public var replayCapacity = 50
    public var replayDuplicateThreshold = 0.25
    public var replaySampling: ReplaySampling = .uniform
    /// Push fresh (on-policy and tempered) samples into the replay buffer.
    public var pushSamplesToBuffer = true
    /// Consecutive non-finite steps tolerated before training stops with an error.
    public var maxConsecutiveNonFinite = 5
    public var seed: UInt64 = 0
    /// How each micro-batch's example is picked.
    public var exampleOrder: ExampleOrder = .epochs

    public init() {}

    func validate() throws {
        let c = "gflownet"
        guard samplesPerPrompt >= 1 else { throw GFlowNetError(c, "samples per prompt must be ≥ 1, got \(samplesPerPrompt)") }
        guard microBatchesPerStep >= 1 else { throw GFlowNetError(c, "micro-batches per step must be ≥ 1, got \(microBatchesPerStep)") }
        guard minLength >= 0, maxLength >= 1, minLength <= maxLength else {
            throw GFlowNetError(c, "needs 0 ≤ min length (\(minLength)) ≤ max length (\(maxLength)), max ≥ 1")
        }
        guard learningRate >= 0, learningRate.isFinite else { throw GFlowNetError(c, "learning rate must be ≥ 0, got \(learningRate)") }
        if let m = maxGradientNorm, !(m > 0) { throw GFlowNetError(c, "max gradient norm must be positive, got \(m)") }
        guard maxConsecutiveNonFinite >= 1 else { throw GFlowNetError(c, "max consecutive non-finite steps must be ≥ 1") }
    }
}

/// One training item: the policy's prompt X as tokens, the key of its replay sub-buffer and log Z,
/// its sampling weight, and the dataset row it was built from. The engine never reads the row: it
/// hands it to rewards (which may build their own context and observed continuation Y from it) and
/// to buffer seeding. For a plain list of prompts the row is nil.
public struct TrainingPrompt: Equatable {
    public var tokens: [Int]
    /// The key of its replay sub-buffer and log Z: by default the tokens, joined.
    public var key: String
    /// Relative weight of this item when examples are drawn independently (`ExampleOrder.random`).
    public var weight: Double
    /// The row's position in the dataset (nil: a plain prompt).
    public var exampleIndex: Int?
    /// The row as the layer above knows it (Bindings: the script's dict).
    public var example: AnyObject?

    public init(tokens: [Int], key: String? = nil, weight: Double = 1, exampleIndex: Int? = nil, example: AnyObject? = nil) {
        self.tokens = tokens
        self.key = key ?? tokens.map(String.init).joined(separator: ",")
        self.weight = weight
        self.exampleIndex = exampleIndex
        self.example = example
    }

    public static func == (a: TrainingPrompt, b: TrainingPrompt) -> Bool {
        a.tokens == b.tokens && a.key == b.key && a.weight == b.weight && a.exampleIndex == b.exampleIndex && a.example === b.example
    }
}

/// A thread-safe flag that a signal handler or another thread sets to stop training at the
/// next step boundary.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    public init() {}
    public func request() { lock.lock(); requested = true; lock.unlock() }
    public func reset() { lock.lock(); requested = false; lock.unlock() }
    public var isRequested: Bool { lock.lock(); defer { lock.unlock() }; return requested }
}

/// GFlowNet fine-tuning: per step, `microBatchesPerStep` micro-batches of one prompt × k latents
/// from the behaviour policy (on-policy, tempered or replayed), raw rewards for every prefix,
/// the balance loss on the latents re-scored under the current policy (replayed and tempered
/// samples included: stored log-probabilities are never reused), backward, clipping, AdamW on
/// the adapters only.
///
/// Randomness: micro-batch m of step s draws from `microBatchGenerator(seed:step:microBatch:)`, a
/// function of (seed, s, m) only, so a run resumed from a checkpoint at step s draws exactly what the
/// uninterrupted run drew, and a run split across N ranks draws what one process draws.
public final class GFlowNetTrainer: FineTuner {
    public let configuration: GFlowNetConfiguration
    public let policy: GFlowNetPolicy
    public let reward: RewardFunction
    public let prompts: [TrainingPrompt]
    public internal(set) var replayBuffer: ReplayBuffer
    public let logPartitions: LogPartitionTable
    public let optimizer: AdamW
    /// Optimizer steps taken.
    public internal(set) var step = 0
    var nonFinite: NonFiniteGuard
    public var skippedSteps: Int { nonFinite.skipped }
    public let controls = TrainingControls()
    public var method: TrainingMethod { .gflownet }
    let schedule: ExampleSchedule
    /// Known good latents of an example (e.g. its gold answer), put into its replay sub-buffer the
    /// first time the example is drawn; nil: the buffer starts empty.
    public var bufferSeeds: ((TrainingPrompt) throws -> [[Int]])?
    /// Keys of the examples whose buffers were seeded (saved in checkpoints, so a resumed run does
    /// not seed twice).
    public internal(set) var seededKeys: Set<String> = []

    public init(policy: GFlowNetPolicy, reward: RewardFunction, prompts: [TrainingPrompt],
                configuration: GFlowNetConfiguration = GFlowNetConfiguration()) throws {
        try configuration.validate()
        guard !prompts.isEmpty else { throw GFlowNetError("gflownet", "needs at least one training prompt") }
        for (i, p) in prompts.enumerated() where p.tokens.isEmpty {
            throw GFlowNetError("gflownet", "training prompt \(i) has no tokens")
        }
        let parameters = policy.trainableParameters
        guard !parameters.isEmpty else {
            throw GFlowNetError("gflownet", "the policy has no trainable parameters: add LoRA adapters first (lm.lora(...))")
        }
        self.configuration = configuration
        self.policy = policy
        self.reward = reward
        self.prompts = prompts
        replayBuffer = try ReplayBuffer(capacity: configuration.replayCapacity,
                                        duplicateThreshold: configuration.replayDuplicateThreshold,
                                        sampling: configuration.replaySampling)
        logPartitions = try LogPartitionTable(learningRate: configuration.logPartitionLearningRate)
        optimizer = try AdamW(parameters: parameters, learningRate: configuration.learningRate,
                              beta1: configuration.beta1, beta2: configuration.beta2, weightDecay: configuration.weightDecay)
        nonFinite = NonFiniteGuard(limit: configuration.maxConsecutiveNonFinite)
        schedule = try ExampleSchedule(order: configuration.exampleOrder, weights: prompts.map(\.weight),
                                       seed: configuration.seed, context: "gflownet")
    }

    public var currentRewardTemperature: Double { configuration.rewardTemperature.temperature(atStep: step) }
    public var currentLearningRate: Float { configuration.learningRateSchedule.learningRate(base: configuration.learningRate, atStep: step) }

    /// Seeds the replay buffer of `prompt` with known latents, given as actions (the policy's
    /// environment puts its insertions back in; their rewards are computed). Latents that are empty
    /// or longer than m_max are left out (the policy could never produce them). Returns how many were kept.
    @discardableResult
    public func seedBuffer(prompt: TrainingPrompt, latents: [[Int]]) throws -> Int {
        let usable = try latents.filter { !$0.isEmpty && $0.count <= configuration.maxLength }
            .map { try policy.unroll(prompt: prompt.tokens, actions: $0) }
        guard !usable.isEmpty else { return 0 }
        let context = rewardContext(prompt)
        let rewards = try withNoGrad { try reward.logRewards(trajectories: usable, context: context) }
        var items: [ReplayItem] = []
        for (latent, r) in zip(usable, rewards) {
            let n = latent.tokens.count
            guard r.count == n + 1 else {
                throw GFlowNetError("reward", "returned \(r.count) prefix log-rewards for a seed of \(n) tokens (needs \(n + 1))")
            }
            guard !r[n].isNaN else { continue }
            items.append(ReplayItem(logReward: r[n], text: try policy.decode(latent.stateTokens), tokens: latent.tokens,
                                    insertions: latent.insertions, prefixLogRewards: r))
        }
        return try replayBuffer.seed(items, key: prompt.key)
    }

    /// Seeds `prompt`'s buffer from `bufferSeeds` if this is the first time it is drawn.
    func seedIfFirstDrawn(_ prompt: TrainingPrompt) throws {
        guard let bufferSeeds, !seededKeys.contains(prompt.key) else { return }
        try seedBuffer(prompt: prompt, latents: try bufferSeeds(prompt))
        seededKeys.insert(prompt.key)
    }

    func rewardContext(_ prompt: TrainingPrompt) -> RewardContext {
        RewardContext(prompt, decode: { [policy] in try policy.decode($0) })
    }

    /// One optimizer step. Throws after `maxConsecutiveNonFinite` non-finite steps in a row.
    ///
    /// Split across the ranks of `processGroup`: every rank draws each micro-batch's example (and
    /// seeds its buffer the first time), rank m mod N runs micro-batch m (sampling, rewards,
    /// backward), then every rank receives every micro-batch's outcome, the gradients are summed,
    /// the replay buffer takes the new samples in micro-batch order, and the same update is made
    /// everywhere. Buffer additions wait for the end of the step, so a micro-batch never sees
    /// another's samples of the same step, whoever ran it: one process and N ranks take the same step.
    @discardableResult
    public func trainStep() throws -> StepMetrics {
        let group = processGroup
        let temperature = currentRewardTemperature
        let lr = currentLearningRate
        let count = configuration.microBatchesPerStep
        var seconds = ["sampling": 0.0, "reward": 0.0, "forward_backward": 0.0, "optimizer": 0.0]
        func clock() -> Double { Date().timeIntervalSinceReferenceDate }

        var generators = (0..<count).map { microBatchGenerator(seed: configuration.seed, step: step, microBatch: $0) }
        var chosen: [TrainingPrompt] = []
        var t0 = clock()
        for m in 0..<count {
            let prompt = prompts[schedule.example(atMicroBatch: step * count + m, using: &generators[m])]
            try seedIfFirstDrawn(prompt)
            chosen.append(prompt)
        }
        seconds["reward", default: 0] += clock() - t0

        var mine: [MicroBatchOutcome] = []
        for m in group.microBatches(of: count) {
            mine.append(try runMicroBatch(m, prompt: chosen[m], using: &generators[m], temperature: temperature, seconds: &seconds))
        }
        let outcomes = try group.allgatherItems(mine).sorted { $0.index < $1.index }
        try group.allreduceGradients(optimizer.parameters + logPartitionParameters())

        var behaviours: [String: Int] = [:]
        var losses: [Double] = [], terminal: [Double] = [], calibration: [Double] = [], lengths: [Double] = []
        var nonFiniteLoss = false
        for outcome in outcomes {
            behaviours[outcome.behaviour ?? "skipped", default: 0] += 1
            if let loss = outcome.loss {
                if loss.isFinite { losses.append(loss) } else { nonFiniteLoss = true }
            }
            terminal += outcome.terminalLogRewards
            calibration += outcome.calibration
            lengths += outcome.lengths
            for item in outcome.additions { try replayBuffer.add(item, key: chosen[outcome.index].key) }
        }

        t0 = clock()
        // Every micro-batch skipped (nothing stored to replay): no gradient, so no update at all.
        let nothingToLearn = losses.isEmpty && !nonFiniteLoss
        let update = nothingToLearn ? (gradientNorm: Double.nan, skipped: false)
            : try optimizer.guardedStep(learningRate: lr, maxNorm: configuration.maxGradientNorm, lossIsFinite: !nonFiniteLoss,
                                        extra: logPartitionParameters())
        if !update.skipped && !nothingToLearn {
            try logPartitions.step(learningRateMultiplier: configuration.learningRateSchedule.multiplier(atStep: step))
        }
        nonFinite.record(skipped: update.skipped)
        seconds["optimizer", default: 0] += clock() - t0
        step += 1

        let metrics = StepMetrics(
            step: step, loss: losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count),
            logReward: mean(terminal), varianceLogRMinusLogPF: variance(calibration), learningRate: Double(lr),
            rewardTemperature: temperature, meanLength: mean(lengths), gradientNorm: update.gradientNorm,
            skipped: update.skipped, skippedTotal: nonFinite.skipped, behaviours: behaviours, seconds: try group.slowest(seconds))
        try report(metrics, nonFinite: nonFinite)
        try nonFinite.check(step: step, context: "gflownet",
                            hint: "Lower the learning rate, check the reward for NaN or ±inf, or raise the reward temperature.")
        return metrics
    }

    /// Micro-batch `m` on this rank: behaviour, latents, rewards, the balance loss and its backward
    /// (gradients accumulate into the parameters); what every rank needs of it is returned.
    private func runMicroBatch(_ m: Int, prompt: TrainingPrompt, using rng: inout RandomGenerator, temperature: Double,
                               seconds: inout [String: Double]) throws -> MicroBatchOutcome {
        func clock() -> Double { Date().timeIntervalSinceReferenceDate }
        var outcome = MicroBatchOutcome(index: m)
        guard let behaviour = configuration.behaviour.choose(bufferHasEntries: replayBuffer.count(for: prompt.key) > 0, using: &rng) else {
            return outcome
        }
        outcome.behaviour = behaviour.name
        let k = configuration.samplesPerPrompt
        let context = rewardContext(prompt)
        var latents: [SampledLatent], rawRewards: [[Double]]
        var t0 = clock()
        if behaviour == .replay {
            let items = try replayBuffer.sample(k, key: prompt.key, using: &rng)
            latents = items.map { $0.latent(maxLength: configuration.maxLength) }
            rawRewards = items.map(\.prefixLogRewards)
            seconds["sampling", default: 0] += clock() - t0
        } else {
            latents = try policy.sample(prompt: prompt.tokens, count: k, temperature: behaviour.samplingTemperature ?? 1,
                                        minLength: configuration.minLength, maxLength: configuration.maxLength, using: &rng)
            seconds["sampling", default: 0] += clock() - t0
            t0 = clock()
            rawRewards = try withNoGrad { try reward.logRewards(trajectories: latents, context: context) }
            seconds["reward", default: 0] += clock() - t0
            for (latent, r) in zip(latents, rawRewards) {
                guard r.count == latent.tokens.count + 1 else {
                    throw GFlowNetError("reward", "returned \(r.count) prefix log-rewards for a latent of \(latent.tokens.count) tokens (needs \(latent.tokens.count + 1))")
                }
                if r.contains(.infinity) { throw GFlowNetError("reward", "returned a log-reward of +inf (a reward of −inf, i.e. 0, is allowed; +inf is not)") }
                if configuration.pushSamplesToBuffer, r[latent.tokens.count].isFinite || r[latent.tokens.count] == -.infinity {
                    outcome.additions.append(ReplayItem(logReward: r[latent.tokens.count], text: try policy.decode(latent.stateTokens),
                                                        tokens: latent.tokens, insertions: latent.insertions, prefixLogRewards: r))
                }
            }
        }
        t0 = clock()
        // Re-score under the current policy, whatever produced the latents.
        let (logPF, logPT) = try policy.score(prompt: prompt.tokens, trajectories: latents)
        let width = logPF.shape.count == 2 ? logPF.shape[1] : -1
        var scaled = [Float](repeating: 0, count: latents.count * (width + 1))
        for (b, r) in rawRewards.enumerated() {
            for (t, v) in r.enumerated() where t <= width { scaled[b * (width + 1) + t] = Float(v / temperature) }
        }
        let scores = try TrajectoryScores(logForward: logPF, logTermination: logPT,
                                          logReward: Tensor(shape: [latents.count, width + 1], scalars: scaled),
                                          lengths: latents.map(\.tokens.count), forced: latents.map(\.forced))
        let logZ = configuration.loss.needsLogPartition ? try logPartitions.parameter(for: prompt.key) : nil
        let loss = try configuration.loss(scores, forcedTermination: configuration.forcedTermination, logPartition: logZ)
        let value = Double(try loss.item())
        outcome.loss = value
        if value.isFinite {
            let weighted = configuration.accumulation == .mean ? loss / Float(configuration.microBatchesPerStep) : loss
            try weighted.backward()
        }
        seconds["forward_backward", default: 0] += clock() - t0
        // Diagnostics: terminal log R / T and log q(Z ⊤ | X) per trajectory.
        let pf = logPF.scalars, pt = logPT.scalars
        for (b, latent) in latents.enumerated() {
            let n = latent.tokens.count
            let logQ = (0..<n).reduce(0.0) { $0 + Double(pf[b * width + $1]) }
                + (latent.forced && configuration.forcedTermination == .certain ? 0 : Double(pt[b * (width + 1) + n]))
            let logR = rawRewards[b][n] / temperature
            outcome.terminalLogRewards.append(logR)
            outcome.calibration.append(logR - logQ)
            outcome.lengths.append(Double(n))
        }
        return outcome
    }

    private func logPartitionParameters() -> [Tensor] {
        prompts.compactMap { configuration.loss.needsLogPartition ? try? logPartitions.parameter(for: $0.key) : nil }
    }
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

func variance(_ xs: [Double]) -> Double {
    guard xs.count > 1 else { return 0 }
    let m = mean(xs)
    return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
}
