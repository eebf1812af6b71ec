import Glibc

/// A learning-rate multiplier per optimizer step, with Hugging Face's formulas
/// (`get_constant_schedule_with_warmup`, `get_linear_schedule_with_warmup`,
/// `get_cosine_schedule_with_warmup`; `finalFraction` as in the cosine-with-min-lr variant).
///
/// `step` is the number of optimizer steps already taken (0 for the first), so during warm-up
/// the multiplier is step/warmupSteps: the first step runs at 0, exactly as HF's schedulers do.
/// Multiply by the base rate: `optimizer.learningRate = base * schedule.multiplier(atStep: s)`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// 1 throughout.
    case constant
    /// Linear from 0 to 1 over `warmupSteps`, then 1.
    case linearWarmup(warmupSteps: Int)
    /// Warm-up, then linear from 1 down to `finalFraction` at `totalSteps` (and after).
    case linearDecay(warmupSteps: Int, totalSteps: Int, finalFraction: Float = 0)
    /// Warm-up, then half a cosine from 1 down to `finalFraction` at `totalSteps` (and after).
    case cosine(warmupSteps: Int, totalSteps: Int, finalFraction: Float = 0)

    public func multiplier(atStep step: Int) -> Float {
        let s = Double(Swift.max(0, step))
        func warm(_ w: Int) -> Double? { step < w ? s / Double(Swift.max(1, w)) : nil }
        switch self {
        case .constant:
            return 1
        case .linearWarmup(let w):
            return Float(warm(w) ?? 1)
        case .linearDecay(let w, let total, let final):
            if let f = warm(w) { return Float(f) }
            let remaining = Swift.max(0, Double(total) - s) / Double(Swift.max(1, total - w))
            return Float(Double(final) + (1 - Double(final)) * Swift.min(1, remaining))
        case .cosine(let w, let total, let final):
            if let f = warm(w) { return Float(f) }
            let progress = Swift.min(1, (s - Double(w)) / Double(Swift.max(1, total - w)))
            let c = 0.5 * (1 + Glibc.cos(Double.pi * progress))
            return Float(Double(final) + (1 - Double(final)) * c)
        }
    }

    /// `base · multiplier(atStep:)`.
    public func learningRate(base: Float, atStep step: Int) -> Float {
        base * multiplier(atStep: step)
    }
}
