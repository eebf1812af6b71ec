import Foundation
import ProcessGroups
import Tensors

/// Reward-maximising fine-tuning of a policy's adapters, the RL baselines of the paper (docs/method.md §5.2,
/// §5): PPO with a clipped objective, or REINFORCE, both with a baseline and a per-token KL
/// penalty to the base model.
///
/// One step: for each of `promptsPerStep` prompts, k latents are sampled from the policy at
/// temperature 1 (the sampler, rewards and prompts are the GFlowNet trainer's). Each latent's
/// score is log R (or R) of the whole latent. Its actions are its tokens and then ⊤ (unless a
/// forced end counts as certain); action t gets the shaping reward
///
///     r_t = −β (log q_old(a_t) − log p_ref(a_t)) − c · log q_old(a_t)
///
/// (β: KL coefficient, p_ref: the same network with adapters off; c: entropy bonus), and its
/// return-to-go is G_t = score + Σ_{t' ≥ t} r_t'. The advantage is A_t = G_t − b, with b the
/// group's mean sequence return G_0 (optionally A / std) or a moving average. PPO then makes
/// `epochs` AdamW updates on the clipped surrogate, with ratios against the log-probabilities
/// the policy had when it sampled (its first forward pass of the step, before any update);
/// REINFORCE makes one update on −Σ_t A_t log q(a_t) per sequence.
///
/// No value head: the transformer's hidden states are not part of the policy interface, so the
/// group baseline (k samples per prompt) stands in for a learned critic.
public final class PolicyGradientTrainer: FineTuner, BaselineCheckpointing {
    public let configuration: PolicyGradientConfiguration
    public let policy: GFlowNetPolicy
    public let reward: RewardFunction
    public let prompts: [TrainingPrompt]
    let schedule: ExampleSchedule
    public let optimizer: AdamW
    public internal(set) var step = 0
    var nonFinite: NonFiniteGuard
    public var skippedSteps: Int { nonFinite.skipped }
    public let controls = TrainingControls()
    /// The moving-average baseline (nil before the first group, or with another baseline).
    public internal(set) var movingBaseline: Double?
    /// β now: `configuration.klCoefficient`, adapted after each step when a KL target is set.
    public internal(set) var klCoefficient: Double
    let reference: ReferencePolicy?

    public var method: TrainingMethod { configuration.algorithm.method }
    var optimization: OptimizerSettings { configuration.optimization }
    var checkpointValues: [String: Double] {
        get { (movingBaseline.map { ["moving_baseline": $0] } ?? [:]).merging(["kl_coef": klCoefficient]) { a, _ in a } }
        set {
            movingBaseline = newValue["moving_baseline"]
            klCoefficient = newValue["kl_coef"] ?? configuration.klCoefficient
        }
    }

    public init(policy: GFlowNetPolicy, reward: RewardFunction, prompts: [TrainingPrompt],
                configuration: PolicyGradientConfiguration = PolicyGradientConfiguration()) throws {
        try configuration.validate()
        let c = configuration.algorithm.method.rawValue
        guard !prompts.isEmpty else { throw GFlowNetError(c, "needs at least one training prompt") }
        for (i, p) in prompts.enumerated() where p.tokens.isEmpty { throw GFlowNetError(c, "training prompt \(i) has no tokens") }
        reference = policy as? ReferencePolicy
        if configuration.klCoefficient > 0 && reference == nil {
            throw GFlowNetError(c, "a KL penalty needs a policy with a reference model (a language model with adapters); set the KL coefficient to 0")
        }
        self.configuration = configuration
        self.policy = policy
        self.reward = reward
        self.prompts = prompts
        optimizer = try configuration.optimization.makeOptimizer(for: policy, c)
        nonFinite = NonFiniteGuard(limit: configuration.optimization.maxConsecutiveNonFinite)
        klCoefficient = configuration.klCoefficient
        schedule = try ExampleSchedule(order: configuration.exampleOrder, weights: prompts.map(\.weight),
                                       seed: configuration.optimization.seed, context: c)
    }

