import Foundation

/// A Hugging Face `config.json` of a Llama- or GPT-2-family causal LM, or of a BERT encoder.
public struct HuggingFaceConfig: Sendable {
    /// `model_type`: "llama", "gpt2" or "bert".
    public let modelType: String
    public let hyperparameters: ModelHyperparameters
    /// GPT-2's `activation_function` ("gelu_new" is the tanh approximation); Llama's `hidden_act` ("silu").
    public let activation: String
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    /// Every top-level integer field (e.g. BERT's `type_vocab_size`, `pad_token_id`), by key.
    public let integers: [String: Int]

    /// Reads `path` (a config.json, or a directory holding one).
    public init(path: String) throws {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("config.json")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ModelFormatError(.unreadable, file: file, field: "file", "cannot read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw ModelFormatError(.badJSON, file: file, field: "config", "not a JSON object")
        }
        try self.init(json: root, file: file)
    }

    public init(json root: [String: Any], file: String) throws {
        func fail(_ kind: ModelFormatError.Kind, _ field: String, _ detail: String) -> ModelFormatError {
            ModelFormatError(kind, file: file, field: field, detail)
        }
        // Every key is read strictly: `true` is not 1, 5.5 is not 5, and a value of the wrong type
        // is an error naming the key, not its default.
        func present(_ key: String) -> Any? {
            guard let raw = root[key], !(raw is NSNull) else { return nil }
            return raw
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = present(key) else {
                if let value { return value }
                throw fail(.missingField, key, "missing")
            }
            guard let n = JSONScalars.integer(raw) else { throw fail(.invalidValue, key, "expected an integer, found \(JSONScalars.describe(raw))") }
            return n
        }
        func number(_ key: String, default value: Double) throws -> Float {
            guard let raw = present(key) else { return Float(value) }
            guard let n = JSONScalars.number(raw) else { throw fail(.invalidValue, key, "expected a number, found \(JSONScalars.describe(raw))") }
            return n.floatValue
        }
        func flag(_ key: String, default value: Bool) throws -> Bool {
            guard let raw = present(key) else { return value }
            guard let b = JSONScalars.bool(raw) else { throw fail(.invalidValue, key, "expected true or false, found \(JSONScalars.describe(raw))") }
            return b
        }
        func string(_ key: String, default value: String) throws -> String {
            guard let raw = present(key) else { return value }
            guard let s = raw as? String else { throw fail(.invalidValue, key, "expected a string, found \(JSONScalars.describe(raw))") }
            return s
        }
        guard let typeValue = present("model_type") else { throw fail(.missingField, "model_type", "missing") }
        guard let type = typeValue as? String else {
            throw fail(.invalidValue, "model_type", "expected a string, found \(JSONScalars.describe(typeValue))")
        }
        modelType = type
        integers = root.compactMapValues { value in JSONScalars.integer(value) }
        let h: ModelHyperparameters
        switch type {
        case "llama":
            if let scaling = root["rope_scaling"], !(scaling is NSNull) {
                throw fail(.invalidValue, "rope_scaling", "RoPE scaling is not supported")
            }
            if try flag("attention_bias", default: false) || flag("mlp_bias", default: false) {
                throw fail(.invalidValue, "attention_bias", "biases in Llama projections are not supported")
            }
            let width = try int("hidden_size"), heads = try int("num_attention_heads")
            if present("head_dim") != nil, heads > 0, case let headDim = try int("head_dim"), headDim != width / heads {
                throw fail(.invalidValue, "head_dim", "\(headDim) differs from hidden_size / num_attention_heads")
            }
            activation = try string("hidden_act", default: "silu")
            guard activation == "silu" else { throw fail(.invalidValue, "hidden_act", "'\(activation)' is not supported (silu is)") }
            h = ModelHyperparameters(
                family: .llama, layerCount: try int("num_hidden_layers"), headCount: heads,
                keyValueHeadCount: try int("num_key_value_heads", default: heads), embeddingLength: width,
                feedForwardLength: try int("intermediate_size"), vocabularySize: try int("vocab_size"),
                contextLength: try int("max_position_embeddings", default: 2048),
                ropeBase: try number("rope_theta", default: 10_000), ropeDimensionCount: heads > 0 ? width / heads : 0,
                normEpsilon: try number("rms_norm_eps", default: 1e-6),
                tiedEmbeddings: try flag("tie_word_embeddings", default: false))
        case "gpt2":
            if try flag("scale_attn_by_inverse_layer_idx", default: false) || flag("reorder_and_upcast_attn", default: false) {
                throw fail(.invalidValue, "scale_attn_by_inverse_layer_idx", "these GPT-2 attention variants are not supported")
            }
            activation = try string("activation_function", default: "gelu_new")
            guard ["gelu_new", "gelu", "gelu_pytorch_tanh"].contains(activation) else {
                throw fail(.invalidValue, "activation_function", "'\(activation)' is not supported (gelu_new, gelu are)")
            }
            let width = try int("n_embd"), heads = try int("n_head")
            h = ModelHyperparameters(
                family: .gpt2, layerCount: try int("n_layer"), headCount: heads, keyValueHeadCount: heads,
                embeddingLength: width, feedForwardLength: try int("n_inner", default: 4 * width),
                vocabularySize: try int("vocab_size"), contextLength: try int("n_positions", default: 1024),
                ropeBase: 0, ropeDimensionCount: 0, normEpsilon: try number("layer_norm_epsilon", default: 1e-5),
                tiedEmbeddings: try flag("tie_word_embeddings", default: true))
        case "bert":
            activation = try string("hidden_act", default: "gelu")
            guard activation == "gelu" else { throw fail(.invalidValue, "hidden_act", "'\(activation)' is not supported (gelu is)") }
            let heads = try int("num_attention_heads")
            h = ModelHyperparameters(
                family: .bert, layerCount: try int("num_hidden_layers"), headCount: heads, keyValueHeadCount: heads,
                embeddingLength: try int("hidden_size"), feedForwardLength: try int("intermediate_size"),
                vocabularySize: try int("vocab_size"), contextLength: try int("max_position_embeddings", default: 512),
                ropeBase: 0, ropeDimensionCount: 0, normEpsilon: try number("layer_norm_eps", default: 1e-12),
                tiedEmbeddings: false)
        default:
            throw fail(.invalidValue, "model_type", "'\(type)' is not supported (llama, gpt2 and bert are)")
        }
        hyperparameters = try h.validated(file: file)
        // Special token ids index the embedding: one outside the vocabulary would read past it.
        func tokenID(_ key: String) throws -> Int? {
            guard var raw = present(key) else { return nil }
            // eos_token_id may list several ids (Llama 3); generation stops at the first.
            if let list = raw as? [Any] {
                guard let first = list.first else { return nil }
                raw = first
            }
            guard let id = JSONScalars.integer(raw), id >= 0, id < h.vocabularySize else {
                throw fail(.invalidValue, key, "\(JSONScalars.describe(raw)) is not a token id below vocab_size \(h.vocabularySize)")
            }
            return id
        }
        bosTokenID = try tokenID("bos_token_id")
        eosTokenID = try tokenID("eos_token_id")
    }
}
