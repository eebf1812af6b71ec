import Foundation

/// BERT's uncased WordPiece tokenizer (all-MiniLM-L6-v2), as Hugging Face's `tokenizers` runs it:
///
/// 1. special tokens written in the text ("[SEP]") are kept whole;
/// 2. `BertNormalizer`: drop U+0000, U+FFFD and control characters (categories Cc Cf Cn Co Cs except tab,
///    newline, return), turn whitespace into spaces, put spaces around CJK ideographs, strip accents
///    (NFD, then drop nonspacing marks Mn), lower-case;
/// 3. `BertPreTokenizer`: split on whitespace, and make every punctuation character (ASCII punctuation or
///    a Unicode P* category) a word of its own;
/// 4. WordPiece: greedy longest match from the left, continuations prefixed "##"; a word with no match,
///    or longer than 100 characters, becomes [UNK];
/// 5. `[CLS] … [SEP]`, truncating the middle to `maxLength` ids in all.
public final class WordPieceTokenizer: @unchecked Sendable {
    public let tokens: [String]
    public let vocabulary: [String: Int]
    public let unknownTokenID: Int
    public let classifierTokenID: Int
    public let separatorTokenID: Int
    public let paddingTokenID: Int
    public var lowercase = true
    public let maxInputCharactersPerWord: Int
    private let specialMatcher: SpecialTokenMatcher
    private let cacheLock = NSLock()
    private var cache: [String: [Int]] = [:]

    public init(tokens: [String], unknownToken: String = "[UNK]", classifierToken: String = "[CLS]",
                separatorToken: String = "[SEP]", paddingToken: String = "[PAD]",
                specialTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                maxInputCharactersPerWord: Int = 100, file: String = "") throws {
        self.tokens = tokens
        var vocabulary: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocabulary[token] == nil { vocabulary[token] = id }
        self.vocabulary = vocabulary
        func require(_ token: String) throws -> Int {
            guard let id = vocabulary[token] else {
                throw TokenizerError(file: file, field: "vocabulary", "the special token \(token) is missing")
            }
            return id
        }
        unknownTokenID = try require(unknownToken)
        classifierTokenID = try require(classifierToken)
        separatorTokenID = try require(separatorToken)
        paddingTokenID = try require(paddingToken)
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        specialMatcher = SpecialTokenMatcher(specialTokens.compactMap { t in vocabulary[t].map { (t, $0) } })
    }

    /// From BERT's `vocab.txt`: one token per line, the id is the line number.
    public static func load(vocabularyFile path: String) throws -> WordPieceTokenizer {
        let data = try BPETokenizer.readFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(file: path, field: "vocabulary", "the file is not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { l in
            String(l.hasSuffix("\r") ? l.dropLast() : l)
        }
        if lines.last == "" { lines.removeLast() }
        return try WordPieceTokenizer(tokens: lines, file: path)
    }

