import Foundation
import ModelFormats
import Tensors

/// Building a `Transformer` from a GGUF file, a Hugging Face checkpoint directory, or random weights.
extension Transformer {
    /// Loads a Llama-family GGUF file. With `.quantized` the projections, the token embedding and the LM
    /// head whose blocks the kernels take (Q4_0, Q4_1, Q8_0, Q6_K, F16, BF16) stay in the mapped file and
    /// are read in place (the embedding dequantises only the looked-up rows); everything else (norms, other
    /// block types) is dequantised to Float32, as `.float32` does for every tensor. GGUF stores the q and k rows permuted for adjacent-pair RoPE; they are put back in
    /// Hugging Face order here, so the model uses `rotate_half` RoPE like transformers and LoRA adapters
    /// line up with PEFT's.
    public static func load(gguf file: GGUFFile, weights precision: WeightPrecision = .quantized) throws -> Transformer {
        let h = try file.hyperparameters()
        let meta = try? file.tokenizerMetadata()
        let config = ModelConfig(hyperparameters: h, bosTokenID: meta?.bosTokenID, eosTokenID: meta?.eosTokenID)
        let r = WeightReader(source: GGUFWeights(file: file))
        let (c, d, hq, hkv, f, v) = (config.width, config.headDimension, config.headCount, config.keyValueHeadCount,
                                     config.feedForwardLength, config.vocabularySize)
        // The rotary un-permutation pairs rows within a head, so a head size must be even and positive.
        guard d > 0, d % 2 == 0 else {
            throw LanguageModelError(file.path, "head dimension \(d) (embedding_length / head_count) must be even for rotary embeddings")
        }
        let q8 = GGUFQuantizedWeights(file: file)
        if precision == .quantized {
            /// A [vocab, width] table in its blocks, or Float32 when its block type is not taken.
            func table(_ name: String) throws -> ProjectionWeight {
                try q8.matrix(name, [v, c]).map { .quantized($0) } ?? .dense(try r.tensor(name, [v, c]))
            }
            let embedding = try table("token_embd.weight")
            // Row j of the Hugging Face order is stored row order[j].
            func rowOrder(heads: Int) -> [Int] {
                RotaryPermutation.toHuggingFaceOrder((0..<(heads * d)).map(Float.init), heads: heads, headDimension: d, columns: 1).map { Int($0) }
            }
            let qOrder = rowOrder(heads: hq), kOrder = rowOrder(heads: hkv)
            var layers: [TransformerLayer] = []
            for i in 0..<config.layerCount {
                let p = "blk.\(i)."
                func dense(_ names: [String], _ shapes: [[Int]], orders: [[Int]?]) throws -> Tensor {
                    var parts: [[Float]] = []
                    for (j, name) in names.enumerated() {
                        let w = try r.require(name, shapes[j])
                        parts.append(orders[j].map { o in o.flatMap { w[($0 * shapes[j][1])..<($0 * shapes[j][1] + shapes[j][1])] } } ?? w)
                    }
                    return try WeightReader.stack(parts, columns: shapes[0][1])
                }
                /// The blocks of `names` stacked, or their float32 values when a block type is not taken or the parts differ in type.
                func weight(_ names: [String], _ shapes: [[Int]], orders: [[Int]?]) throws -> ProjectionWeight {
                    var parts: [QuantizedMatrix] = []
                    for (j, name) in names.enumerated() {
                        guard let m = try q8.matrix(name, shapes[j]) else { return .dense(try dense(names, shapes, orders: orders)) }
                        parts.append(try orders[j].map { try m.permutingRows($0) } ?? m)
                    }
                    guard let stacked = QuantizedMatrix.stacking(parts) else { return .dense(try dense(names, shapes, orders: orders)) }
                    return .quantized(stacked)
                }
                layers.append(try llamaLayer(
                    index: i, config: config,
                    attentionNorm: try r.tensor(p + "attn_norm.weight", [c]),
                    qkv: try weight([p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight"],
                                    [[hq * d, c], [hkv * d, c], [hkv * d, c]], orders: [qOrder, kOrder, nil]),
                    output: try weight([p + "attn_output.weight"], [[c, hq * d]], orders: [nil]),
                    mlpNorm: try r.tensor(p + "ffn_norm.weight", [c]),
                    gateUp: try weight([p + "ffn_gate.weight", p + "ffn_up.weight"], [[f, c], [f, c]], orders: [nil, nil]),
                    down: try weight([p + "ffn_down.weight"], [[c, f]], orders: [nil])))
            }
            let output = h.tiedEmbeddings ? embedding : try table("output.weight")
            return try Transformer(config: config, tokenEmbedding: embedding, positionEmbedding: nil, layers: layers,
                                   finalNorm: .rms(weight: try r.tensor("output_norm.weight", [c]), epsilon: h.normEpsilon),
                                   outputWeight: output)
        }
        let embedding = ProjectionWeight.dense(try r.tensor("token_embd.weight", [v, c]))
        var layers: [TransformerLayer] = []
        for i in 0..<config.layerCount {
            let p = "blk.\(i)."
            let q = RotaryPermutation.toHuggingFaceOrder(try r.require(p + "attn_q.weight", [hq * d, c]), heads: hq,
                                                         headDimension: d, columns: c)
            let k = RotaryPermutation.toHuggingFaceOrder(try r.require(p + "attn_k.weight", [hkv * d, c]), heads: hkv,
                                                         headDimension: d, columns: c)
            let vw = try r.require(p + "attn_v.weight", [hkv * d, c])
            layers.append(try llamaLayer(
                index: i, config: config,
                attentionNorm: try r.tensor(p + "attn_norm.weight", [c]),
                qkv: .dense(try WeightReader.stack([q, k, vw], columns: c)),
                output: .dense(try r.tensor(p + "attn_output.weight", [c, hq * d])),
                mlpNorm: try r.tensor(p + "ffn_norm.weight", [c]),
                gateUp: .dense(try WeightReader.stack([try r.require(p + "ffn_gate.weight", [f, c]),
                                                       try r.require(p + "ffn_up.weight", [f, c])], columns: c)),
                down: .dense(try r.tensor(p + "ffn_down.weight", [c, f]))))
        }
        let output = h.tiedEmbeddings ? embedding : .dense(try r.tensor("output.weight", [v, c]))
        return try Transformer(config: config, tokenEmbedding: embedding, positionEmbedding: nil, layers: layers,
                               finalNorm: .rms(weight: try r.tensor("output_norm.weight", [c]), epsilon: h.normEpsilon),
                               outputWeight: output)
    }

    /// Loads a Hugging Face checkpoint directory (config.json + model.safetensors, or shards with
    /// model.safetensors.index.json) of the Llama or GPT-2 family.
    public static func load(huggingFaceDirectory directory: String) throws -> Transformer {
        let hf = try HuggingFaceConfig(path: directory)
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        let source = SafetensorsWeights(checkpoint: checkpoint, path: directory)
        let config = ModelConfig(hyperparameters: hf.hyperparameters, bosTokenID: hf.bosTokenID, eosTokenID: hf.eosTokenID)
        switch config.family {
        case .llama: return try loadLlama(WeightReader(source: source), config)
        case .gpt2:
            guard hf.activation != "gelu" else {
                throw LanguageModelError(directory, "activation_function 'gelu' (erf form) is not supported; gelu_new and gelu_pytorch_tanh are")
            }
            return try loadGPT2(WeightReader(source: source), config)
        case .bert:
            throw LanguageModelError(directory, "a BERT encoder is not a causal language model (Transformer runs llama and gpt2)")
        }
    }

    private static func loadLlama(_ r: WeightReader, _ config: ModelConfig) throws -> Transformer {
        let (c, d, hq, hkv, f, v) = (config.width, config.headDimension, config.headCount, config.keyValueHeadCount,
                                     config.feedForwardLength, config.vocabularySize)
        let eps = config.hyperparameters.normEpsilon
        let embedding = ProjectionWeight.dense(try r.tensor("model.embed_tokens.weight", [v, c]))
        var layers: [TransformerLayer] = []
        for i in 0..<config.layerCount {
            let p = "model.layers.\(i)."
            layers.append(try llamaLayer(
                index: i, config: config,
                attentionNorm: try r.tensor(p + "input_layernorm.weight", [c]),
                qkv: .dense(try WeightReader.stack([try r.require(p + "self_attn.q_proj.weight", [hq * d, c]),
                                                    try r.require(p + "self_attn.k_proj.weight", [hkv * d, c]),
                                                    try r.require(p + "self_attn.v_proj.weight", [hkv * d, c])], columns: c)),
                output: .dense(try r.tensor(p + "self_attn.o_proj.weight", [c, hq * d])),
                mlpNorm: try r.tensor(p + "post_attention_layernorm.weight", [c]),
                gateUp: .dense(try WeightReader.stack([try r.require(p + "mlp.gate_proj.weight", [f, c]),
                                                       try r.require(p + "mlp.up_proj.weight", [f, c])], columns: c)),
                down: .dense(try r.tensor(p + "mlp.down_proj.weight", [c, f]))))
        }
        let output = config.hyperparameters.tiedEmbeddings ? embedding : .dense(try r.outputHead("lm_head.weight", [v, c]))
        return try Transformer(config: config, tokenEmbedding: embedding, positionEmbedding: nil, layers: layers,
                               finalNorm: .rms(weight: try r.tensor("model.norm.weight", [c]), epsilon: eps),
                               outputWeight: output)
    }

    private static func loadGPT2(_ r: WeightReader, _ config: ModelConfig) throws -> Transformer {
        let (c, f, v) = (config.width, config.feedForwardLength, config.vocabularySize)
        let eps = config.hyperparameters.normEpsilon
        // Checkpoints saved from GPT2LMHeadModel prefix "transformer."; the original hub files do not.
        let prefix = r.source.shape(of: "transformer.wte.weight") != nil ? "transformer." : ""
        func norm(_ name: String) throws -> Norm {
            .layer(weight: try r.tensor(prefix + name + ".weight", [c]), bias: try r.tensor(prefix + name + ".bias", [c]), epsilon: eps)
        }
        /// A Conv1D weight [in, out] as a [out, in] tensor, with its bias.
        func conv1D(_ name: String, _ inFeatures: Int, _ outFeatures: Int) throws -> (Tensor, Tensor) {
            let w = try r.require(prefix + name + ".weight", [inFeatures, outFeatures])
            let weight = try Tensor(shape: [outFeatures, inFeatures],
                                    scalars: WeightReader.transpose(w, rows: inFeatures, columns: outFeatures))
            return (weight, try r.tensor(prefix + name + ".bias", [outFeatures]))
        }
        let embedding = ProjectionWeight.dense(try r.tensor(prefix + "wte.weight", [v, c]))
        let positions = try r.tensor(prefix + "wpe.weight", [config.contextLength, c])
        var layers: [TransformerLayer] = []
        for i in 0..<config.layerCount {
            let p = "h.\(i)."
            let path = "transformer.h.\(i)."
            let (attnW, attnB) = try conv1D(p + "attn.c_attn", c, 3 * c)
            let (projW, projB) = try conv1D(p + "attn.c_proj", c, c)
            let (fcW, fcB) = try conv1D(p + "mlp.c_fc", c, f)
            let (downW, downB) = try conv1D(p + "mlp.c_proj", f, c)
            layers.append(TransformerLayer(
                attentionNorm: try norm(p + "ln_1"),
                qkv: Projection(weight: attnW, bias: attnB, segments: [.init(name: "c_attn", modulePath: path + "attn.c_attn", rows: 0..<(3 * c))]),
                output: Projection(weight: projW, bias: projB, segments: [.init(name: "c_proj", modulePath: path + "attn.c_proj", rows: 0..<c)]),
                mlpNorm: try norm(p + "ln_2"),
                up: Projection(weight: fcW, bias: fcB, segments: [.init(name: "c_fc", modulePath: path + "mlp.c_fc", rows: 0..<f)]),
                down: Projection(weight: downW, bias: downB, segments: [.init(name: "c_proj", modulePath: path + "mlp.c_proj", rows: 0..<c)])))
        }
        let output = config.hyperparameters.tiedEmbeddings ? embedding : .dense(try r.outputHead("lm_head.weight", [v, c]))
        return try Transformer(config: config, tokenEmbedding: embedding, positionEmbedding: positions, layers: layers,
                               finalNorm: try norm("ln_f"), outputWeight: output)
    }

    /// A Llama block from fused weights: qkv [(Hq+2Hkv)·D, C], gateUp [2F, C].
    static func llamaLayer(index i: Int, config: ModelConfig, attentionNorm: Tensor, qkv: ProjectionWeight, output: ProjectionWeight,
                           mlpNorm: Tensor, gateUp: ProjectionWeight, down: ProjectionWeight) throws -> TransformerLayer {
        let (d, hq, hkv, f) = (config.headDimension, config.headCount, config.keyValueHeadCount, config.feedForwardLength)
        let eps = config.hyperparameters.normEpsilon
        let attn = "model.layers.\(i).self_attn.", mlp = "model.layers.\(i).mlp."
        let qRows = hq * d, kvRows = hkv * d
        return TransformerLayer(
            attentionNorm: .rms(weight: attentionNorm, epsilon: eps),
            qkv: Projection(weight: qkv, bias: nil, segments: [
                .init(name: "q_proj", modulePath: attn + "q_proj", rows: 0..<qRows),
                .init(name: "k_proj", modulePath: attn + "k_proj", rows: qRows..<(qRows + kvRows)),
                .init(name: "v_proj", modulePath: attn + "v_proj", rows: (qRows + kvRows)..<(qRows + 2 * kvRows)),
            ]),
            output: Projection(weight: output, bias: nil, segments: [.init(name: "o_proj", modulePath: attn + "o_proj", rows: 0..<config.width)]),
            mlpNorm: .rms(weight: mlpNorm, epsilon: eps),
            up: Projection(weight: gateUp, bias: nil, segments: [
                .init(name: "gate_proj", modulePath: mlp + "gate_proj", rows: 0..<f),
                .init(name: "up_proj", modulePath: mlp + "up_proj", rows: f..<(2 * f)),
            ]),
            down: Projection(weight: down, bias: nil, segments: [.init(name: "down_proj", modulePath: mlp + "down_proj", rows: 0..<config.width)]))
    }

    /// A model with seeded random weights (normal, `standardDeviation`; norm weights 1 + small noise), for
    /// tests and examples. Larger deviations give peakier next-token distributions.
    public static func random(_ config: ModelConfig, seed: UInt64, standardDeviation: Float = 0.1) throws -> Transformer {
        guard config.family != .bert else { throw LanguageModelError("Transformer.random", "BERT is not a causal language model") }
        var g = RandomGenerator(seed: seed)
        let (c, d, hq, hkv, f, v) = (config.width, config.headDimension, config.headCount, config.keyValueHeadCount,
                                     config.feedForwardLength, config.vocabularySize)
        func normal(_ shape: [Int]) throws -> Tensor {
            try Tensor.randomNormal(shape, standardDeviation: standardDeviation, using: &g)
        }
        func ones(_ n: Int) throws -> Tensor { try Tensor.randomNormal([n], mean: 1, standardDeviation: 0.05, using: &g) }
        let eps = config.hyperparameters.normEpsilon
        let embedding = ProjectionWeight.dense(try normal([v, c]))
        var layers: [TransformerLayer] = []
        for i in 0..<config.layerCount {
            switch config.family {
            case .llama:
                layers.append(try llamaLayer(index: i, config: config, attentionNorm: try ones(c),
                                             qkv: .dense(try normal([(hq + 2 * hkv) * d, c])), output: .dense(try normal([c, hq * d])),
                                             mlpNorm: try ones(c), gateUp: .dense(try normal([2 * f, c])), down: .dense(try normal([c, f]))))
            case .gpt2, .bert:
                let path = "transformer.h.\(i)."
                layers.append(TransformerLayer(
                    attentionNorm: .layer(weight: try ones(c), bias: try normal([c]), epsilon: eps),
                    qkv: Projection(weight: try normal([3 * c, c]), bias: try normal([3 * c]),
                                    segments: [.init(name: "c_attn", modulePath: path + "attn.c_attn", rows: 0..<(3 * c))]),
                    output: Projection(weight: try normal([c, c]), bias: try normal([c]),
                                       segments: [.init(name: "c_proj", modulePath: path + "attn.c_proj", rows: 0..<c)]),
                    mlpNorm: .layer(weight: try ones(c), bias: try normal([c]), epsilon: eps),
                    up: Projection(weight: try normal([f, c]), bias: try normal([f]),
                                   segments: [.init(name: "c_fc", modulePath: path + "mlp.c_fc", rows: 0..<f)]),
                    down: Projection(weight: try normal([c, f]), bias: try normal([c]),
                                     segments: [.init(name: "c_proj", modulePath: path + "mlp.c_proj", rows: 0..<c)])))
            }
        }
        let finalNorm: Norm = config.family == .llama
            ? .rms(weight: try ones(c), epsilon: eps) : .layer(weight: try ones(c), bias: try normal([c]), epsilon: eps)
        return try Transformer(config: config, tokenEmbedding: embedding,
                               positionEmbedding: config.family == .gpt2 ? try normal([config.contextLength, c]) : nil,
                               layers: layers, finalNorm: finalNorm, outputWeight: embedding)
    }
}
