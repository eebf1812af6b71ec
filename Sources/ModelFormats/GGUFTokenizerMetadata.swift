/// The tokenizer stored in a GGUF file's `tokenizer.*` keys, as plain arrays (the Tokenizers module builds a
/// byte-level BPE from them without depending on this module).
public struct GGUFTokenizerMetadata: Sendable {
    /// `tokenizer.ggml.model`: "gpt2" for byte-level BPE (SmolLM2), "llama" for SentencePiece.
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokeniser's name ("smollm", "gpt-2", "llama-bpe", …), if stored.
    public var preTokenizer: String?
    /// Token strings by id, in the byte-to-unicode alphabet for byte-level BPE ("Ġthe").
    public var tokens: [String]
    /// llama.cpp token types by id: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]
    /// Merge rules in rank order, each "left right".
    public var merges: [String]
    public var bosTokenID: Int?
    public var eosTokenID: Int?
    public var unknownTokenID: Int?
    public var paddingTokenID: Int?
    public var addBOS: Bool
    public var addEOS: Bool
    /// The Jinja chat template (`tokenizer.chat_template`), if any.
    public var chatTemplate: String?
}

extension GGUFFile {
    /// The `tokenizer.*` metadata, checked: every id in range, token types as long as the token list.
    public func tokenizerMetadata() throws -> GGUFTokenizerMetadata {
        func strings(_ key: String) throws -> [String] {
            guard let items = try require(key).arrayValue else {
                throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'", "expected an array of strings")
            }
            return try items.enumerated().map { i, item in
                guard let s = item.stringValue else {
                    throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'[\(i)]", "expected a string, found \(item.type)")
                }
                return s
            }
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        let merges = metadata["tokenizer.ggml.merges"] == nil ? [] : try strings("tokenizer.ggml.merges")
        var types: [Int32] = []
        if let stored = metadata["tokenizer.ggml.token_type"] {
            guard let items = stored.arrayValue, items.count == tokens.count else {
                throw ModelFormatError(.invalidValue, file: path, field: "metadata 'tokenizer.ggml.token_type'",
                                       "expected an array of \(tokens.count) integers")
            }
            types = try items.enumerated().map { i, item in
                guard let t = item.intValue, let t32 = Int32(exactly: t) else {
                    throw ModelFormatError(.invalidValue, file: path, field: "metadata 'tokenizer.ggml.token_type'[\(i)]",
                                           "expected an integer, found \(item.type)")
                }
                return t32
            }
        } else {
            types = Array(repeating: 1, count: tokens.count)
        }
        func id(_ key: String) throws -> Int? {
            guard let value = metadata[key] else { return nil }
            guard let n = value.intValue, n >= 0, n < tokens.count else {
                throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'",
                                       "\(value) is not a token id below \(tokens.count)")
            }
            return n
        }
        return GGUFTokenizerMetadata(
            model: try requireString("tokenizer.ggml.model"),
            preTokenizer: metadata["tokenizer.ggml.pre"]?.stringValue,
            tokens: tokens,
            tokenTypes: types,
            merges: merges,
            bosTokenID: try id("tokenizer.ggml.bos_token_id"),
            eosTokenID: try id("tokenizer.ggml.eos_token_id"),
            unknownTokenID: try id("tokenizer.ggml.unknown_token_id"),
            paddingTokenID: try id("tokenizer.ggml.padding_token_id"),
            addBOS: metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? false,
            addEOS: metadata["tokenizer.ggml.add_eos_token"]?.boolValue ?? false,
            chatTemplate: metadata["tokenizer.chat_template"]?.stringValue)
    }
}
