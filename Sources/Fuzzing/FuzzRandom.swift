import Randomness

/// The fuzzer's deterministic generator (Randomness' SplitMix64): case n of a campaign with seed s
/// is drawn from a generator seeded by (s, n), so any single case can be regenerated without the others.
public struct FuzzRandom {
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public init(campaignSeed: UInt64, caseIndex: Int) {
        generator = SplitMix64(seed: campaignSeed ^ (UInt64(truncatingIfNeeded: caseIndex) &* 0xD1B5_4A32_D192_ED03))
        _ = next()
    }

    public mutating func next() -> UInt64 { generator.next() }
    /// A uniform integer in 0..<n (0 when n ≤ 0).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }

    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
