import Foundation

/// How far the empirical distribution of samples is from a known target distribution (the RNG
/// task's uniform over 0…99, docs/method.md §4.1): KL, total variation and Jensen–Shannon, with the samples
/// that failed to parse ("invalid") kept as a bin of their own whose target mass is 0.
///
/// p̂ is the empirical distribution over the observed values plus the invalid bin; q is the target
/// normalised to sum 1 (plus the invalid bin at 0). All logarithms are natural (nats).
///   KL(p̂ ‖ q)  = Σ p̂ log(p̂ / q) over p̂ > 0; +∞ as soon as a sample has q = 0 (an invalid one, or a
///               value outside the target's support), as in the reference notebooks.
///   TV(p̂, q)   = ½ Σ |p̂ − q| over the union of supports, in [0, 1].
///   JS(p̂, q)   = ½ KL(p̂ ‖ m) + ½ KL(q ‖ m), m = ½(p̂ + q), in [0, log 2]; finite even with invalid
///               samples. (The notebooks print its fourth root: √ of SciPy's JS *distance*.)
/// `validOnly` drops the invalid bin and renormalises over the valid samples first (the quickstart's
/// "KL of the valid answers").
public struct DistributionComparison: Sendable, Equatable {
    /// All samples, invalid included.
    public let sampleCount: Int
    /// Samples that failed to parse.
    public let invalidCount: Int
    /// Valid samples whose value has target probability 0.
    public let outsideTargetCount: Int
    /// Distinct valid values observed.
    public let distinctCount: Int
    public let klDivergence: Double
    public let totalVariation: Double
    public let jensenShannon: Double

    /// Compares `counts` (value → number of valid samples with that value) plus `invalid` samples
    /// with `target` (value → non-negative weight, normalised here). With `validOnly`, the invalid
    /// samples are left out of p̂ (but still reported in `invalidCount`).
    public init<Key: Hashable>(counts: [Key: Int], invalid: Int = 0, target: [Key: Double], validOnly: Bool = false) throws {
        if let (key, c) = counts.first(where: { $0.value < 0 }) {
            throw GFlowNetError("DistributionComparison", "the count of \(key) is \(c); counts must be ≥ 0")
        }
        guard invalid >= 0 else { throw GFlowNetError("DistributionComparison", "the invalid count is \(invalid); it must be ≥ 0") }
        if let (key, w) = target.first(where: { !($0.value >= 0 && $0.value.isFinite) }) {
            throw GFlowNetError("DistributionComparison", "the target weight of \(key) is \(w); weights must be finite and ≥ 0")
        }
        let targetMass = target.values.reduce(0, +)
        guard targetMass > 0 else { throw GFlowNetError("DistributionComparison", "the target has no mass (its weights sum to 0)") }
        let valid = counts.values.reduce(0, +)
        sampleCount = valid + invalid
        invalidCount = invalid
        outsideTargetCount = counts.reduce(0) { $0 + ((target[$1.key] ?? 0) > 0 ? 0 : $1.value) }
        distinctCount = counts.values.filter { $0 > 0 }.count
        let bins = validOnly ? valid : valid + invalid
        guard bins > 0 else {
            throw GFlowNetError("DistributionComparison", validOnly ? "there are no valid samples to compare" : "there are no samples to compare")
        }
        // (p̂, q) per bin: observed or target values, then the invalid bin.
        var pairs: [(p: Double, q: Double)] = []
        for key in Set(counts.keys).union(target.keys) {
            pairs.append((Double(counts[key] ?? 0) / Double(bins), (target[key] ?? 0) / targetMass))
        }
        if !validOnly { pairs.append((Double(invalid) / Double(bins), 0)) }
        var kl = 0.0, tv = 0.0, js = 0.0
        for (p, q) in pairs {
            if p > 0 { kl += q > 0 ? p * Foundation.log(p / q) : .infinity }
            tv += abs(p - q)
            let m = (p + q) / 2
            if p > 0 { js += 0.5 * p * Foundation.log(p / m) }
            if q > 0 { js += 0.5 * q * Foundation.log(q / m) }
        }
        klDivergence = kl
        totalVariation = tv / 2
        jensenShannon = max(js, 0)
    }

    /// The uniform target over `values` (each weight 1).
    public static func uniform<Key: Hashable>(over values: some Sequence<Key>) -> [Key: Double] {
        Dictionary(values.map { ($0, 1.0) }, uniquingKeysWith: { a, _ in a })
    }
}
