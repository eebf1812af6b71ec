import Foundation
import Tensors

/// The actions of a batch of latents and where their log-probabilities sit in a scorer's output:
/// latent b takes its n_b tokens, then ⊤ (unless its termination was forced and counts as
/// certain). Actions are listed tokens first (row by row), then the terminations.
struct ActionLayout {
    /// For every action: its latent, and its index t within that latent's actions.
    var row: [Int] = [], index: [Int] = []
    /// Flat indices into log P_F [B, N] of the token actions, then into log P_term [B, N + 1] of the terminations.
    var tokenEntries: [Int] = [], endEntries: [Int] = []
    /// Actions per latent.
    var counts: [Int]

    init(lengths: [Int], forced: [Bool], forcedTermination: ForcedTermination) {
        let n = lengths.max() ?? 0
        counts = Array(repeating: 0, count: lengths.count)
        for (b, length) in lengths.enumerated() {
            for t in 0..<length { row.append(b); index.append(t); tokenEntries.append(b * n + t) }
            counts[b] = length
        }
        for (b, length) in lengths.enumerated() where !(forced[b] && forcedTermination == .certain) {
            row.append(b); index.append(length); endEntries.append(b * (n + 1) + length)
            counts[b] += 1
        }
    }

    var actionCount: Int { row.count }

    /// The log-probabilities of the actions, [M, 1], differentiable through `logForward` and `logTermination`.
    func gather(logForward: Tensor, logTermination: Tensor) throws -> Tensor {
        var parts: [Tensor] = []
        if !tokenEntries.isEmpty {
            parts.append(try logForward.reshaped([logForward.count, 1]).embedding(tokenEntries, shape: [tokenEntries.count]))
        }
        if !endEntries.isEmpty {
            parts.append(try logTermination.reshaped([logTermination.count, 1]).embedding(endEntries, shape: [endEntries.count]))
        }
        return parts.count == 1 ? parts[0] : try Tensor.concat(parts, axis: 0)
    }

    /// The same as plain numbers (no graph).
    func values(logForward: Tensor, logTermination: Tensor) -> [Float] {
        let pf = logForward.scalars, pt = logTermination.scalars
        return tokenEntries.map { pf[$0] } + endEntries.map { pt[$0] }
    }
}

/// The pieces of the reward-maximising objectives, as pure functions (tested by hand).
public enum PolicyGradient {
    /// Returns-to-go of one sequence with per-action rewards r_t and a final score:
    /// G_t = score + Σ_{t' ≥ t} r_t' (no discount; the score is paid at the end).
    public static func returnsToGo(score: Double, actionRewards: [Double]) -> [Double] {
        var out = [Double](repeating: score, count: actionRewards.count)
        var tail = score
        for t in actionRewards.indices.reversed() {
            tail += actionRewards[t]
            out[t] = tail
        }
        return out
    }

    /// The per-action shaping reward: −β (log q_old − log p_ref) − c · log q_old. Its sum over a
    /// sequence is −β times the sampled estimate of KL(q ‖ p_ref) plus c times that of the entropy.
    public static func actionReward(old: Double, reference: Double, klCoefficient: Double, entropyCoefficient: Double) -> Double {
        -klCoefficient * (old - reference) - entropyCoefficient * old
    }

    /// The adaptive KL controller's update (Ziegler et al. 2019):
    /// β · (1 + clip(kl / target − 1, −0.2, 0.2) · sequences / horizon).
    public static func adaptedKLCoefficient(_ beta: Double, kl: Double, target: Double, sequences: Int, horizon: Double) -> Double {
        guard kl.isFinite else { return beta }
        let error = min(max(kl / target - 1, -0.2), 0.2)
        return beta * (1 + error * Double(sequences) / horizon)
    }

    /// (mean, standard deviation) of a group's sequence returns, the group baseline.
    public static func groupStatistics(_ returns: [Double]) -> (mean: Double, std: Double) {
        guard !returns.isEmpty else { return (0, 0) }
        let m = returns.reduce(0, +) / Double(returns.count)
        let v = returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(returns.count)
        return (m, v.squareRoot())
    }

    /// PPO's clipped surrogate loss, averaged over the M actions:
    ///     L = −(1/M) Σ_i min(ρ_i A_i, clip(ρ_i, 1 − ε, 1 + ε) A_i),  ρ_i = exp(log q_i − log q_old,i).
    /// `logProbs` holds log q with a graph (any shape of M elements). Also returns the fraction
    /// of actions whose ratio lies outside [1 − ε, 1 + ε].
    public static func clippedSurrogate(logProbs: Tensor, oldLogProbs: [Float], advantages: [Float], clip: Float) throws
        -> (loss: Tensor, clipFraction: Double) {
        let m = logProbs.count
        guard oldLogProbs.count == m, advantages.count == m, m > 0 else {
            throw GFlowNetError("ppo", "clipped surrogate: \(m) log-probs, \(oldLogProbs.count) old log-probs, \(advantages.count) advantages")
        }
        let shape = logProbs.shape
        let old = try Tensor(shape: shape, scalars: oldLogProbs), adv = try Tensor(shape: shape, scalars: advantages)
        let ratio = try (logProbs - old).exp()
        let unclipped = try ratio * adv
        let clipped = try ratio.clamped(min: 1 - clip, max: 1 + clip) * adv
        // min(·,·) per action: pick the smaller branch (the choice carries no gradient).
        let r = ratio.scalars
        var pickUnclipped = [Float](repeating: 0, count: m)
        var outside = 0
        for i in 0..<m {
            let c = min(max(r[i], 1 - clip), 1 + clip)
            if r[i] * advantages[i] <= c * advantages[i] { pickUnclipped[i] = 1 }
            if r[i] < 1 - clip || r[i] > 1 + clip { outside += 1 }
        }
        let objective = try Tensor.where(try Tensor(shape: shape, scalars: pickUnclipped), unclipped, clipped)
        return (objective.mean() * -1, Double(outside) / Double(m))
    }

    /// REINFORCE's loss: −(1/B) Σ_b Σ_t A_{b,t} log q(a_{b,t}), over B sequences.
    public static func reinforce(logProbs: Tensor, advantages: [Float], sequences: Int) throws -> Tensor {
        guard advantages.count == logProbs.count, sequences > 0 else {
            throw GFlowNetError("reinforce", "\(logProbs.count) log-probs for \(advantages.count) advantages over \(sequences) sequences")
        }
        let adv = try Tensor(shape: logProbs.shape, scalars: advantages)
        return try (logProbs * adv).sum() * Float(-1.0 / Double(sequences))
    }
}
