import Foundation
import LanguageModels
import Tensors

/// A policy that can also score latents under its frozen starting point, the reference model of
/// a KL penalty: for a language model with LoRA, the same network with its adapters switched off
/// (docs/method.md §1.1), so no copy of the weights is needed.
public protocol ReferencePolicy: GFlowNetPolicy {
    /// Teacher-forced log P_F [B, N] and log P_term [B, N + 1] of `latents` (with their insertions)
    /// under the reference (base) model, without a graph; the layout of `score`.
    func referenceScore(prompt: [Int], trajectories: [SampledLatent]) throws -> (logForward: Tensor, logTermination: Tensor)
}

extension LanguageModelPolicy: ReferencePolicy {
    public func referenceScore(prompt: [Int], trajectories: [SampledLatent]) throws -> (logForward: Tensor, logTermination: Tensor) {
        try withNoGrad {
            try model.withAdapters(enabled: false) {
                let insertions = trajectories.contains { !$0.insertions.isEmpty } ? trajectories.map(\.insertions) : nil
                let s = try model.scoreTensors(prompts: [prompt], continuations: trajectories.map(\.tokens), insertions: insertions,
                                               terminationToken: terminationToken, penalties: penalties, training: false)
                return (s.tokenLogProbs, s.terminationLogProbs)
            }
        }
    }
}
