/// Reward-temperature annealing (docs/method.md §3.2): linear from `start` to `end` over `horizon`
/// optimizer steps, then constant. The loss uses log R / T(step); replayed rewards are stored
/// at T = 1 and divided by the current T.
public struct RewardTemperatureSchedule: Codable, Equatable, Sendable {
    public var start: Double
    public var end: Double
    /// Optimizer steps to go from `start` to `end`; 0 means `end` from the first step.
    public var horizon: Int

    public init(start: Double = 1, end: Double = 1, horizon: Int = 0) throws {
        guard start > 0, end > 0, start.isFinite, end.isFinite else {
            throw GFlowNetError("reward temperature", "temperatures must be positive and finite, got \(start) → \(end)")
        }
        guard horizon >= 0 else { throw GFlowNetError("reward temperature", "the horizon must be ≥ 0 steps, got \(horizon)") }
        self.start = start
        self.end = end
        self.horizon = horizon
    }

    /// A constant temperature.
    public static let unit = try! RewardTemperatureSchedule()

    /// T(step) = start + (end − start) · min(1, step / horizon), `step` = optimizer steps taken.
    public func temperature(atStep step: Int) -> Double {
        guard horizon > 0 else { return end }
        let progress = min(1, Double(max(0, step)) / Double(horizon))
        return start + (end - start) * progress
    }
}
