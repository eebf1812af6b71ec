/// Turns bytes arriving in pieces (token by token during generation) into text without breaking characters:
/// a multi-byte UTF-8 character split across tokens is held back until its last byte arrives.
///
/// Invalid bytes (which no later byte can complete) become U+FFFD at once, one per maximal invalid
/// subsequence, as `String(decoding:as:)` does; `finish()` turns an incomplete tail into U+FFFD. So the
/// concatenation of everything returned equals `String(decoding: allBytes, as: UTF8.self)`.
public struct StreamingDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// The text that `bytes` completes (possibly empty).
    public mutating func append<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteTailLength(pending)
        guard keep < pending.count else { return "" }
        let ready = pending[..<(pending.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// The text of one more token of `tokenizer`.
    public mutating func append(token id: Int, of tokenizer: BPETokenizer) throws -> String {
        append(try tokenizer.bytes(of: id))
    }

    /// Flushes what is left: an incomplete character becomes U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Bytes still waiting for the rest of their character.
    public var pendingByteCount: Int { pending.count }

    /// How many bytes at the end of `bytes` are the start of a character that later bytes could still
    /// complete: a lead byte followed by fewer continuation bytes than it announces (0 if none).
    static func incompleteTailLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var back = 0
        // Walk back over at most 3 continuation bytes to the lead byte.
        while back < min(3, n), bytes[n - 1 - back] & 0xC0 == 0x80 { back += 1 }
        guard back < n else { return 0 }
        let lead = bytes[n - 1 - back]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return 0
        }
        guard back + 1 < needed else { return 0 }
        // The bytes so far must be a valid prefix (E0 needs A0…BF next, ED 80…9F, F0 90…BF, F4 80…8F).
        if back >= 1 {
            let second = bytes[n - back]
            switch lead {
            case 0xE0: if second < 0xA0 { return 0 }
            case 0xED: if second > 0x9F { return 0 }
            case 0xF0: if second < 0x90 { return 0 }
            case 0xF4: if second > 0x8F { return 0 }
            default: break
            }
        }
        return back + 1
    }
}
