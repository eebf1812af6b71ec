/// The fuzzer's deterministic generator (SplitMix64): case n of a campaign with seed s is drawn
/// from a generator seeded by (s, n), so any single case can be regenerated without the others.
public struct FuzzRandom {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public init(campaignSeed: UInt64, caseIndex: Int) {
        state = campaignSeed ^ (UInt64(truncatingIfNeeded: caseIndex) &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<n (0 when n ≤ 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
