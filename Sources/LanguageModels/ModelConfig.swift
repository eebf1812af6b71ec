import ModelFormats

/// The shape and per-family choices of a transformer: the hyperparameters read from a GGUF file or a
/// Hugging Face `config.json`, plus the pieces that differ between families.
///
/// | piece | Llama family | GPT-2 family |
/// |---|---|---|
/// | norm | RMSNorm (weight) | LayerNorm (weight, bias) |
/// | positions | RoPE, `rotate_half` pairing | learned table `wpe` |
/// | attention projections | q, k, v (no bias), grouped-query | fused `c_attn` with bias |
/// | MLP | SwiGLU: down(silu(gate)·up) | c_proj(gelu_tanh(c_fc)) with biases |
///
/// q/k rows are always kept in Hugging Face's (half-split) order; GGUF files are un-permuted at load.
public struct ModelConfig: Sendable, Equatable {
    public var hyperparameters: ModelHyperparameters
    /// Token ids the checkpoint names (nil where it names none).
    public var bosTokenID: Int?
    public var eosTokenID: Int?

    public init(hyperparameters: ModelHyperparameters, bosTokenID: Int? = nil, eosTokenID: Int? = nil) {
        self.hyperparameters = hyperparameters
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    public var family: ArchitectureFamily { hyperparameters.family }
    public var layerCount: Int { hyperparameters.layerCount }
    public var headCount: Int { hyperparameters.headCount }
    public var keyValueHeadCount: Int { hyperparameters.keyValueHeadCount }
    public var headDimension: Int { hyperparameters.headDimension }
    /// The residual width C.
    public var width: Int { hyperparameters.embeddingLength }
    public var feedForwardLength: Int { hyperparameters.feedForwardLength }
    public var vocabularySize: Int { hyperparameters.vocabularySize }
    public var contextLength: Int { hyperparameters.contextLength }

    /// The projections LoRA can target in this family (PEFT's `target_modules` names).
    public var projectionNames: [String] {
        switch family {
        case .llama: return ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        case .gpt2: return ["c_attn", "c_proj", "c_fc"]
        case .bert: return []
        }
    }

    /// A small random-weight configuration for tests and examples.
    public static func tiny(family: ArchitectureFamily, layers: Int = 2, heads: Int = 4, keyValueHeads: Int? = nil,
                            width: Int = 32, feedForward: Int = 64, vocabulary: Int = 64, context: Int = 128) -> ModelConfig {
        ModelConfig(hyperparameters: ModelHyperparameters(
            family: family, layerCount: layers, headCount: heads, keyValueHeadCount: keyValueHeads ?? heads,
            embeddingLength: width, feedForwardLength: feedForward, vocabularySize: vocabulary, contextLength: context,
            ropeBase: family == .llama ? 10_000 : 0, ropeDimensionCount: family == .llama ? width / heads : 0,
            normEpsilon: 1e-5, tiedEmbeddings: true))
    }
}
