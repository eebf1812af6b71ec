import Tensors

/// A normalisation layer: RMSNorm (Llama) or LayerNorm (GPT-2), over the last axis.
enum Norm: @unchecked Sendable {
    case rms(weight: Tensor, epsilon: Float)
    case layer(weight: Tensor, bias: Tensor, epsilon: Float)

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .rms(let w, let eps): return try x.rmsNorm(weight: w, epsilon: eps)
        case .layer(let w, let b, let eps): return try x.layerNorm(weight: w, bias: b, epsilon: eps)
        }
    }

    var parameterCount: Int {
        switch self {
        case .rms(let w, _): return w.count
        case .layer(let w, let b, _): return w.count + b.count
        }
    }
}

/// One pre-norm block: x + attention(norm(x)), then x + mlp(norm(x)).
///
/// `qkv` holds segments [q_proj, k_proj, v_proj] (Llama) or [c_attn] (GPT-2, split here);
/// `up` holds [gate_proj, up_proj] (Llama, SwiGLU) or [c_fc] (GPT-2, GELU).
final class TransformerLayer: @unchecked Sendable {
    let attentionNorm: Norm
    let qkv: Projection
    let output: Projection
    let mlpNorm: Norm
    let up: Projection
    let down: Projection

    init(attentionNorm: Norm, qkv: Projection, output: Projection, mlpNorm: Norm, up: Projection, down: Projection) {
        self.attentionNorm = attentionNorm
        self.qkv = qkv
        self.output = output
        self.mlpNorm = mlpNorm
        self.up = up
        self.down = down
    }

    var parameterCount: Int {
        attentionNorm.parameterCount + mlpNorm.parameterCount
            + [qkv, output, up, down].reduce(0) { $0 + $1.weight.rows * $1.weight.columns + ($1.bias?.count ?? 0) }
    }

    /// x [B, T, C] → [B, T, C].
    func callAsFunction(_ x: Tensor, positions: [Int], keyMask: Tensor?, cache: KVCache?, index: Int,
                        rope: RotaryEmbedding?, config: ModelConfig, _ context: ForwardContext) throws -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let (hq, hkv, d) = (config.headCount, config.keyValueHeadCount, config.headDimension)
        let h = try attentionNorm(x)
        let parts = try qkv(h, context)
        var q: Tensor, k: Tensor, v: Tensor
        if parts.count == 3 {
            (q, k, v) = (parts[0], parts[1], parts[2])
        } else {
            let fused = parts[0]  // [B, T, 3C]
            q = try fused.slice(axis: 2, 0..<(hq * d))
            k = try fused.slice(axis: 2, (hq * d)..<(2 * hq * d))
            v = try fused.slice(axis: 2, (2 * hq * d)..<(3 * hq * d))
        }
        q = try q.reshaped([b, t, hq, d])
        k = try k.reshaped([b, t, hkv, d])
        v = try v.reshaped([b, t, hkv, d])
        if let rope {
            q = try rope(q, positions: positions)
            k = try rope(k, positions: positions)
        }
        var keys = k, values = v
        if let cache { (keys, values) = try cache.append(layer: index, key: k, value: v) }
        let attended = try Tensor.attention(query: q, key: keys, value: values, causal: true, mask: keyMask)
        var y = try x + output.single(attended.reshaped([b, t, hq * d]), context)
        let m = try mlpNorm(y)
        let inner: Tensor
        if config.family == .llama {
            inner = try up.output(m, context).swiGLU()  // [B, T, 2F] → [B, T, F]
        } else {
            inner = try up.single(m, context).gelu()
        }
        y = try y + down.single(inner, context)
        return y
    }
}
