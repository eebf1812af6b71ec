/// Which objective a `FineTuner` trains its adapters with. The raw value is the name scripts see
/// (`tuner.method`, the builtin that makes the tuner) and the one a baseline checkpoint records.
public enum TrainingMethod: String, Sendable, CaseIterable {
    case gflownet, ppo, reinforce, sft, classifier
}
