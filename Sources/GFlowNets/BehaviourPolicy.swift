import Tensors

/// Where a micro-batch's trajectories come from (docs/method.md §3.1).
public enum Behaviour: Equatable, Sendable {
    /// Sampled from the policy at temperature 1.
    case onPolicy
    /// Sampled from the policy with its logits divided by this temperature (off-policy data).
    case tempered(Double)
    /// Drawn from the replay buffer and re-scored under the current policy.
    case replay

    /// The name in the metrics: "on_policy", "tempered", "replay".
    public var name: String {
        switch self {
        case .onPolicy: "on_policy"
        case .tempered: "tempered"
        case .replay: "replay"
        }
    }

    /// The sampling temperature (1 for on-policy; nil for replay).
    public var samplingTemperature: Double? {
        switch self {
        case .onPolicy: 1
        case .tempered(let t): t
        case .replay: nil
        }
    }
}

/// What a micro-batch does when its behaviour would be replay but its example's sub-buffer is
/// empty (docs/method.md §3.1's per-task rows).
public enum EmptyBufferFallback: String, Codable, Sendable, CaseIterable {
    /// Choose between on-policy and tempered sampling in proportion to their shares (next sentence).
    case proportional
    /// Sample tempered: the replay share goes to tempering (infilling and arithmetic).
    case tempered
    /// Skip the micro-batch: it contributes no loss (subjectivity's E-step).
    case skip
}

/// The per-micro-batch choice of behaviour policy (docs/method.md §3.1), in one of two forms.
///
/// - Nested coins, with the next-sentence reference's names: with probability
///   `useBufferProbability` replay (when the buffer holds entries for the prompt; otherwise fall
///   through), else with probability `temperedProbability` sample at a temperature drawn uniformly
///   from [low, high], else on-policy. The next-sentence setting is use_buffer_prob 0.25,
///   pf_temp_prob 0.666; RNG is all zeros (on-policy only).
/// - Shares (`shares` set): one draw picks on-policy, tempered or replay with the given
///   probabilities, and `emptyBuffer` says what replay becomes when the example's buffer is empty.
///   Infilling and arithmetic: [0.25, 0.5, 0.25] with `.tempered` (the reference draws an integer
///   in {0, 1, 2, 3}: 0 on-policy, 1 replay, 2 or 3 tempered); subjectivity: [0.25, 0.25, 0.5]
///   with `.skip`.
public struct BehaviourPolicy: Codable, Equatable, Sendable {
    public var useBufferProbability: Double
    public var temperedProbability: Double
    public var temperatureLow: Double
    public var temperatureHigh: Double
    /// The probabilities of on-policy, tempered and replay (nil: the nested coins above).
    public var shares: Shares?
    public var emptyBuffer: EmptyBufferFallback

    public struct Shares: Codable, Equatable, Sendable {
        public var onPolicy: Double, tempered: Double, replay: Double
        public init(onPolicy: Double, tempered: Double, replay: Double) {
            self.onPolicy = onPolicy
            self.tempered = tempered
            self.replay = replay
        }
    }

    public init(useBufferProbability: Double = 0, temperedProbability: Double = 0,
                temperatureLow: Double = 0.5, temperatureHigh: Double = 2) throws {
        for (name, p) in [("use_buffer_prob", useBufferProbability), ("pf_temp_prob", temperedProbability)] {
            guard (0...1).contains(p) else { throw GFlowNetError("behaviour policy", "\(name) must be in [0, 1], got \(p)") }
        }
        try Self.checkTemperatures(temperatureLow, temperatureHigh)
        self.useBufferProbability = useBufferProbability
        self.temperedProbability = temperedProbability
        self.temperatureLow = temperatureLow
        self.temperatureHigh = temperatureHigh
        shares = nil
        emptyBuffer = .proportional   // the nested coins fall through to the other two
    }

    /// The shares form: probabilities of on-policy, tempered and replay, which must sum to 1.
    public init(shares: Shares, emptyBuffer: EmptyBufferFallback, temperatureLow: Double = 0.5, temperatureHigh: Double = 2) throws {
        let parts = [("on-policy", shares.onPolicy), ("tempered", shares.tempered), ("replay", shares.replay)]
        for (name, p) in parts where !(p >= 0 && p <= 1) {
            throw GFlowNetError("behaviour policy", "the \(name) share must be in [0, 1], got \(p)")
        }
        let total = shares.onPolicy + shares.tempered + shares.replay
        guard abs(total - 1) < 1e-9 else {
            throw GFlowNetError("behaviour policy", "the shares of on-policy, tempered and replay must sum to 1, got \(total)")
        }
        try Self.checkTemperatures(temperatureLow, temperatureHigh)
        useBufferProbability = shares.replay
        temperedProbability = shares.tempered
        self.temperatureLow = temperatureLow
        self.temperatureHigh = temperatureHigh
        self.shares = shares
        self.emptyBuffer = emptyBuffer
    }

    private static func checkTemperatures(_ low: Double, _ high: Double) throws {
        guard low > 0, high >= low, high.isFinite else {
            throw GFlowNetError("behaviour policy", "needs 0 < pf_temp_low ≤ pf_temp_high, got [\(low), \(high)]")
        }
    }

    /// On-policy sampling only.
    public static let onPolicyOnly = try! BehaviourPolicy()

    /// Chooses one micro-batch's behaviour; nil means skip it (`.skip` with an empty buffer).
    /// Always draws the same three numbers from `rng` in the same order (replay coin, tempering
    /// coin, temperature), whatever the outcome, so that a run's random stream does not depend on
    /// the buffer's contents.
    public func choose(bufferHasEntries: Bool, using rng: inout RandomGenerator) -> Behaviour? {
        let replayCoin = rng.uniformDouble(), temperCoin = rng.uniformDouble(), u = rng.uniformDouble()
        let tempered = Behaviour.tempered(temperatureLow + (temperatureHigh - temperatureLow) * u)
        guard let shares else {
            if bufferHasEntries && replayCoin < useBufferProbability { return .replay }
            return temperCoin < temperedProbability ? tempered : .onPolicy
        }
        // One draw over [on-policy | tempered | replay].
        if replayCoin < shares.onPolicy { return .onPolicy }
        if replayCoin < shares.onPolicy + shares.tempered { return tempered }
        if bufferHasEntries { return .replay }
        switch emptyBuffer {
        case .tempered: return tempered
        case .skip: return nil
        case .proportional:
            let rest = shares.onPolicy + shares.tempered
            guard rest > 0 else { return nil }
            return temperCoin * rest < shares.onPolicy ? .onPolicy : tempered
        }
    }
}
