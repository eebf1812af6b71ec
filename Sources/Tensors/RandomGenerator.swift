import Randomness

/// A seeded random generator for tensors: Randomness's xoshiro256** (seeded by SplitMix64) with the
/// draws tensor code needs.
///
/// Every draw uses only integer operations and IEEE +, −, ×, ÷ and √ (the logarithm in `normal()`
/// is computed here, not by the platform's libm), so the same seed gives bit-identical
/// sequences on every run and every machine.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var bits: Xoshiro256StarStar
    private var spareNormal: Double?

    public init(seed: UInt64) {
        bits = Xoshiro256StarStar(seed: seed)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        bits.next()
    }

    /// Uniform in [0, 1) with 24 random bits (every Float32 multiple of 2⁻²⁴).
    public mutating func uniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        bits.uniformDouble()
    }

    /// Standard normal N(0, 1) by Marsaglia's polar method (pairs; the second is kept for the next call).
    public mutating func normal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return Float(spare)
        }
        while true {
            let u = 2 * uniformDouble() - 1, v = 2 * uniformDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * portableLog(s) / s).squareRoot()
                spareNormal = v * factor
                return Float(u * factor)
            }
        }
    }

    /// Normal with the given mean and standard deviation.
    public mutating func normal(mean: Float, standardDeviation: Float) -> Float {
        mean + standardDeviation * normal()
    }

    /// An index drawn with probability proportional to `weights` (non-negative, finite, not all zero).
    /// Uses one `uniformDouble()` when the weights are valid, none when they are not.
    public mutating func categorical(_ weights: UnsafeBufferPointer<Float>) throws -> Int {
        let total = try Self.categoricalTotal(weights)
        return Self.categoricalIndex(weights, target: uniformDouble() * total)
    }

    /// The draw `categorical(_:)` makes, given the `uniformDouble()` it would use: rows whose uniforms
    /// were taken in a fixed order can then be drawn on any thread with the same result.
    public static func categorical(_ weights: UnsafeBufferPointer<Float>, uniform: Double) throws -> Int {
        categoricalIndex(weights, target: uniform * (try categoricalTotal(weights)))
    }

    private static func categoricalTotal(_ weights: UnsafeBufferPointer<Float>) throws -> Double {
        var total: Double = 0
        for w in weights {
            guard w >= 0, w.isFinite else { throw TensorError("categorical", "weights must be finite and non-negative, found \(w)") }
            total += Double(w)
        }
        guard total > 0 else { throw TensorError("categorical", "the \(weights.count) weights sum to 0") }
        return total
    }

    private static func categoricalIndex(_ weights: UnsafeBufferPointer<Float>, target: Double) -> Int {
        var running: Double = 0
        var last = 0
        for (i, w) in weights.enumerated() where w > 0 {
            running += Double(w)
            last = i
            if target < running { return i }
        }
        return last  // rounding left target ≥ the final running sum
    }

    public mutating func categorical(_ weights: [Float]) throws -> Int {
        try weights.withUnsafeBufferPointer { try categorical($0) }
    }
}

/// ln x for x > 0 from basic IEEE operations only (so results do not depend on the libm):
/// x = m·2^e with m in [√½, √2), ln m = 2·atanh((m − 1)/(m + 1)) by its series. Error < 1e-15.
func portableLog(_ x: Double) -> Double {
    var m = x.significand  // [1, 2)
    var e = Double(x.exponent)
    if m > 1.4142135623730951 { m /= 2; e += 1 }
    let f = (m - 1) / (m + 1)
    let f2 = f * f
    var term = f, sum = 0.0
    var k = 1.0
    while k < 40 {
        sum += term / k
        term *= f2
        k += 2
    }
    return 2 * sum + e * 0.6931471805599453
}

extension Tensor {
    /// Independent N(mean, std²) draws.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout RandomGenerator) throws -> Tensor {
        try validateShape(shape, "randomNormal")
        let t = Tensor(uninitializedShape: shape)
        for i in 0..<t.count { t.pointer[i] = generator.normal(mean: mean, standardDeviation: standardDeviation) }
        return t
    }

    /// Independent uniform draws in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     using generator: inout RandomGenerator) throws -> Tensor {
        try validateShape(shape, "randomUniform")
        let t = Tensor(uninitializedShape: shape)
        for i in 0..<t.count { t.pointer[i] = generator.uniform(low, high) }
        return t
    }

    /// One categorical draw per row of non-negative weights [..., V] (e.g. softmax probabilities).
    public func sampleCategorical(using generator: inout RandomGenerator) throws -> [Int] {
        guard let v = shape.last, v > 0 else { throw TensorError("sampleCategorical", "needs weights [..., V] with V > 0, got \(shape)") }
        let c = contiguous()
        let rows = c.count / v
        var out: [Int] = []
        out.reserveCapacity(rows)
        for r in 0..<rows {
            out.append(try generator.categorical(UnsafeBufferPointer(start: c.pointer + r * v, count: v)))
        }
        withExtendedLifetime(c) {}
        return out
    }
}