    /// One prompt's k samples and what the update needs of them.
    struct Group {
        /// Its position in the step (which rank runs it: index mod ranks).
        var index: Int
        var prompt: TrainingPrompt
        var latents: [SampledLatent]
        var logRewards: [Double]
        var scores: [Double]
        var layout: ActionLayout
        var referenceLogProbs: [Float]?
        /// Filled by the first forward pass of the step.
        var oldLogProbs: [Float] = []
        var returns: [Double] = []
        var advantages: [Float] = []
        var sequenceReturns: [Double] = []
    }

    /// What every rank needs of a group's first pass: its sequence returns (for the baseline).
    struct GroupReturns: Codable {
        var index: Int
        var sequenceReturns: [Double]
    }

    /// A group's loss in one epoch, with PPO's clip fraction and approximate KL.
    struct GroupPass: Codable {
        var index: Int
        var loss: Double
        var clipFraction: Double?
        var approxKL: Double?
    }

    /// A group's diagnostics at the end of the step, per latent.
    struct GroupSummary: Codable {
        var index: Int
        var logRewards: [Double], scores: [Double], lengths: [Double]
        var logQ: [Double], referenceQ: [Double]?
        var sequenceReturns: [Double]
    }

    func rollout(_ index: Int, using rng: inout RandomGenerator, seconds: inout [String: Double]) throws -> Group {
        let c = configuration
        let prompt = prompts[schedule.example(atMicroBatch: step * c.promptsPerStep + index, using: &rng)]
        var t0 = Date()
        let latents = try policy.sample(prompt: prompt.tokens, count: c.samplesPerPrompt, temperature: 1,
                                        minLength: c.minLength, maxLength: c.maxLength, using: &rng)
        seconds["sampling", default: 0] += Date().timeIntervalSince(t0)
        t0 = Date()
        let context = RewardContext(prompt, decode: { [policy] in try policy.decode($0) })
        let raw = try withNoGrad { try reward.logRewards(trajectories: latents, context: context) }
        var terminal: [Double] = []
        for (latent, r) in zip(latents, raw) {
            guard r.count == latent.tokens.count + 1 else {
                throw GFlowNetError("reward", "returned \(r.count) prefix log-rewards for a latent of \(latent.tokens.count) tokens (needs \(latent.tokens.count + 1))")
            }
            terminal.append(r[latent.tokens.count])
        }
        let layout = ActionLayout(lengths: latents.map(\.tokens.count), forced: latents.map(\.forced),
                                  forcedTermination: c.forcedTermination)
        var referenceLogProbs: [Float]?
        if c.klCoefficient > 0, let reference {
            let (pf, pt) = try reference.referenceScore(prompt: prompt.tokens, trajectories: latents)
            referenceLogProbs = layout.values(logForward: pf, logTermination: pt)
        }
        seconds["reward", default: 0] += Date().timeIntervalSince(t0)
        let scores = terminal.map { c.rewardScale == .reward ? Foundation.exp($0) : $0 }
        return Group(index: index, prompt: prompt, latents: latents, logRewards: terminal, scores: scores, layout: layout,
                     referenceLogProbs: referenceLogProbs)
    }

    /// Fills the group's old log-probabilities, per-action returns and sequence returns (first pass of a step).
    func computeReturns(_ g: inout Group, old: [Float]) {
        let c = configuration
        g.oldLogProbs = old
        var perRow = [[Double]](repeating: [], count: g.latents.count)
        var positions = [[Int]](repeating: [], count: g.latents.count)
        for (i, b) in g.layout.row.enumerated() {
            let ref = g.referenceLogProbs.map { Double($0[i]) } ?? Double(old[i])
            perRow[b].append(PolicyGradient.actionReward(old: Double(old[i]), reference: ref, klCoefficient: klCoefficient,
                                                         entropyCoefficient: c.entropyCoefficient))
            positions[b].append(i)
        }
        // Actions of a row are listed tokens first, then ⊤: order each row's by its index t.
        var returns = [Double](repeating: 0, count: old.count)
        var sequenceReturns: [Double] = []
        for b in g.latents.indices {
            let order = positions[b].indices.sorted { g.layout.index[positions[b][$0]] < g.layout.index[positions[b][$1]] }
            let togo = PolicyGradient.returnsToGo(score: g.scores[b], actionRewards: order.map { perRow[b][$0] })
            for (k, j) in order.enumerated() { returns[positions[b][j]] = togo[k] }
            sequenceReturns.append(togo.first ?? g.scores[b])
        }
        g.returns = returns
        g.sequenceReturns = sequenceReturns
    }

