/// Mutations of binary files (GGUF, safetensors): the damage a disk, a transfer or a hostile
/// writer does. Integers are overwritten with the values that break size arithmetic (0, −1,
/// 2^31, 2^63, 2^64 − 32, …) at 4- and 8-byte boundaries, where a format keeps its counts,
/// lengths, offsets and type codes.
public enum ByteMutator {
    static let interesting64: [UInt64] = [0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 64, 255, 256, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
                                          0xFFFF_FFFF, 0x1_0000_0000, 1 << 40, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
                                          UInt64.max - 31, UInt64.max - 1, UInt64.max]
    static let interestingBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x22, 0x5C, 0x7B, 0x7D]

    /// 1–4 mutations of `input`; `hotRegion` (e.g. a file's header) receives most of them.
    public static func mutate(_ input: [UInt8], _ rng: inout FuzzRandom, hotRegion: Range<Int>? = nil) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + rng.below(4)) { mutateOnce(&bytes, &rng, hotRegion: hotRegion) }
        return bytes
    }

    static func position(_ count: Int, _ rng: inout FuzzRandom, hotRegion: Range<Int>?) -> Int {
        if let hot = hotRegion, !hot.isEmpty, hot.upperBound <= count, rng.chance(0.8) {
            return hot.lowerBound + rng.below(hot.count)
        }
        return rng.below(count)
    }

    static func mutateOnce(_ bytes: inout [UInt8], _ rng: inout FuzzRandom, hotRegion: Range<Int>?) {
        guard !bytes.isEmpty else { bytes = [UInt8(truncatingIfNeeded: rng.next())]; return }
        let at = position(bytes.count, &rng, hotRegion: hotRegion)
        switch rng.below(10) {
        case 0:  // flip one bit
            bytes[at] ^= 1 << UInt8(rng.below(8))
        case 1:  // a byte set to an edge value
            bytes[at] = rng.pick(interestingBytes)
        case 2, 3:  // an aligned 8-byte integer set to an edge value
            let start = at & ~7
            guard start + 8 <= bytes.count else { return }
            let value = rng.pick(interesting64)
            for i in 0..<8 { bytes[start + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        case 4:  // an aligned 4-byte integer set to an edge value
            let start = at & ~3
            guard start + 4 <= bytes.count else { return }
            let value = UInt32(truncatingIfNeeded: rng.pick(interesting64))
            for i in 0..<4 { bytes[start + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
        case 5:  // a small integer nudged (counts and lengths off by a little)
            let start = at & ~3
            guard start + 4 <= bytes.count else { return }
            var value: UInt32 = 0
            for i in 0..<4 { value |= UInt32(bytes[start + i]) << UInt32(8 * i) }
            value = value &+ UInt32(bitPattern: Int32(rng.below(17) - 8))
            for i in 0..<4 { bytes[start + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
        case 6:  // truncated
            bytes.removeSubrange(rng.below(bytes.count)...)
        case 7:  // a span deleted
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(64)))
        case 8:  // a span duplicated elsewhere
            let span = Array(bytes[at..<min(bytes.count, at + 1 + rng.below(64))])
            bytes.insert(contentsOf: span, at: rng.below(bytes.count + 1))
        default:  // random bytes over a span
            for i in at..<min(bytes.count, at + 1 + rng.below(16)) { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
        }
    }
}
