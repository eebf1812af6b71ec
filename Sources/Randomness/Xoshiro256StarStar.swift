/// xoshiro256** (Blackman & Vigna, 2018), its 256-bit state filled by SplitMix64 from a 64-bit seed as
/// its authors recommend: the generator behind Tensors' `RandomGenerator` and the language's
/// `Random(seed)`. Integer operations only, so a seed gives the same sequence on every machine.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0, s1, s2, s3: UInt64

    @inlinable
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A generator whose state is given directly (not all zero), for checking published sequences.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    /// Uniform in [0, 1) with 53 random bits (every Double multiple of 2⁻⁵³).
    @inlinable
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}

@inlinable @inline(__always)
func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
