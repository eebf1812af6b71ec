import LanguageModels
import Tensors

/// The E-step reward of classification with a latent rationale (docs/method.md §4.4): for every
/// prefix z_{1:t} of a rationale,
///
///     log R(s_t) = Σ_{k≤t} log p(z_k | X z_{<k}) + log p(Y_true | X z_{1:t})  +  (penalty if mismatched),
///
/// where Y_c is the text of label c (", so it is objective."), Y_true that of the example's label,
/// and the prefix is mismatched when the model, given X z_{1:t}, gives another label's text a
/// strictly higher likelihood than the true one's. The reference subtracts 50. No ⊤ probability
/// and no minimum length (m_min = 0 for this reward).
///
/// Each label's text is scored after every prefix by `scoreContinuationAfterPrefixes` (context and
/// latent once per label, then Y from the cache), so the mismatch test costs one scoring per
/// extra label. The model scores with its adapters off (the policy's base LM) unless `useAdapters`.
public final class LabelMismatchReward: RewardFunction {
    /// Tokens read off a micro-batch's context (its example, or its prompt).
    public typealias TokenSource = (RewardContext) throws -> [Int]
    public let model: Transformer
    /// The label texts Y_c as tokens, in class order.
    public let labels: [[Int]]
    /// The index of the example's true label.
    public let truth: (RewardContext) throws -> Int
    /// X (nil: the policy's prompt).
    public let context: TokenSource?
    /// Added to log R where the model prefers another label (≤ 0).
    public let penalty: Double
    public let useAdapters: Bool

    public init(model: Transformer, labels: [[Int]], truth: @escaping (RewardContext) throws -> Int, context: TokenSource? = nil,
                penalty: Double = -50, useAdapters: Bool = false) throws {
        guard labels.count >= 2 else { throw GFlowNetError("label reward", "needs at least two label texts, got \(labels.count)") }
        for (c, y) in labels.enumerated() where y.isEmpty { throw GFlowNetError("label reward", "label text \(c) encodes to no tokens") }
        guard penalty <= 0, !penalty.isNaN else { throw GFlowNetError("label reward", "the penalty must be ≤ 0, got \(penalty)") }
        self.model = model
        self.labels = labels
        self.truth = truth
        self.context = context
        self.penalty = penalty
        self.useAdapters = useAdapters
    }

    public func logRewards(latents: [[Int]], context rewardContext: RewardContext) throws -> [[Double]] {
        guard !latents.isEmpty else { return [] }
        let x = try context?(rewardContext) ?? rewardContext.promptTokens
        guard !x.isEmpty else { throw GFlowNetError("label reward", "the reward's context for \(rewardContext.key) is empty") }
        let trueLabel = try truth(rewardContext)
        guard labels.indices.contains(trueLabel) else {
            throw GFlowNetError("label reward", "the label of \(rewardContext.key) is \(trueLabel), not one of 0…\(labels.count - 1)")
        }
        // perLabel[c][b]: latent b's scores with Y_c after each of its prefixes.
        let perLabel = try model.withAdapters(enabled: useAdapters && model.adaptersEnabled) {
            try labels.map { y in try model.scoreContinuationAfterPrefixes(contexts: [x], latents: latents, continuations: [y]) }
        }
        return latents.indices.map { b in
            let own = perLabel[trueLabel][b]
            var prefix = 0.0
            return (0...latents[b].count).map { t in
                if t > 0 { prefix += Double(own.latentLogProbs[t - 1]) }
                let label = own.continuationLogLikelihoods[t]
                let mismatched = labels.indices.contains { $0 != trueLabel && perLabel[$0][b].continuationLogLikelihoods[t] > label }
                return prefix + label + (mismatched ? penalty : 0)
            }
        }
    }
}
