/// The split of text into pieces before BPE, written by hand (no regular-expression engine).
///
/// `.gpt2` is GPT-2's pattern, applied leftmost-first as the reference tokenizers do:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `.digitsThenGPT2` is SmolLM2's (`tokenizer.ggml.pre = "smollm"`; in its tokenizer.json a `Digits`
/// pre-tokenizer with `individual_digits` before `ByteLevel`): every \p{N} character becomes a piece of its
/// own, and the text between them is split with GPT-2's pattern. \s is the Unicode White_Space property,
/// \p{L} the letter categories (Lu Ll Lt Lm Lo), \p{N} the number categories (Nd Nl No); the optional
/// space is U+0020 only, and the contractions are lower-case ASCII only, as in the pattern.
public enum PreTokenizer: String, Sendable {
    case gpt2
    case digitsThenGPT2

    /// The pre-tokeniser named by GGUF's `tokenizer.ggml.pre`, or nil for one not implemented.
    public init?(ggufName: String?) {
        switch ggufName {
        case nil, "gpt-2", "gpt2", "default": self = .gpt2
        case "smollm", "starcoder", "refact", "codeshell": self = .digitsThenGPT2
        default: return nil
        }
    }

    enum CharacterClass: UInt8 {
        case letter, number, space, other
    }

    /// The class of one scalar; ASCII is answered from a table.
    @inline(__always)
    static func classify(_ v: UInt32) -> CharacterClass {
        if v < 128 { return asciiClasses[Int(v)] }
        guard let scalar = Unicode.Scalar(v) else { return .other }
        let p = scalar.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    private static let asciiClasses: [CharacterClass] = (0..<128).map { v in
        switch v {
        case 9...13, 32: .space
        case 48...57: .number
        case 65...90, 97...122: .letter
        default: .other
        }
    }

    /// The pieces of `scalars` as index ranges, appended to `pieces` in order; together they cover every scalar.
    public func split(_ scalars: [UInt32], into pieces: inout [Range<Int>]) {
        let classes = scalars.map(Self.classify)
        switch self {
        case .gpt2:
            Self.splitGPT2(scalars, classes, 0..<scalars.count, into: &pieces)
        case .digitsThenGPT2:
            var start = 0
            for i in scalars.indices where classes[i] == .number {
                if start < i { Self.splitGPT2(scalars, classes, start..<i, into: &pieces) }
                pieces.append(i..<(i + 1))
                start = i + 1
            }
            if start < scalars.count { Self.splitGPT2(scalars, classes, start..<scalars.count, into: &pieces) }
        }
    }

    /// GPT-2's pattern over `range` (which acts as the whole text: lookahead stops at its end).
    static func splitGPT2(_ s: [UInt32], _ c: [CharacterClass], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let n = range.upperBound
        var i = range.lowerBound
        while i < n {
            // 's 't 're 've 'm 'll 'd
            if s[i] == 0x27, i + 1 < n {
                let a = s[i + 1]
                if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 {  // s t m d
                    pieces.append(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < n {
                    let b = s[i + 2]
                    if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) {  // re ve ll
                        pieces.append(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
            var j = i
            if s[i] == 0x20, i + 1 < n, c[i + 1] != .space { j = i + 1 }
            let k = c[j]
            if k != .space {
                var e = j + 1
                while e < n && c[e] == k { e += 1 }
                pieces.append(i..<e); i = e; continue
            }
            // `\s+(?!\S)` then `\s+`: a whitespace run, leaving its last character to the next piece when
            // a non-space follows it (that character then starts ` ?\p{L}+` or is a lone `\s+`).
            var e = i + 1
            while e < n && c[e] == .space { e += 1 }
            if e == n || e - i == 1 {
                pieces.append(i..<e); i = e
            } else {
                pieces.append(i..<(e - 1)); i = e - 1
            }
        }
    }
}
