import ModelFormats
import Tensors

/// A decoder-only transformer of the Llama or GPT-2 family (one implementation; the families differ in
/// their norm, position encoding, attention projections and MLP, see `ModelConfig`).
///
/// Base weights are frozen (Float32 tensors, or a GGUF file's blocks) and never require grad. LoRA adapters (`addAdapters`)
/// are the only trainable parameters; `adaptersEnabled = false` (or `withAdapters(enabled:)`) gives
/// the exact base model, e.g. to use the policy's own weights as the reward model.
///
/// Entry points: `logits(_:)` (autograd-capable forward), `Generator` (KV-cache sampling),
/// `Scorer` (teacher-forced per-step log-probabilities), `BeamSearch`.
public final class Transformer: @unchecked Sendable {
    public let config: ModelConfig
    /// [V, C]
    let tokenEmbedding: ProjectionWeight
    /// [P, C] (GPT-2's learned positions) or nil (RoPE).
    let positionEmbedding: Tensor?
    let layers: [TransformerLayer]
    let finalNorm: Norm
    /// [V, C]; the same weight as `tokenEmbedding` when tied.
    let outputWeight: ProjectionWeight
    let rope: RotaryEmbedding?

    /// Whether LoRA adapters take part in forward passes (true by default; false = the base model).
    public var adaptersEnabled = true
    /// The settings of the attached adapters, if any.
    public private(set) var loraConfiguration: LoRAConfiguration?
    /// Drives LoRA dropout in training-mode forward passes.
    public var dropoutGenerator = RandomGenerator(seed: 0)
    /// Whether forward passes that record a graph for trainable adapters keep only each layer's input and run the
    /// layer again in the backward pass (activation recomputation): a LoRA step then holds one [tokens, width]
    /// tensor per layer instead of all of every layer's activations, for one more forward pass. Off by default.
    public var recomputesActivations = false
    /// How activations enter products with quantized weights while decoding (generation's and beam search's steps after
    /// the prompts, the LM head included): `.float32` (the default; the float32 path's results up to summation order)
    /// or `.q8`, 8-bit activation blocks with integer dot products (faster, an approximation; see `ActivationPrecision`
    /// and docs/lm-runtime.md for its measured error). Scoring and training always use float32 activations.
    public var decodingActivations = ActivationPrecision.float32

    /// Bytes of the weights this model holds: GGUF blocks read in place from the mapped file (resident once
    /// touched, shared with the page cache) and Float32 tensors (norms, dequantised weights).
    public var weightBytes: (quantized: Int, float32: Int) {
        var quantized = 0, float32 = 4 * (positionEmbedding?.count ?? 0)
        for table in outputWeight.isSame(as: tokenEmbedding) ? [tokenEmbedding] : [tokenEmbedding, outputWeight] {
            if table.isQuantized { quantized += table.byteCount } else { float32 += table.byteCount }
        }
        for layer in layers {
            for projection in [layer.qkv, layer.output, layer.up, layer.down] {
                if projection.weight.isQuantized { quantized += projection.weight.byteCount } else { float32 += projection.weight.byteCount }
                float32 += 4 * (projection.bias?.count ?? 0)
            }
            float32 += 4 * (layer.attentionNorm.parameterCount + layer.mlpNorm.parameterCount)
        }
        return (quantized, float32 + 4 * finalNorm.parameterCount)
    }

    init(config: ModelConfig, tokenEmbedding: ProjectionWeight, positionEmbedding: Tensor?, layers: [TransformerLayer],
         finalNorm: Norm, outputWeight: ProjectionWeight) throws {
        self.config = config
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputWeight = outputWeight
        if config.family == .llama {
            rope = try RotaryEmbedding(dimension: config.headDimension, base: config.hyperparameters.ropeBase,
                                       maxPositions: config.contextLength, convention: .halfSplit)
        } else {
            rope = nil
        }
    }

    // MARK: Forward