    /// The baseline and scale of a group's advantages, from its sequence returns; the moving
    /// average moves, so every rank calls this for every group of the step, in order.
    func baseline(for sequenceReturns: [Double]) -> (baseline: Double, scale: Double) {
        var baseline = 0.0, scale = 1.0
        switch configuration.baseline {
        case .none:
            break
        case .groupMean(let normalize):
            let s = PolicyGradient.groupStatistics(sequenceReturns)
            baseline = s.mean
            if normalize { scale = 1 / (s.std + 1e-8) }
        case .movingAverage(let decay):
            let groupMean = PolicyGradient.groupStatistics(sequenceReturns).mean
            baseline = movingBaseline ?? groupMean
            movingBaseline = decay * baseline + (1 - decay) * groupMean
        }
        return (baseline, scale)
    }

    /// One step, its prompts' groups split across the ranks of `processGroup` (group i on rank
    /// i mod N, drawing from its own generator of (seed, step, i)): every rank gathers every group's
    /// returns for the baselines, every group's loss, and the diagnostics, and the gradients are summed
    /// before each (identical) update, so N ranks take the step one process takes.
    @discardableResult
    public func trainStep() throws -> StepMetrics {
        let c = configuration
        let group = processGroup
        let lr = c.optimization.learningRate(atStep: step)
        var seconds = ["sampling": 0.0, "reward": 0.0, "forward_backward": 0.0, "optimizer": 0.0]
        var groups: [Group] = []
        for i in group.microBatches(of: c.promptsPerStep) {
            var rng = microBatchGenerator(seed: c.optimization.seed, step: step, microBatch: i)
            groups.append(try rollout(i, using: &rng, seconds: &seconds))
        }

        let epochs: Int, clip: Float?
        switch c.algorithm {
        case .reinforce: (epochs, clip) = (1, nil)
        case .ppo(let eps, let e): (epochs, clip) = (e, Float(eps))
        }
        var losses: [Double] = [], clipFractions: [Double] = [], approxKL: [Double] = []
        var update = (gradientNorm: Double.nan, skipped: false)
        for epoch in 0..<epochs {
            var t0 = Date()
            func score(_ g: Group) throws -> Tensor {
                let (pf, pt) = try policy.score(prompt: g.prompt.tokens, trajectories: g.latents)
                return try g.layout.gather(logForward: pf, logTermination: pt)
            }
            // The first pass scores every group of this rank before any loss: the baselines need every
            // group's returns (a moving baseline moves group by group, across ranks).
            var firstPass = epoch == 0 ? try groups.map(score) : []
            if epoch == 0 {
                for i in groups.indices { computeReturns(&groups[i], old: firstPass[i].scalars) }
                let all = try group.allgatherItems(groups.map { GroupReturns(index: $0.index, sequenceReturns: $0.sequenceReturns) })
                var baselines: [Int: (baseline: Double, scale: Double)] = [:]
                for r in all.sorted(by: { $0.index < $1.index }) { baselines[r.index] = baseline(for: r.sequenceReturns) }
                for i in groups.indices {
                    let b = baselines[groups[i].index] ?? (0, 1)
                    groups[i].advantages = groups[i].returns.map { Float(($0 - b.baseline) * b.scale) }
                }
            }
            var passes: [GroupPass] = []
            for (i, g) in groups.enumerated() {
                var pass = GroupPass(index: g.index, loss: .nan)
                let logProbs = epoch == 0 ? firstPass[i] : try score(g)
                if epoch == 0 { firstPass[i] = Tensor([0]) }  // its graph goes with the backward below
                let loss: Tensor
                if let clip {
                    let s = try PolicyGradient.clippedSurrogate(logProbs: logProbs, oldLogProbs: g.oldLogProbs,
                                                                advantages: g.advantages, clip: clip)
                    loss = s.loss
                    pass.clipFraction = s.clipFraction
                    let now = logProbs.scalars
                    pass.approxKL = zip(g.oldLogProbs, now).reduce(0.0) { $0 + Double($1.0 - $1.1) } / Double(max(1, now.count))
                } else {
                    loss = try PolicyGradient.reinforce(logProbs: logProbs, advantages: g.advantages, sequences: g.latents.count)
                }
                pass.loss = Double(try loss.item())
                if pass.loss.isFinite { try (loss / Float(c.promptsPerStep)).backward() }
                passes.append(pass)
            }
            seconds["forward_backward", default: 0] += Date().timeIntervalSince(t0)
            // As one process would count them: groups in order, up to the first non-finite loss.
            var finite = true
            clipFractions = []; approxKL = []
            for p in try group.allgatherItems(passes).sorted(by: { $0.index < $1.index }) {
                if let f = p.clipFraction { clipFractions.append(f) }
                if let k = p.approxKL { approxKL.append(k) }
                guard p.loss.isFinite else { finite = false; break }
                losses.append(p.loss)
            }
            try group.allreduceGradients(optimizer.parameters)
            t0 = Date()
            update = try optimizer.guardedStep(learningRate: lr, maxNorm: c.optimization.maxGradientNorm, lossIsFinite: finite)
            seconds["optimizer", default: 0] += Date().timeIntervalSince(t0)
            if update.skipped { break }
        }
        nonFinite.record(skipped: update.skipped)
        step += 1

        // Diagnostics over every sampled latent, gathered from every rank in group order.
        var summaries: [GroupSummary] = []
        for g in groups {
            var logQ = [Double](repeating: 0, count: g.latents.count), refQ = logQ
            for (i, b) in g.layout.row.enumerated() where i < g.oldLogProbs.count {
                logQ[b] += Double(g.oldLogProbs[i])
                if let r = g.referenceLogProbs { refQ[b] += Double(r[i]) }
            }
            summaries.append(GroupSummary(index: g.index, logRewards: g.logRewards, scores: g.scores,
                                          lengths: g.latents.map { Double($0.tokens.count) }, logQ: logQ,
                                          referenceQ: g.referenceLogProbs == nil ? nil : refQ, sequenceReturns: g.sequenceReturns))
        }
        summaries = try group.allgatherItems(summaries).sorted { $0.index < $1.index }
        var logR: [Double] = [], scores: [Double] = [], lengths: [Double] = [], calibration: [Double] = []
        var kl: [Double] = [], entropy: [Double] = []
        for g in summaries {
            for b in g.logRewards.indices {
                logR.append(g.logRewards[b]); scores.append(g.scores[b]); lengths.append(g.lengths[b])
                calibration.append(g.logRewards[b] - g.logQ[b])
                entropy.append(-g.logQ[b])
                if let refQ = g.referenceQ { kl.append(g.logQ[b] - refQ[b]) }
            }
        }
        var extra: [MetricKey: Double] = [.reward: mean(scores), .entropy: mean(entropy),
                                          .sequenceReturn: mean(summaries.flatMap(\.sequenceReturns))]
        if !kl.isEmpty {
            extra[.kl] = mean(kl)
            extra[.klCoefficient] = klCoefficient
            if let target = c.klTarget, !update.skipped {
                klCoefficient = PolicyGradient.adaptedKLCoefficient(klCoefficient, kl: mean(kl), target: target,
                                                                    sequences: kl.count, horizon: c.klHorizon)
            }
        }
        if clip != nil { extra[.clipFraction] = mean(clipFractions); extra[.approximateKL] = mean(approxKL) }
        if let movingBaseline { extra[.movingBaseline] = movingBaseline }
        let metrics = StepMetrics(
            step: step, loss: losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count),
            logReward: mean(logR), varianceLogRMinusLogPF: variance(calibration), learningRate: Double(lr),
            rewardTemperature: 1, meanLength: mean(lengths), gradientNorm: update.gradientNorm,
            skipped: update.skipped, skippedTotal: nonFinite.skipped, behaviours: ["on_policy": c.promptsPerStep],
            seconds: try group.slowest(seconds), extra: extra)
        try report(metrics, nonFinite: nonFinite)
        try nonFinite.check(step: step, context: c.algorithm.method.rawValue, hint: "Lower the learning rate or check the reward for NaN or ±inf.")
        return metrics
    }

    public func saveCheckpoint(to directory: URL) throws { try writeCheckpoint(to: directory) }

    /// Restores adapters, optimizer, step and the moving baseline from `saveCheckpoint`'s directory.
    public func resume(from directory: URL) throws { try readCheckpoint(from: directory) }
}
