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

/// The per-micro-batch choice of behaviour policy (docs/method.md §3.1), with the reference code's names:
/// with probability `useBufferProbability` replay (when the buffer holds entries for the prompt;
/// otherwise fall through), else with probability `temperedProbability` sample at a temperature
/// drawn uniformly from [low, high], else on-policy. The next-sentence setting is
/// use_buffer_prob 0.25, pf_temp_prob 0.666, range [0.5, 2]; RNG is all zeros (on-policy only).
public struct BehaviourPolicy: Codable, Equatable, Sendable {
    public var useBufferProbability: Double
    public var temperedProbability: Double
    public var temperatureLow: Double
    public var temperatureHigh: Double

    public init(useBufferProbability: Double = 0, temperedProbability: Double = 0,
                temperatureLow: Double = 0.5, temperatureHigh: Double = 2) throws {
        for (name, p) in [("use_buffer_prob", useBufferProbability), ("pf_temp_prob", temperedProbability)] {
            guard (0...1).contains(p) else { throw GFlowNetError("behaviour policy", "\(name) must be in [0, 1], got \(p)") }
        }
        guard temperatureLow > 0, temperatureHigh >= temperatureLow, temperatureHigh.isFinite else {
            throw GFlowNetError("behaviour policy", "needs 0 < pf_temp_low ≤ pf_temp_high, got [\(temperatureLow), \(temperatureHigh)]")
        }
        self.useBufferProbability = useBufferProbability
        self.temperedProbability = temperedProbability
        self.temperatureLow = temperatureLow
        self.temperatureHigh = temperatureHigh
    }

    /// On-policy sampling only.
    public static let onPolicyOnly = try! BehaviourPolicy()

    /// Chooses one micro-batch's behaviour. Always draws the same numbers from `rng` in the
    /// same order (replay coin, tempering coin, temperature), whatever the outcome, so that a
    /// run's random stream does not depend on the buffer's contents.
    public func choose(bufferHasEntries: Bool, using rng: inout RandomGenerator) -> Behaviour {
        let replayCoin = rng.uniformDouble(), temperCoin = rng.uniformDouble(), u = rng.uniformDouble()
        if bufferHasEntries && replayCoin < useBufferProbability { return .replay }
        if temperCoin < temperedProbability {
            return .tempered(temperatureLow + (temperatureHigh - temperatureLow) * u)
        }
        return .onPolicy
    }
}
