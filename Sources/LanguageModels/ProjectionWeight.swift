import Tensors

/// A weight matrix [out, in] of the model: float32, or GGUF blocks multiplied in place. Projections hold
/// one; so do the token embedding and the LM head ([vocab, width]), which a tied model shares.
enum ProjectionWeight {
    case dense(Tensor)
    case quantized(QuantizedMatrix)

    var rows: Int {
        switch self {
        case .dense(let w): w.shape[0]
        case .quantized(let q): q.rows
        }
    }

    var columns: Int {
        switch self {
        case .dense(let w): w.shape[1]
        case .quantized(let q): q.columns
        }
    }

    /// Bytes held: 4 a float, or the blocks' bytes.
    var byteCount: Int {
        switch self {
        case .dense(let w): 4 * w.count
        case .quantized(let q): q.byteCount
        }
    }

    var isQuantized: Bool { if case .quantized = self { true } else { false } }

    /// Whether both are the same storage (a tied embedding and LM head).
    func isSame(as other: ProjectionWeight) -> Bool {
        switch (self, other) {
        case (.dense(let a), .dense(let b)): a === b
        case (.quantized(let a), .quantized(let b)): a === b
        default: false
        }
    }

    /// Rows `ids` as float32, shaped `idsShape + [columns]` (token embedding lookup; blocks dequantise only those rows).
    func embedding(_ ids: [Int], shape idsShape: [Int]) throws -> Tensor {
        switch self {
        case .dense(let w): try w.embedding(ids, shape: idsShape)
        case .quantized(let q): try q.embedding(ids, shape: idsShape)
        }
    }
}

extension Tensor {
    /// self [..., in] · Wᵀ → [..., out], with W float32 or in its blocks (the LM head; `activations` as in `linear(quantized:activations:)`).
    func linear(weight: ProjectionWeight, activations: ActivationPrecision = .float32) throws -> Tensor {
        switch weight {
        case .dense(let w): try linear(weight: w)
        case .quantized(let q): try linear(quantized: q, activations: activations)
        }
    }

    /// log-softmax(self·Wᵀ + bias) gathered at `indices` (k per row), the logits never held whole (LM head scoring).
    func logSoftmax(linear weight: ProjectionWeight, bias: Tensor?, gathering indices: [Int]) throws -> Tensor {
        switch weight {
        case .dense(let w): try logSoftmax(linear: w, bias: bias, gathering: indices)
        case .quantized(let q): try logSoftmax(linear: q, bias: bias, gathering: indices)
        }
    }
}
