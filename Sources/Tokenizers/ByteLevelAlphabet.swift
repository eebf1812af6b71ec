/// GPT-2's byte-to-unicode table: every byte gets a printable character so that BPE works on text.
///
/// The printable Latin-1 bytes ('!'…'~', '¡'…'¬', '®'…'ÿ') map to themselves; the other 68 bytes map, in
/// order, to U+0100, U+0101, … (so a space 0x20 is 'Ġ' U+0120 and a newline 0x0A is 'Ċ' U+010A).
public enum ByteLevelAlphabet {
    /// The character for each byte.
    public static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt8(b))
            } else {
                table[b] = Unicode.Scalar(next)!  // 256…323 are all valid scalars
                next += 1
            }
        }
        return table
    }()

    /// The byte for each character of the alphabet, indexed by scalar value (0…323); -1 where none.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, c) in characterForByte.enumerated() { table[Int(c.value)] = Int16(b) }
        return table
    }()

    /// The byte-level string of raw bytes ("hi there" → "hiĠthere").
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(characterForByte[Int(b)]) }
        return String(s)
    }

    /// The raw bytes of a byte-level string, or nil if it holds a character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for c in text.unicodeScalars {
            guard c.value < 324, case let b = byteForScalar[Int(c.value)], b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}
