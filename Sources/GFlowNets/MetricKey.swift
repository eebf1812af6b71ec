/// The name of one number in a step's record (metrics.jsonl, `tuner.metrics` in scripts): every
/// name a trainer writes is one of these, so writers and readers cannot spell it two ways.
public struct MetricKey: RawRepresentable, Hashable, Sendable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    // Every method.
    public static let step = MetricKey(rawValue: "step")
    public static let loss = MetricKey(rawValue: "train/loss")
    public static let logReward = MetricKey(rawValue: "train/logR")
    public static let varianceLogRMinusLogPF = MetricKey(rawValue: "train/var_logR_minus_logPF")
    public static let learningRate = MetricKey(rawValue: "lr")
    public static let rewardTemperature = MetricKey(rawValue: "reward_temperature")
    public static let meanLength = MetricKey(rawValue: "train/length")
    public static let gradientNorm = MetricKey(rawValue: "train/grad_norm")
    public static let skippedNonFinite = MetricKey(rawValue: "train/skipped_nonfinite")
    /// Micro-batches of a behaviour ("on_policy", "tempered", "replay").
    public static func behaviour(_ name: String) -> MetricKey { MetricKey(rawValue: "behaviour/" + name) }
    /// Seconds spent in a phase ("sampling", "reward", "forward_backward", "optimizer").
    public static func seconds(_ phase: String) -> MetricKey { MetricKey(rawValue: "time/" + phase) }

    // PPO and REINFORCE.
    public static let reward = MetricKey(rawValue: "train/reward")
    public static let entropy = MetricKey(rawValue: "train/entropy")
    public static let sequenceReturn = MetricKey(rawValue: "train/return")
    public static let kl = MetricKey(rawValue: "train/kl")
    public static let klCoefficient = MetricKey(rawValue: "train/kl_coef")
    public static let clipFraction = MetricKey(rawValue: "train/clip_fraction")
    public static let approximateKL = MetricKey(rawValue: "train/approx_kl")
    public static let movingBaseline = MetricKey(rawValue: "train/baseline")

    // SFT and the classifier.
    public static let epoch = MetricKey(rawValue: "train/epoch")
    public static let tokens = MetricKey(rawValue: "train/tokens")
    public static let accuracy = MetricKey(rawValue: "train/accuracy")
}
