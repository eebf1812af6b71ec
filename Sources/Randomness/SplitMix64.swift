/// SplitMix64 (Steele, Lea & Flood, 2014): a counter advanced by a fixed odd constant and passed
/// through a 64-bit mixing function. It fills the state of `Xoshiro256StarStar` from one seed, and
/// is the quick deterministic generator of gfn's test data and plot gallery.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, n) for n ≥ 1 (modulo reduction: a bias below n / 2⁶⁴, fine for test data).
    @inlinable
    public mutating func below(_ n: Int) -> Int {
        Int(next() % UInt64(max(n, 1)))
    }
}
