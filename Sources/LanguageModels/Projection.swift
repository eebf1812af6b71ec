import Tensors

/// A linear layer y = x·Wᵀ + b whose output rows may be split into named segments, each a projection
/// of the Hugging Face model (q_proj, k_proj and v_proj fused into one matrix; gate_proj and up_proj
/// likewise), so that one sgemm computes them all, while LoRA still adapts each by its own name.
///
/// Weights are frozen (never require grad). Weights are in PyTorch's [out, in] layout; GPT-2's
/// Conv1D weights ([in, out]) are transposed at load. A GGUF model's weights may stay in their
/// quantised blocks (`ProjectionWeight.quantized`), read by the products in place.
final class Projection: @unchecked Sendable {
    struct Segment: Sendable {
        /// The projection's name, e.g. "q_proj".
        let name: String
        /// Its path in the Hugging Face model, e.g. "model.layers.3.self_attn.q_proj".
        let modulePath: String
        /// Its rows of `weight`.
        let rows: Range<Int>
    }

    /// [out, in]
    private(set) var weight: ProjectionWeight
    /// [out] or nil
    let bias: Tensor?
    let segments: [Segment]
    /// One optional adapter per segment.
    var adapters: [LoRAAdapter?]

    convenience init(weight: Tensor, bias: Tensor?, segments: [Segment]) {
        self.init(weight: .dense(weight), bias: bias, segments: segments)
    }

    init(weight: ProjectionWeight, bias: Tensor?, segments: [Segment]) {
        self.weight = weight
        self.bias = bias
        self.segments = segments
        self.adapters = Array(repeating: nil, count: segments.count)
    }

    var inFeatures: Int { weight.columns }
    var outFeatures: Int { weight.rows }

    /// x [..., in] → one tensor [..., segment rows] per segment (views of the fused output, LoRA
    /// updates included where an adapter is active).
    func callAsFunction(_ x: Tensor, _ context: ForwardContext) throws -> [Tensor] {
        let y = try output(x, context)
        if segments.count == 1 { return [y] }
        let axis = y.rank - 1
        return try segments.map { try y.slice(axis: axis, $0.rows) }
    }

    /// The fused output [..., out]. Active adapters go into one `linear(weight:bias:updates:)` (or
    /// `linear(quantized:bias:updates:)`; their B products accumulate into the output in place); with LoRA
    /// dropout in training each adapter reads its own dropped-out input, so they are added one by one.
    func output(_ x: Tensor, _ context: ForwardContext) throws -> Tensor {
        let active = context.useAdapters ? segments.indices.filter { adapters[$0] != nil } : []
        let base: Tensor
        switch weight {
        case .dense(let w):
            if active.isEmpty { return try x.linear(weight: w, bias: bias) }
            let dropping = context.training && active.contains { adapters[$0]!.dropout > 0 }
            if !dropping {
                let updates = active.map { i in
                    let a = adapters[i]!
                    return LowRankUpdate(a: a.a, b: a.b, scaling: a.scaling, outputs: segments[i].rows)
                }
                return try x.linear(weight: w, bias: bias, updates: updates)
            }
            base = try x.linear(weight: w, bias: bias)
        case .quantized(let q):
            if active.isEmpty {
                let y = try x.linear(quantized: q, activations: context.activations)
                return try bias.map { try y + $0 } ?? y
            }
            let dropping = context.training && active.contains { adapters[$0]!.dropout > 0 }
            if !dropping {
                let updates = active.map { i in
                    let a = adapters[i]!
                    return LowRankUpdate(a: a.a, b: a.b, scaling: a.scaling, outputs: segments[i].rows)
                }
                return try x.linear(quantized: q, bias: bias, updates: updates, activations: context.activations)
            }
            let y = try x.linear(quantized: q, activations: context.activations)
            base = try bias.map { try y + $0 } ?? y
        }
        return try addingAdaptersOneByOne(base, x, context)
    }

    /// The base output with each adapter's update added to its segment.
    private func addingAdaptersOneByOne(_ y: Tensor, _ x: Tensor, _ context: ForwardContext) throws -> Tensor {
        let axis = y.rank - 1
        var parts: [Tensor] = []
        for (i, segment) in segments.enumerated() {
            var part = segments.count == 1 ? y : try y.slice(axis: axis, segment.rows)
            if let adapter = adapters[i] {
                part = try part + adapter.delta(x, training: context.training, generator: &context.generator)
            }
            parts.append(part)
        }
        return parts.count == 1 ? parts[0] : try Tensor.concat(parts, axis: axis)
    }

    /// The single output of an unsplit projection.
    func single(_ x: Tensor, _ context: ForwardContext) throws -> Tensor {
        try self(x, context)[0]
    }

    /// Folds each adapter into the weight (W[rows] += scaling·B·A) and removes it. A quantised weight with
    /// adapters becomes a float32 copy first (the merged weights are no longer the file's blocks).
    func mergeAdapters() throws {
        guard adapters.contains(where: { $0 != nil }) else { return }
        let dense: Tensor
        switch weight {
        case .dense(let w): dense = w
        case .quantized(let q): dense = q.dequantized()
        }
        weight = .dense(dense)
        for (i, segment) in segments.enumerated() {
            guard let adapter = adapters[i] else { continue }
            let delta = try adapter.weightDelta()
            let columns = inFeatures
            try dense.withUnsafeMutableBufferPointer { w in
                delta.withUnsafeBufferPointer { d in
                    let base = segment.rows.lowerBound * columns
                    for j in 0..<(segment.rows.count * columns) { w[base + j] += d[j] }
                }
            }
            adapters[i] = nil
        }
    }
}

/// Per-call state of a forward pass: whether adapters apply, training mode (LoRA dropout) and its generator, and how
/// activations enter products with quantized weights (float32 but where decoding asks for `Transformer.decodingActivations`).
final class ForwardContext {
    let useAdapters: Bool
    let training: Bool
    var generator: RandomGenerator
    var activations = ActivationPrecision.float32

    init(useAdapters: Bool, training: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.useAdapters = useAdapters
        self.training = training
        self.generator = generator
    }
}
