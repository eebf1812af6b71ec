import Foundation
import ModelFormats
import Tensors

/// A BERT encoder (Hugging Face `BertModel`, e.g. all-MiniLM-L6-v2) for inference: bidirectional
/// attention over right-padded rows, frozen Float32 weights, no autograd graph.
///
/// Per row of ids: x = LayerNorm(word[id] + position[i] + tokenType[0]), then per layer (post-LN):
///   x = LayerNorm(x + Wo·attention(q, k, v) + bo)      with q, k, v = one fused projection of x
///   x = LayerNorm(x + W2·gelu(W1·x + b1) + b2)          gelu = the exact erf form, as BERT's "gelu"
/// Padded keys are hidden from attention with a −inf mask, so a row's states do not depend on
/// how long the other rows of its batch are. The pooler (`pooler.dense`) is not used.
public final class BertEncoder: @unchecked Sendable {
    public let config: ModelConfig
    /// [V, C]
    let wordEmbedding: Tensor
    /// [P, C]
    let positionEmbedding: Tensor
    /// [C]: token type 0 (every sentence is a single segment).
    let tokenTypeEmbedding: Tensor
    let embeddingNorm: Norm
    let layers: [BertLayer]

    init(config: ModelConfig, wordEmbedding: Tensor, positionEmbedding: Tensor, tokenTypeEmbedding: Tensor,
         embeddingNorm: Norm, layers: [BertLayer]) {
        self.config = config
        self.wordEmbedding = wordEmbedding
        self.positionEmbedding = positionEmbedding
        self.tokenTypeEmbedding = tokenTypeEmbedding
        self.embeddingNorm = embeddingNorm
        self.layers = layers
    }

    /// The width of the hidden states (384 for MiniLM-L6).
    public var width: Int { config.width }
    /// The longest row the learned position table allows.
    public var maxPositions: Int { positionEmbedding.shape[0] }

