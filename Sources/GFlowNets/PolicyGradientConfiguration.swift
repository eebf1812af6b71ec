import Foundation

/// Which reward-maximising update a `PolicyGradientTrainer` makes.
public enum PolicyGradientAlgorithm: Sendable, Equatable {
    /// REINFORCE with a baseline: one update per batch on −Σ_t A_t log q(a_t), averaged over sequences.
    case reinforce
    /// PPO's clipped surrogate: `epochs` updates per batch on
    /// −min(ρ_t A_t, clip(ρ_t, 1 − clip, 1 + clip) A_t), ρ_t = q(a_t) / q_old(a_t), averaged over tokens.
    case ppo(clip: Double, epochs: Int)

    public var method: TrainingMethod {
        switch self {
        case .reinforce: .reinforce
        case .ppo: .ppo
        }
    }
}

/// What an advantage is measured against.
public enum AdvantageBaseline: Sendable, Equatable {
    /// No baseline: A = G.
    case none
    /// The mean return of the k samples of the same prompt (a group baseline); with `normalize`,
    /// also divided by the group's standard deviation (+1e-8).
    case groupMean(normalize: Bool)
    /// An exponential moving average of past batches' mean returns: b ← decay·b + (1 − decay)·mean G,
    /// initialised by the first batch.
    case movingAverage(decay: Double)
}

/// The score a policy-gradient baseline maximises, from the reward's log R.
public enum RewardScale: String, Sendable, Equatable {
    /// log R itself: the shaped scores of the reference PPO baseline (±8, ±16, …) are of this kind,
    /// and likelihood rewards are log-probabilities (the default).
    case logReward = "log"
    /// R = exp(log R).
    case reward = "exp"
}

/// Every setting of a PPO or REINFORCE run. Defaults: PPO with clip 0.2 and 4 epochs, a
/// normalised group baseline, KL coefficient 0.05 to the base model.
public struct PolicyGradientConfiguration: Sendable {
    public var algorithm: PolicyGradientAlgorithm = .ppo(clip: 0.2, epochs: 4)
    public var baseline: AdvantageBaseline = .groupMean(normalize: true)
    public var rewardScale: RewardScale = .logReward
    /// β of the per-token penalty −β (log q_old(a_t) − log p_ref(a_t)) (0: no KL term, no reference pass);
    /// the starting value when `klTarget` is set.
    public var klCoefficient: Double = 0.05
    /// With a target, β adapts after every step (Ziegler et al. 2019, TRL's adaptive controller):
    /// β ← β · (1 + clip(KL / target − 1, −0.2, 0.2) · B / horizon), KL the step's mean sampled
    /// sequence KL and B its number of sequences. nil: β stays fixed.
    public var klTarget: Double?
    public var klHorizon: Double = 10_000
    /// c of the per-token entropy reward −c · log q_old(a_t) (0: none).
    public var entropyCoefficient: Double = 0
    /// k: samples per prompt (the group of the group baseline).
    public var samplesPerPrompt = 8
    /// Prompts (micro-batches of k samples) per step.
    public var promptsPerStep = 1
    public var minLength = 1
    public var maxLength = 20
    /// Whether the ⊤ forced at m_max is an action of the policy (`.modelProbability`) or certain.
    public var forcedTermination: ForcedTermination = .certain
    /// How each rollout's example is picked (as in `GFlowNetConfiguration`).
    public var exampleOrder: ExampleOrder = .epochs
    public var optimization = OptimizerSettings()

    public init() {}

    func validate() throws {
        let c = algorithm.method.rawValue
        try optimization.validate(c)
        if case .ppo(let clip, let epochs) = algorithm {
            guard clip > 0, clip.isFinite else { throw GFlowNetError(c, "clip must be positive, got \(clip)") }
            guard epochs >= 1 else { throw GFlowNetError(c, "PPO epochs must be ≥ 1, got \(epochs)") }
        }
        if case .movingAverage(let decay) = baseline, !(0..<1).contains(decay) {
            throw GFlowNetError(c, "the moving-average decay must be in [0, 1), got \(decay)")
        }
        guard klCoefficient >= 0, klCoefficient.isFinite else { throw GFlowNetError(c, "the KL coefficient must be ≥ 0, got \(klCoefficient)") }
        if let klTarget {
            guard klTarget > 0, klTarget.isFinite else { throw GFlowNetError(c, "the KL target must be positive, got \(klTarget)") }
            guard klCoefficient > 0 else { throw GFlowNetError(c, "an adaptive KL coefficient (a KL target) needs a positive starting KL coefficient") }
            guard klHorizon > 0, klHorizon.isFinite else { throw GFlowNetError(c, "the KL horizon must be positive, got \(klHorizon)") }
        }
        guard entropyCoefficient >= 0, entropyCoefficient.isFinite else {
            throw GFlowNetError(c, "the entropy coefficient must be ≥ 0, got \(entropyCoefficient)")
        }
        guard samplesPerPrompt >= 1 else { throw GFlowNetError(c, "samples per prompt must be ≥ 1, got \(samplesPerPrompt)") }
        guard promptsPerStep >= 1 else { throw GFlowNetError(c, "prompts per step must be ≥ 1, got \(promptsPerStep)") }
        guard minLength >= 0, maxLength >= 1, minLength <= maxLength else {
            throw GFlowNetError(c, "needs 0 ≤ min length (\(minLength)) ≤ max length (\(maxLength)), max ≥ 1")
        }
    }
}
