import Tensors

/// LoRA's settings, named as in PEFT's `LoraConfig` (`r`, `lora_alpha`, `lora_dropout`, `target_modules`).
public struct LoRAConfiguration: Sendable, Equatable {
    /// The rank r of each update B·A.
    public var rank: Int
    /// lora_alpha: the update is scaled by alpha / r.
    public var alpha: Float
    /// lora_dropout: dropout on the adapter's input, in training mode only.
    public var dropout: Float
    /// Projection names to adapt, e.g. ["q_proj", "v_proj"] (see `ModelConfig.projectionNames`).
    public var targetModules: [String]
    /// Seeds the initialisation of A (B starts at zero).
    public var seed: UInt64

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0, targetModules: [String], seed: UInt64 = 0) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.seed = seed
    }

    /// alpha / r (PEFT's default scaling; rsLoRA is not used).
    public var scaling: Float { alpha / Float(rank) }
}

/// One LoRA update on one projection: W x + scaling · B (A dropout(x)).
/// A is [r, in] and B is [out, r], the layout and key names PEFT uses (`…q_proj.lora_A.weight`).
public final class LoRAAdapter: @unchecked Sendable {
    /// The module's path in the Hugging Face model, e.g. "model.layers.0.self_attn.q_proj".
    public let modulePath: String
    /// [r, in], requires grad.
    public let a: Tensor
    /// [out, r], requires grad.
    public let b: Tensor
    public let scaling: Float
    public let dropout: Float

    init(modulePath: String, a: Tensor, b: Tensor, scaling: Float, dropout: Float) {
        self.modulePath = modulePath
        self.a = a
        self.b = b
        self.scaling = scaling
        self.dropout = dropout
        a.requiresGrad = true
        b.requiresGrad = true
    }

    /// PEFT's initialisation: A ~ kaiming_uniform(a = √5), i.e. U(−1/√in, 1/√in); B = 0.
    static func initialized(modulePath: String, inFeatures: Int, outFeatures: Int, configuration: LoRAConfiguration,
                            using generator: inout RandomGenerator) throws -> LoRAAdapter {
        let bound = 1 / Float(inFeatures).squareRoot()
        let a = try Tensor.randomUniform([configuration.rank, inFeatures], low: -bound, high: bound, using: &generator)
        let b = try Tensor.zeros([outFeatures, configuration.rank])
        return LoRAAdapter(modulePath: modulePath, a: a, b: b, scaling: configuration.scaling, dropout: configuration.dropout)
    }

    /// The update for input x [..., in] → [..., out].
    func delta(_ x: Tensor, training: Bool, generator: inout RandomGenerator) throws -> Tensor {
        let input = training && dropout > 0 ? try x.dropout(probability: dropout, using: &generator) : x
        return try input.linear(weight: a).linear(weight: b) * scaling
    }

    /// scaling · B·A [out, in], without a graph.
    func weightDelta() throws -> Tensor {
        try withNoGrad { try Tensor.matmul(b, a) * scaling }
    }
}