    /// Logits [B, T, V] of equally long rows `ids` (B rows of T tokens), all positions.
    /// Records a graph when adapters are attached, enabled and grad mode is on; `training` turns on
    /// LoRA dropout.
    public func logits(_ ids: [[Int]], training: Bool = false) throws -> Tensor {
        let (b, t) = try Transformer.rectangle(ids, "logits")
        let flat = ids.flatMap { $0 }
        let positions = (0..<b).flatMap { _ in 0..<t }
        let context = makeContext(training: training)
        defer { finishContext(context) }
        let h = try hiddenStates(flat, batch: b, length: t, positions: positions, keyMask: nil, cache: nil, context)
        return try h.linear(weight: outputWeight)
    }

    /// Final-norm hidden states [B, T, C] of ids (B·T, row-major) at model `positions` (B·T).
    /// With a cache, keys/values are appended (the caller advances it) and attention covers the cache.
    func hiddenStates(_ ids: [Int], batch b: Int, length t: Int, positions: [Int], keyMask: Tensor?, cache: KVCache?,
                      _ context: ForwardContext) throws -> Tensor {
        var x = try tokenEmbedding.embedding(ids, shape: [b, t])
        if let positionEmbedding {
            if let bad = positions.first(where: { $0 >= positionEmbedding.shape[0] }) {
                throw LanguageModelError("forward", "position \(bad) is beyond the model's \(positionEmbedding.shape[0]) learned positions")
            }
            x = try x + positionEmbedding.embedding(positions, shape: [b, t])
        }
        let recomputing = recomputesActivations && cache == nil && context.useAdapters && GradMode.isEnabled
            && trainableParameters.contains { $0.requiresGrad }
        for (i, layer) in layers.enumerated() {
            guard recomputing else {
                x = try layer(x, positions: positions, keyMask: keyMask, cache: cache, index: i, rope: rope, config: config,
                              context)
                continue
            }
            // The recomputation replays the layer's LoRA dropout draws from the generator state it started with.
            let start = context.generator, useAdapters = context.useAdapters, training = context.training
            var first = true
            x = try x.recomputingInBackward(parametersRequireGrad: true) { [rope, config] input in
                let c = first ? context : ForwardContext(useAdapters: useAdapters, training: training, generator: start)
                first = false
                return try layer(input, positions: positions, keyMask: keyMask, cache: nil, index: i, rope: rope, config: config, c)
            }
        }
        return try finalNorm(x)
    }

    func makeContext(training: Bool) -> ForwardContext {
        ForwardContext(useAdapters: adaptersEnabled && loraConfiguration != nil, training: training,
                       generator: dropoutGenerator)
    }

    func finishContext(_ context: ForwardContext) {
        if context.training { dropoutGenerator = context.generator }
    }

    static func rectangle(_ ids: [[Int]], _ operation: String) throws -> (Int, Int) {
        guard let t = ids.first?.count, t > 0 else { throw LanguageModelError(operation, "needs at least one non-empty row of ids") }
        guard ids.allSatisfy({ $0.count == t }) else {
            throw LanguageModelError(operation, "rows have different lengths \(ids.map(\.count)); pad them or use Scorer")
        }
        return (ids.count, t)
    }

    // MARK: LoRA

    /// Every projection segment of the model, in layer order.
    var projectionSegments: [(projection: Projection, index: Int)] {
        layers.flatMap { layer in
            [layer.qkv, layer.output, layer.up, layer.down].flatMap { p in p.segments.indices.map { (p, $0) } }
        }
    }

    /// Attaches fresh adapters (A seeded kaiming-uniform, B = 0) to every projection named in
    /// `configuration.targetModules`. Throws on a name this family does not have, or if adapters are attached.
    public func addAdapters(_ configuration: LoRAConfiguration) throws {
        try validate(configuration)
        var generator = RandomGenerator(seed: configuration.seed)
        for (projection, i) in projectionSegments where configuration.targetModules.contains(projection.segments[i].name) {
            let segment = projection.segments[i]
            projection.adapters[i] = try LoRAAdapter.initialized(
                modulePath: segment.modulePath, inFeatures: projection.inFeatures, outFeatures: segment.rows.count,
                configuration: configuration, using: &generator)
        }
        loraConfiguration = configuration
    }

