import Foundation
import Tensors

/// One sampled latent: its tokens without ⊤, and whether the sampler forced the end at m_max.
public struct SampledLatent: Equatable, Sendable {
    public var tokens: [Int]
    /// No ⊤ was chosen: the row reached m_max and termination was forced.
    public var forced: Bool

    public init(tokens: [Int], forced: Bool) {
        self.tokens = tokens
        self.forced = forced
    }
}

/// What the trainer needs from the policy q_θ (a language model with trainable adapters): sample
/// latents, score given latents differentiably, and save/restore its trainable state. The
/// LanguageModels adapter is `LanguageModelPolicy`; tests also use small tabular policies.
public protocol GFlowNetPolicy: AnyObject {
    /// The tensors the optimizer updates (LoRA A and B matrices), contiguous leaves.
    var trainableParameters: [Tensor] { get }

    /// `count` latents continuing `prompt`, sampled token by token from the policy's logits
    /// divided by `temperature`, ⊤ forbidden before `minLength` tokens (sampling only), at most
    /// `maxLength` tokens (then forced). No graph.
    func sample(prompt: [Int], count: Int, temperature: Double, minLength: Int, maxLength: Int,
                using rng: inout RandomGenerator) throws -> [SampledLatent]

    /// Teacher-forced log P_F [B, N] and log P_term [B, N + 1] of `latents` after `prompt` under
    /// the current (untempered, unmasked-length) policy, with a graph to the trainable parameters.
    /// N = the longest latent; entries past a row's length are ignored by the losses.
    func score(prompt: [Int], latents: [[Int]]) throws -> (logForward: Tensor, logTermination: Tensor)

    /// Decodes latent tokens (without ⊤) to text.
    func decode(_ tokens: [Int]) throws -> String

    /// Writes the trainable state (adapters) into `directory`, which exists and is empty.
    func saveAdapters(to directory: URL) throws

    /// Reads what `saveAdapters` wrote.
    func loadAdapters(from directory: URL) throws
}
