import Foundation
import LanguageModels
import Tensors

/// One sampled latent: its actions (tokens without ⊤), the tokens an environment inserted after
/// some of them (not actions: docs/method.md §4.5), and whether the sampler forced the end at m_max.
public struct SampledLatent: Equatable, Sendable {
    /// The actions z_1 … z_n.
    public var tokens: [Int]
    /// Tokens inserted after action t, by t (empty without an environment).
    public var insertions: [Int: [Int]]
    /// No ⊤ was chosen: the row reached m_max and termination was forced.
    public var forced: Bool

    public init(tokens: [Int], insertions: [Int: [Int]] = [:], forced: Bool) {
        self.tokens = tokens
        self.insertions = insertions
        self.forced = forced
    }

    /// The latent part of the final state: actions with the insertions in place.
    public var stateTokens: [Int] { InterleavedState.tokens(actions: tokens, insertions: insertions) }

    /// For t = 0…n, the number of state tokens in s_t (the first t actions and their insertions).
    public var stateLengths: [Int] { InterleavedState.lengths(actions: tokens.count, insertions: insertions) }

    /// The latent part of s_t.
    public func stateTokens(upTo t: Int) -> [Int] { Array(stateTokens[..<stateLengths[t]]) }
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

    /// Teacher-forced scores of latents whose states hold environment insertions: the inserted
    /// tokens are part of the states, not scored. The default serves policies without an environment.
    func score(prompt: [Int], trajectories: [SampledLatent]) throws -> (logForward: Tensor, logTermination: Tensor)

    /// The latent the policy's environment makes of `actions` after `prompt` (its insertions put
    /// back in; e.g. a known rationale written without the calculator's results). The default has
    /// no environment.
    func unroll(prompt: [Int], actions: [Int]) throws -> SampledLatent

    /// Decodes latent tokens (without ⊤) to text.
    func decode(_ tokens: [Int]) throws -> String

    /// Writes the trainable state (adapters) into `directory`, which exists and is empty.
    func saveAdapters(to directory: URL) throws

    /// Reads what `saveAdapters` wrote.
    func loadAdapters(from directory: URL) throws
}

extension GFlowNetPolicy {
    public func score(prompt: [Int], trajectories: [SampledLatent]) throws -> (logForward: Tensor, logTermination: Tensor) {
        guard trajectories.allSatisfy({ $0.insertions.isEmpty }) else {
            throw GFlowNetError("policy", "this policy has no environment, but a latent holds inserted tokens")
        }
        return try score(prompt: prompt, latents: trajectories.map(\.tokens))
    }

    public func unroll(prompt: [Int], actions: [Int]) throws -> SampledLatent { SampledLatent(tokens: actions, forced: false) }
}