    /// Loads a Hugging Face `BertModel` folder: config.json (model_type "bert") and model.safetensors
    /// (or shards). Tensor names may carry a "bert." prefix (BertFor… checkpoints).
    public static func load(directory: String) throws -> BertEncoder {
        let hf = try HuggingFaceConfig(path: directory)
        guard hf.modelType == "bert" else {
            throw LanguageModelError(directory, "model_type is '\(hf.modelType)', a BERT encoder ('bert') is needed")
        }
        let checkpoint = try SafetensorsCheckpoint(path: directory)
        let prefix = checkpoint.tensorInfo("embeddings.word_embeddings.weight") == nil
            && checkpoint.tensorInfo("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        let r = WeightReader(source: SafetensorsWeights(checkpoint: checkpoint, path: directory))
        let config = ModelConfig(hyperparameters: hf.hyperparameters)
        let (c, f, v, p) = (config.width, config.feedForwardLength, config.vocabularySize, config.contextLength)
        let types = hf.integers["type_vocab_size"] ?? 2
        guard types >= 1 else { throw LanguageModelError(directory, "type_vocab_size is \(types), at least 1 is needed") }
        guard config.headCount > 0, c % config.headCount == 0 else {
            throw LanguageModelError(directory, "hidden_size \(c) is not a multiple of num_attention_heads \(config.headCount)")
        }
        let eps = config.hyperparameters.normEpsilon
        func norm(_ name: String) throws -> Norm {
            .layer(weight: try r.tensor(prefix + name + ".weight", [c]), bias: try r.tensor(prefix + name + ".bias", [c]),
                   epsilon: eps)
        }
        let typeTable = try r.require(prefix + "embeddings.token_type_embeddings.weight", [types, c])
        var layers: [BertLayer] = []
        for i in 0..<config.layerCount {
            let l = prefix + "encoder.layer.\(i)."
            let a = l + "attention.self."
            let qkvWeight = try WeightReader.stack([try r.require(a + "query.weight", [c, c]),
                                                    try r.require(a + "key.weight", [c, c]),
                                                    try r.require(a + "value.weight", [c, c])], columns: c)
            let qkvBias = try Tensor(shape: [3 * c], scalars: try r.require(a + "query.bias", [c])
                                     + r.require(a + "key.bias", [c]) + r.require(a + "value.bias", [c]))
            layers.append(BertLayer(
                heads: config.headCount, qkvWeight: qkvWeight, qkvBias: qkvBias,
                outputWeight: try r.tensor(l + "attention.output.dense.weight", [c, c]),
                outputBias: try r.tensor(l + "attention.output.dense.bias", [c]),
                attentionNorm: try norm("encoder.layer.\(i).attention.output.LayerNorm"),
                upWeight: try r.tensor(l + "intermediate.dense.weight", [f, c]),
                upBias: try r.tensor(l + "intermediate.dense.bias", [f]),
                downWeight: try r.tensor(l + "output.dense.weight", [c, f]),
                downBias: try r.tensor(l + "output.dense.bias", [c]),
                outputNorm: try norm("encoder.layer.\(i).output.LayerNorm")))
        }
        return BertEncoder(config: config,
                           wordEmbedding: try r.tensor(prefix + "embeddings.word_embeddings.weight", [v, c]),
                           positionEmbedding: try r.tensor(prefix + "embeddings.position_embeddings.weight", [p, c]),
                           tokenTypeEmbedding: try Tensor(shape: [c], scalars: Array(typeTable[0..<c])),
                           embeddingNorm: try norm("embeddings.LayerNorm"), layers: layers)
    }

    /// Last-layer hidden states [B, T, C] of rows of token ids (T = the longest row; shorter rows are
    /// right-padded and their padded positions hold unspecified values). Runs without a graph.
    public func hiddenStates(_ rows: [[Int]]) throws -> Tensor {
        let b = rows.count
        let t = rows.map(\.count).max() ?? 0
        guard b > 0, t > 0 else { throw LanguageModelError("encode", "no tokens to encode (\(b) rows, longest \(t))") }
        guard t <= maxPositions else {
            throw LanguageModelError("encode", "a row of \(t) tokens is longer than the \(maxPositions) positions the encoder knows")
        }
        var ids: [Int] = []
        ids.reserveCapacity(b * t)
        for row in rows { ids += row + Array(repeating: 0, count: t - row.count) }
        let lengths = rows.map(\.count)
        return try withNoGrad {
            var x = try wordEmbedding.embedding(ids, shape: [b, t])                                  // [B, T, C]
            x = try x + positionEmbedding.slice(axis: 0, 0..<t) + tokenTypeEmbedding                 // [T, C], [C] broadcast
            x = try embeddingNorm(x)
            // Hide padded keys; a batch of equally long rows needs no mask.
            let mask = lengths.allSatisfy({ $0 == t }) ? nil : try Tensor.keyPaddingMask(lengths: lengths, keyLength: t)
            for layer in layers { x = try layer(x, keyMask: mask) }
            return x
        }
    }
}

/// One post-LN BERT block with its query, key and value projections fused into one [3C, C] matrix.
final class BertLayer: @unchecked Sendable {
    let heads: Int
    /// [3C, C], [3C]
    let qkvWeight: Tensor, qkvBias: Tensor
    /// [C, C], [C]
    let outputWeight: Tensor, outputBias: Tensor
    let attentionNorm: Norm
    /// [F, C], [F]
    let upWeight: Tensor, upBias: Tensor
    /// [C, F], [C]
    let downWeight: Tensor, downBias: Tensor
    let outputNorm: Norm

    init(heads: Int, qkvWeight: Tensor, qkvBias: Tensor, outputWeight: Tensor, outputBias: Tensor, attentionNorm: Norm,
         upWeight: Tensor, upBias: Tensor, downWeight: Tensor, downBias: Tensor, outputNorm: Norm) {
        self.heads = heads
        self.qkvWeight = qkvWeight
        self.qkvBias = qkvBias
        self.outputWeight = outputWeight
        self.outputBias = outputBias
        self.attentionNorm = attentionNorm
        self.upWeight = upWeight
        self.upBias = upBias
        self.downWeight = downWeight
        self.downBias = downBias
        self.outputNorm = outputNorm
    }

