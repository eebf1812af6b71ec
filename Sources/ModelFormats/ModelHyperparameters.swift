import Foundation

/// The transformer families gfn runs.
public enum ArchitectureFamily: String, Sendable {
    /// RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP (SmolLM2, Llama, Mistral-like).
    case llama
    /// LayerNorm, learned positions, GELU MLP, fused c_attn, Conv1D (transposed) weights.
    case gpt2
    /// BERT encoders (all-MiniLM-L6-v2): post-LayerNorm, learned positions and token types, GELU MLP.
    case bert
}

/// The shape of a transformer, read from GGUF metadata or a Hugging Face `config.json`.
public struct ModelHyperparameters: Sendable, Equatable {
    public var family: ArchitectureFamily
    public var layerCount: Int
    public var headCount: Int
    /// Key/value heads (grouped-query attention); equals `headCount` without GQA.
    public var keyValueHeadCount: Int
    /// The model (residual) width.
    public var embeddingLength: Int
    /// The MLP's inner width.
    public var feedForwardLength: Int
    public var vocabularySize: Int
    /// The longest context the model was trained for.
    public var contextLength: Int
    /// RoPE frequency base θ (Llama family; 0 for GPT-2).
    public var ropeBase: Float
    /// The number of rotated dimensions per head (usually `headDimension`).
    public var ropeDimensionCount: Int
    /// ε of RMSNorm (Llama) or LayerNorm (GPT-2).
    public var normEpsilon: Float
    /// Whether the output projection reuses the token embedding matrix.
    public var tiedEmbeddings: Bool

    public var headDimension: Int { headCount == 0 ? 0 : embeddingLength / headCount }

    public init(family: ArchitectureFamily, layerCount: Int, headCount: Int, keyValueHeadCount: Int, embeddingLength: Int,
                feedForwardLength: Int, vocabularySize: Int, contextLength: Int, ropeBase: Float, ropeDimensionCount: Int,
                normEpsilon: Float, tiedEmbeddings: Bool) {
        self.family = family
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.ropeBase = ropeBase
        self.ropeDimensionCount = ropeDimensionCount
        self.normEpsilon = normEpsilon
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Checks the relations the transformer relies on; `file` and `source` name where the values came from.
    func validated(file: String) throws -> ModelHyperparameters {
        func bad(_ field: String, _ detail: String) -> ModelFormatError {
            ModelFormatError(.invalidValue, file: file, field: field, detail)
        }
        let limit = 1 << 20
        for (name, value) in [("layer count", layerCount), ("head count", headCount), ("key/value head count", keyValueHeadCount),
                              ("embedding length", embeddingLength), ("feed-forward length", feedForwardLength),
                              ("vocabulary size", vocabularySize), ("context length", contextLength)] {
            guard value > 0, value <= (name == "context length" ? 1 << 24 : limit) else {
                throw bad(name, "\(value) is not a plausible value")
            }
        }
        guard embeddingLength % headCount == 0 else {
            throw bad("head count", "the embedding length \(embeddingLength) is not a multiple of \(headCount) heads")
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw bad("key/value head count", "\(headCount) heads are not a multiple of \(keyValueHeadCount) key/value heads")
        }
        if family == .llama {
            guard ropeDimensionCount > 0, ropeDimensionCount <= headDimension, ropeDimensionCount % 2 == 0 else {
                throw bad("rope dimension count", "\(ropeDimensionCount) rotated dimensions for heads of \(headDimension)")
            }
            guard ropeBase > 0, ropeBase.isFinite else { throw bad("rope base", "\(ropeBase) is not a positive number") }
        }
        guard normEpsilon > 0, normEpsilon < 1 else { throw bad("norm epsilon", "\(normEpsilon) is not in (0, 1)") }
        return self
    }
}

extension GGUFFile {
    /// The metadata value of `key`, or a `missingField` error naming it.
    public func require(_ key: String) throws -> GGUFValue {
        guard let value = metadata[key] else {
            throw ModelFormatError(.missingField, file: path, field: "metadata '\(key)'", "the key is missing")
        }
        return value
    }

    public func requireInt(_ key: String) throws -> Int {
        let value = try require(key)
        guard let n = value.intValue else {
            throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'", "expected an integer, found \(value.type)")
        }
        return n
    }

    public func requireFloat(_ key: String) throws -> Float {
        let value = try require(key)
        guard let x = value.doubleValue else {
            throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'", "expected a number, found \(value.type)")
        }
        return Float(x)
    }

    public func requireString(_ key: String) throws -> String {
        let value = try require(key)
        guard let s = value.stringValue else {
            throw ModelFormatError(.invalidValue, file: path, field: "metadata '\(key)'", "expected a string, found \(value.type)")
        }
        return s
    }

    /// `general.architecture` ("llama" for SmolLM2).
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// The transformer's shape from `<arch>.*` keys. Llama-family architectures only (the GGUF files gfn
    /// reads); tied embeddings means the file has no `output.weight` tensor.
    public func hyperparameters() throws -> ModelHyperparameters {
        let arch = try requireString("general.architecture")
        guard ["llama", "mistral", "qwen2"].contains(arch) else {
            throw ModelFormatError(.invalidValue, file: path, field: "metadata 'general.architecture'",
                                   "architecture '\(arch)' is not supported (llama is)")
        }
        let heads = try requireInt("\(arch).attention.head_count")
        let width = try requireInt("\(arch).embedding_length")
        let kvHeads = metadata["\(arch).attention.head_count_kv"]?.intValue ?? heads
        let vocab = metadata["\(arch).vocab_size"]?.intValue
            ?? metadata["tokenizer.ggml.tokens"]?.arrayValue?.count
            ?? tensorInfo("token_embd.weight")?.rowCount ?? 0
        let headDim = heads > 0 ? width / heads : 0
        return try ModelHyperparameters(
            family: .llama,
            layerCount: try requireInt("\(arch).block_count"),
            headCount: heads,
            keyValueHeadCount: kvHeads,
            embeddingLength: width,
            feedForwardLength: try requireInt("\(arch).feed_forward_length"),
            vocabularySize: vocab,
            contextLength: try requireInt("\(arch).context_length"),
            ropeBase: metadata["\(arch).rope.freq_base"].flatMap { $0.doubleValue }.map(Float.init) ?? 10_000,
            ropeDimensionCount: metadata["\(arch).rope.dimension_count"]?.intValue ?? headDim,
            normEpsilon: try requireFloat("\(arch).attention.layer_norm_rms_epsilon"),
            tiedEmbeddings: tensorInfo("output.weight") == nil
        ).validated(file: path)
    }
}