    func validate(_ configuration: LoRAConfiguration) throws {
        guard loraConfiguration == nil else {
            throw LanguageModelError("LoRA", "adapters are already attached; remove or merge them first")
        }
        guard configuration.rank > 0, configuration.rank <= 4096 else {
            throw LanguageModelError("LoRA", "rank r = \(configuration.rank) must be in 1...4096")
        }
        guard configuration.dropout >= 0, configuration.dropout < 1 else {
            throw LanguageModelError("LoRA", "lora_dropout \(configuration.dropout) must be in [0, 1)")
        }
        guard !configuration.targetModules.isEmpty else { throw LanguageModelError("LoRA", "no target modules given") }
        for name in configuration.targetModules where !config.projectionNames.contains(name) {
            throw LanguageModelError("LoRA", "'\(name)' is not a projection of this \(config.family) model",
                                     hint: "choose from \(config.projectionNames.joined(separator: ", "))")
        }
    }

    /// Attaches given adapters (e.g. loaded from a PEFT file), keyed by module path.
    func attach(_ adapters: [String: LoRAAdapter], configuration: LoRAConfiguration) throws {
        try validate(configuration)
        var used = 0
        for (projection, i) in projectionSegments {
            guard let adapter = adapters[projection.segments[i].modulePath] else { continue }
            let expectA = [configuration.rank, projection.inFeatures], expectB = [projection.segments[i].rows.count, configuration.rank]
            guard adapter.a.shape == expectA, adapter.b.shape == expectB else {
                throw LanguageModelError("LoRA", "\(adapter.modulePath): A \(adapter.a.shape) and B \(adapter.b.shape) do not fit (expected \(expectA) and \(expectB))")
            }
            projection.adapters[i] = adapter
            used += 1
        }
        guard used == adapters.count else {
            let known = Set(projectionSegments.map { $0.projection.segments[$0.index].modulePath })
            let unknown = adapters.keys.filter { !known.contains($0) }.sorted()
            throw LanguageModelError("LoRA", "no such module in this model: \(unknown.prefix(3).joined(separator: ", "))")
        }
        loraConfiguration = configuration
    }

    /// The attached adapters in model order.
    public var adapters: [LoRAAdapter] {
        projectionSegments.compactMap { $0.projection.adapters[$0.index] }
    }

    /// The trainable tensors: A and B of every adapter (base weights are frozen).
    public var trainableParameters: [Tensor] {
        adapters.flatMap { [$0.a, $0.b] }
    }

    /// Detaches all adapters (the model becomes the base model again).
    public func removeAdapters() {
        for (projection, i) in projectionSegments { projection.adapters[i] = nil }
        loraConfiguration = nil
    }

    /// Folds every adapter into its base weight (W += alpha/r · B·A) and detaches them. Irreversible.
    public func mergeAdapters() throws {
        for layer in layers {
            for p in [layer.qkv, layer.output, layer.up, layer.down] { try p.mergeAdapters() }
        }
        loraConfiguration = nil
    }

    /// Runs `body` with adapters switched on or off, restoring the previous setting afterwards.
    public func withAdapters<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let saved = adaptersEnabled
        adaptersEnabled = enabled
        defer { adaptersEnabled = saved }
        return try body()
    }

    /// Number of base (frozen) parameters.
    public var parameterCount: Int {
        var n = tokenEmbedding.rows * tokenEmbedding.columns + (positionEmbedding?.count ?? 0) + finalNorm.parameterCount
        if !outputWeight.isSame(as: tokenEmbedding) { n += outputWeight.rows * outputWeight.columns }
        for layer in layers { n += layer.parameterCount }
        return n
    }
}