    /// x [B, T, C] → [B, T, C]; keyMask [B, 1, 1, T] (−inf on padding) or nil.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?) throws -> Tensor {
        let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let d = c / heads
        let qkv = try x.linear(weight: qkvWeight, bias: qkvBias)                                    // [B, T, 3C]
        let q = try qkv.slice(axis: 2, 0..<c).reshaped([b, t, heads, d])
        let k = try qkv.slice(axis: 2, c..<(2 * c)).reshaped([b, t, heads, d])
        let v = try qkv.slice(axis: 2, (2 * c)..<(3 * c)).reshaped([b, t, heads, d])
        let attended = try Tensor.attention(query: q, key: k, value: v, causal: false, mask: keyMask)  // [B, T, H, D]
        var y = try attended.reshaped([b, t, c]).linear(weight: outputWeight, bias: outputBias)
        y = try attentionNorm(x + y)
        let inner = try Self.gelu(y.linear(weight: upWeight, bias: upBias))                         // [B, T, F]
        return try outputNorm(y + inner.linear(weight: downWeight, bias: downBias))
    }

    /// GELU ½x(1 + erf(x/√2)), BERT's exact "gelu". The tanh approximation (`Tensor.gelu`) is off by
    /// up to 4.7e-4 per activation; measured with it, the fixture embeddings were 2.5e-4 away from
    /// sentence-transformers' instead of 1.6e-7. erf is `BertLayer.erf` (SIMD, no libm call: glibc's
    /// erff took 12 % of an embedding run's samples under perf).
    static func gelu(_ x: Tensor) throws -> Tensor {
        try x.withUnsafeBufferPointer { src in
            try Tensor(shape: x.shape) { dst in
                let n = src.count
                guard n > 0, let sp = src.baseAddress, let dp = dst.baseAddress else { return }
                let pointers = SendablePointers(source: sp, destination: dp)
                let chunks = n >= 1 << 16 ? 2 : 1
                DispatchQueue.concurrentPerform(iterations: chunks) { part in
                    // Chunk bounds on multiples of 16 so only the last chunk has a scalar tail.
                    let lower = (n / 16 * part / chunks) * 16
                    let upper = part == chunks - 1 ? n : (n / 16 * (part + 1) / chunks) * 16
                    var i = lower
                    while i + 16 <= upper {
                        let v = UnsafeRawPointer(pointers.source + i).loadUnaligned(as: SIMD16<Float>.self)
                        let y = 0.5 * v * (1 + erf(v * 0.70710678118654752))
                        UnsafeMutableRawPointer(pointers.destination + i).storeBytes(of: y, as: SIMD16<Float>.self)
                        i += 16
                    }
                    while i < upper {
                        let v = pointers.source[i]
                        pointers.destination[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
                        i += 1
                    }
                }
            }
        }
    }

    /// erf(x) ≈ x·P(x²)/Q(x²) on [−3.92, 3.92] (erf is ±1 in Float32 beyond), P of degree 6 and Q of
    /// degree 5 in x², fitted for gfn by iteratively reweighted least squares against math.erf.
    /// Max |error| evaluated in Float32 over [−6, 6]: 3.8e-7 (libm's erff: about 6e-8).
    @inline(__always) static func erf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let limit: Float = 3.92
        var c = x.replacing(with: limit, where: x .> limit)
        c = c.replacing(with: -limit, where: c .< -limit)
        let z = c * c
        var p = SIMD16<Float>(repeating: -1.2800930093703755e-08)
        p = p * z + 4.622619144356577e-06
        p = p * z + 0.0003764796128962189
        p = p * z + 0.0038043437525629997
        p = p * z + 0.05414073169231415
        p = p * z + 0.18427151441574097
        p = p * z + 1.128379225730896
        var q = SIMD16<Float>(repeating: 6.252217281144112e-05)
        q = q * z + 0.0012941055465489626
        q = q * z + 0.015361339785158634
        q = q * z + 0.1135265976190567
        q = q * z + 0.4966399371623993
        q = q * z + 1
        let r = c * p / q
        return r.replacing(with: 1, where: r .> 1).replacing(with: -1, where: r .< -1)
    }
}

/// The two buffers of an elementwise kernel, handed to the worker threads that split it.
private struct SendablePointers: @unchecked Sendable {
    let source: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
}