    /// From a `tokenizer.json` whose model is WordPiece with a BertNormalizer (lowercase) and BertPreTokenizer.
    public static func load(tokenizerJSON path: String) throws -> WordPieceTokenizer {
        let root = try BPETokenizer.readJSONObject(path)
        func fail(_ field: String, _ detail: String) -> TokenizerError { TokenizerError(file: path, field: field, detail) }
        guard let model = root["model"] as? [String: Any], model["type"] as? String == "WordPiece",
              let vocab = model["vocab"] as? [String: Any] else {
            throw fail("model", "expected a WordPiece model with a vocab")
        }
        guard let normalizer = root["normalizer"] as? [String: Any], normalizer["type"] as? String == "BertNormalizer" else {
            throw fail("normalizer", "expected a BertNormalizer")
        }
        guard (root["pre_tokenizer"] as? [String: Any])?["type"] as? String == "BertPreTokenizer" else {
            throw fail("pre_tokenizer", "expected a BertPreTokenizer")
        }
        let tokens = try BPETokenizer.tokenTable(vocab, file: path, field: "model.vocab")
        let special = ((root["added_tokens"] as? [[String: Any]]) ?? []).compactMap { $0["content"] as? String }
        let tokenizer = try WordPieceTokenizer(
            tokens: tokens, unknownToken: model["unk_token"] as? String ?? "[UNK]", specialTokens: special,
            maxInputCharactersPerWord: (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100, file: path)
        tokenizer.lowercase = normalizer["lowercase"] as? Bool ?? true
        return tokenizer
    }

    /// `[CLS] ids… [SEP]`, at most `maxLength` ids (the text's ids are cut to fit).
    public func encode(_ text: String, maxLength: Int = 512) -> [Int] {
        let maxLength = max(2, maxLength)  // room for [CLS] and [SEP] at least
        var ids = [classifierTokenID]
        ids += encodeWithoutMarkers(text)
        if ids.count > maxLength - 1 { ids.removeLast(ids.count - max(1, maxLength - 1)) }
        ids.append(separatorTokenID)
        return ids
    }

    /// The ids of `text` alone (no [CLS]/[SEP]).
    public func encodeWithoutMarkers(_ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        var ids: [Int] = []
        specialMatcher.split(bytes, ordinary: { range in
            let segment = String(decoding: bytes[range], as: UTF8.self)
            for word in self.words(of: self.normalize(segment)) { ids += self.wordPiece(word) }
        }, special: { ids.append($0) })
        return ids
    }

    /// BertNormalizer (see the type's comment).
    public func normalize(_ text: String) -> String {
        // ASCII is its own NFD form and lower-cases byte by byte: skip the Unicode machinery.
        if lowercase, text.utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.utf8.count)
            for b in text.utf8 {
                switch b {
                case 0x41...0x5A: bytes.append(b | 0x20)
                case 0x09, 0x0A, 0x0D, 0x20: bytes.append(0x20)
                case 0x00...0x1F, 0x7F: continue  // control characters (Cc) are dropped
                default: bytes.append(b)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var cleaned = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
            if Self.isWhitespace(c) {
                cleaned.append(" ")
            } else if Self.isCJK(c.value) {
                cleaned.append(" "); cleaned.append(c); cleaned.append(" ")
            } else {
                cleaned.append(c)
            }
        }
        var result = String(cleaned)
        guard lowercase else { return result }
        var stripped = String.UnicodeScalarView()
        for c in result.decomposedStringWithCanonicalMapping.unicodeScalars where c.properties.generalCategory != .nonspacingMark {
            stripped.append(c)
        }
        result = String(stripped).lowercased()
        return result
    }

    /// BertPreTokenizer: whitespace-separated words, punctuation split off as words of its own.
    func words(of text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for c in text.unicodeScalars {
            if Self.isWhitespace(c) {
                flush()
            } else if Self.isPunctuation(c) {
                flush()
                words.append(String(c))
            } else {
                current.append(c)
            }
        }
        flush()
        return words
    }

    /// Greedy longest-match-first WordPiece of one word.
    func wordPiece(_ word: String) -> [Int] {
        cacheLock.lock()
        let cached = cache[word]
        cacheLock.unlock()
        if let cached { return cached }
        let chars = Array(word.unicodeScalars)
        var ids: [Int] = []
        if chars.count > maxInputCharactersPerWord {
            ids = [unknownTokenID]
        } else {
            var start = 0
            while start < chars.count {
                var end = chars.count
                var found: Int? = nil
                while start < end {
                    var piece = String(String.UnicodeScalarView(chars[start..<end]))
                    if start > 0 { piece = "##" + piece }
                    if let id = vocabulary[piece] { found = id; break }
                    end -= 1
                }
                guard let id = found else { ids = [unknownTokenID]; break }
                ids.append(id)
                start = end
            }
        }
        cacheLock.lock()
        if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
        cache[word] = ids
        cacheLock.unlock()
        return ids
    }

    /// Text for `ids`: tokens joined by spaces, "##" continuations glued on, [CLS]/[SEP]/[PAD] dropped when
    /// `skipSpecialTokens`, then BERT's clean-up of spaces before punctuation and contractions.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws -> String {
        var out = ""
        for id in ids {
            guard id >= 0, id < tokens.count else {
                throw TokenizerError(file: "", field: "token id \(id)", "out of range for a vocabulary of \(tokens.count)")
            }
            if skipSpecialTokens && (id == classifierTokenID || id == separatorTokenID || id == paddingTokenID) { continue }
            let t = tokens[id]
            if t.hasPrefix("##") {
                out += t.dropFirst(2)
            } else {
                if !out.isEmpty { out += " " }
                out += t
            }
        }
        for (a, b) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                       (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            out = out.replacingOccurrences(of: a, with: b)
        }
        return out
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
