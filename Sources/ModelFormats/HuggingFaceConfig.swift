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
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = root[key], !(raw is NSNull) else {
                if let value { return value }
                throw fail(.missingField, key, "missing")
            }
            guard let n = SafetensorsFile.integer(raw) else { throw fail(.invalidValue, key, "expected an integer, found \(raw)") }
            return n
        }
        func number(_ key: String, default value: Double) throws -> Float {
            guard let raw = root[key], !(raw is NSNull) else { return Float(value) }
            guard let n = raw as? NSNumber else { throw fail(.invalidValue, key, "expected a number, found \(raw)") }
            return n.floatValue
        }
        func flag(_ key: String, default value: Bool) -> Bool {
            (root[key] as? NSNumber)?.boolValue ?? value
        }
        func optionalID(_ key: String) -> Int? {
            root[key].flatMap { SafetensorsFile.integer($0) }
        }
        guard let type = root["model_type"] as? String else { throw fail(.missingField, "model_type", "missing") }
        modelType = type
        integers = root.compactMapValues { value in value is String ? nil : SafetensorsFile.integer(value) }
        bosTokenID = optionalID("bos_token_id")
        eosTokenID = optionalID("eos_token_id")
        let h: ModelHyperparameters
        switch type {
        case "llama":
            if let scaling = root["rope_scaling"], !(scaling is NSNull) {
                throw fail(.invalidValue, "rope_scaling", "RoPE scaling is not supported")
            }
            if flag("attention_bias", default: false) || flag("mlp_bias", default: false) {
                throw fail(.invalidValue, "attention_bias", "biases in Llama projections are not supported")
            }
            let width = try int("hidden_size"), heads = try int("num_attention_heads")
            if let headDim = root["head_dim"].flatMap({ SafetensorsFile.integer($0) }), heads > 0, headDim != width / heads {
                throw fail(.invalidValue, "head_dim", "\(headDim) differs from hidden_size / num_attention_heads")
            }
            activation = root["hidden_act"] as? String ?? "silu"
            guard activation == "silu" else { throw fail(.invalidValue, "hidden_act", "'\(activation)' is not supported (silu is)") }
            h = ModelHyperparameters(
                family: .llama, layerCount: try int("num_hidden_layers"), headCount: heads,
                keyValueHeadCount: try int("num_key_value_heads", default: heads), embeddingLength: width,
                feedForwardLength: try int("intermediate_size"), vocabularySize: try int("vocab_size"),
                contextLength: try int("max_position_embeddings", default: 2048),
                ropeBase: try number("rope_theta", default: 10_000), ropeDimensionCount: heads > 0 ? width / heads : 0,
                normEpsilon: try number("rms_norm_eps", default: 1e-6),
                tiedEmbeddings: flag("tie_word_embeddings", default: false))
        case "gpt2":
            if flag("scale_attn_by_inverse_layer_idx", default: false) || flag("reorder_and_upcast_attn", default: false) {
                throw fail(.invalidValue, "scale_attn_by_inverse_layer_idx", "these GPT-2 attention variants are not supported")
            }
            activation = root["activation_function"] as? String ?? "gelu_new"
            guard ["gelu_new", "gelu", "gelu_pytorch_tanh"].contains(activation) else {
                throw fail(.invalidValue, "activation_function", "'\(activation)' is not supported (gelu_new, gelu are)")
            }
            let width = try int("n_embd"), heads = try int("n_head")
            h = ModelHyperparameters(
                family: .gpt2, layerCount: try int("n_layer"), headCount: heads, keyValueHeadCount: heads,
                embeddingLength: width, feedForwardLength: try int("n_inner", default: 4 * width),
                vocabularySize: try int("vocab_size"), contextLength: try int("n_positions", default: 1024),
                ropeBase: 0, ropeDimensionCount: 0, normEpsilon: try number("layer_norm_epsilon", default: 1e-5),
                tiedEmbeddings: flag("tie_word_embeddings", default: true))
        case "bert":
            activation = root["hidden_act"] as? String ?? "gelu"
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
    }
}
