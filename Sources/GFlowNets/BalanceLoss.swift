import Tensors

/// The training objective of a GFlowNet fine-tuning run (docs/method.md §2).
///
/// The flow of a non-terminal state is F(s) := R(s) / P_term(s), so with the tree-shaped state
/// graph (P_B ≡ 1) the per-transition residual is
///   δ_t = [log R(s_t) − log P_term(s_t)] + log P_F(z_{t+1} | s_t) − [log R(s_{t+1}) − log P_term(s_{t+1})].
public enum BalanceLoss: Sendable, Equatable {
    /// Modified sub-trajectory balance, the method of the paper: the λ^{j−i−1}-weighted mean of
    /// Δ(i, j)² = (C_j − C_i)² over all valid pairs i < j of the micro-batch, C_k = Σ_{t<k} δ_t.
    case subTrajectory(lambda: Float, masking: TerminationMasking = .clean)
    /// Modified detailed balance (extension, selectable in the reference but never used): each
    /// trajectory's mean δ_t², averaged over the trajectories that have at least one transition.
    case detailed
    /// Trajectory balance with a learned log Z (extension, not part of the reference method):
    /// the batch mean of (log Z + Σ_t log P_F + log P_term(s_n) − log R(s_n))².
    case trajectory

    /// The names used in scripts: "subtb", "modified_db", "tb".
    public var name: String {
        switch self {
        case .subTrajectory: "subtb"
        case .detailed: "modified_db"
        case .trajectory: "tb"
        }
    }

    /// Whether the loss needs a learned log Z per prompt.
    public var needsLogPartition: Bool { self == .trajectory }

    /// The loss of one micro-batch, a rank-0 tensor that gradients flow back from into the
    /// policy's log-probabilities (and `logPartition` for TB: a one-element tensor).
    public func callAsFunction(_ scores: TrajectoryScores, forcedTermination: ForcedTermination = .certain,
                               logPartition: Tensor? = nil) throws -> Tensor {
        switch self {
        case .subTrajectory(let lambda, let masking):
            return try subTrajectoryBalance(scores, lambda: lambda, masking: masking, forcedTermination: forcedTermination)
        case .detailed:
            return try modifiedDetailedBalance(scores, forcedTermination: forcedTermination)
        case .trajectory:
            guard let logPartition else {
                throw GFlowNetError("trajectory balance", "needs a learned log Z (logPartition)")
            }
            return try trajectoryBalance(scores, logPartition: logPartition, forcedTermination: forcedTermination)
        }
    }
}

/// δ [B, N] with every transition t ≥ n_b set to 0.
private func transitionResiduals(_ scores: TrajectoryScores, _ forcedTermination: ForcedTermination) throws -> Tensor {
    let n = scores.width
    let (pf, pterm, logR) = try scores.cleaned(forcedTermination)
    let logFlow = try logR - pterm                                              // [B, N+1]
    let delta = try logFlow.slice(axis: 1, 0..<n) + pf - logFlow.slice(axis: 1, 1..<(n + 1))  // [B, N]
    let valid = try scores.mask(columns: n) { b, t in t < scores.lengths[b] }
    return try Tensor.where(valid, delta, Tensor(0))
}

/// Modified SubTB (docs/method.md §2.1), vectorised through prefix sums: C = [0, cumsum(δ)] per row, then
/// all pairwise differences C_j − C_i at once as a [B, K, K] broadcast, weighted by a constant
/// λ^{j−i−1} mask of the valid pairs (K = N + 2 leaves room for the strictly-after variant's
/// extra terminal state).
public func subTrajectoryBalance(_ scores: TrajectoryScores, lambda: Float = 1, masking: TerminationMasking = .clean,
                                 forcedTermination: ForcedTermination = .certain) throws -> Tensor {
    guard lambda > 0, lambda.isFinite else {
        throw GFlowNetError("subTrajectoryBalance", "λ must be a positive finite number, got \(lambda)")
    }
    let bsz = scores.batchSize, k = scores.width + 2
    let delta = try transitionResiduals(scores, forcedTermination)                // [B, N]
    // δ_n of the strictly-after variant is 0, which the zero padding already holds.
    let padded = try Tensor.concat([Tensor.zeros([bsz, 1]), delta, Tensor.zeros([bsz, 1])], axis: 1)  // [B, K]
    let prefix = try padded.cumsum(axis: 1)                                       // C_0 … C_{N+1}
    let diff = try prefix.unsqueezed(1) - prefix.unsqueezed(2)                    // [B, K, K]: C_j − C_i at [b, i, j]
    var weights = [Float](repeating: 0, count: bsz * k * k)
    var total: Double = 0
    var powers = [Float](repeating: 1, count: k)
    for e in 1..<k { powers[e] = powers[e - 1] * lambda }
    for b in 0..<bsz {
        let n = scores.lengths[b]
        let last = masking == .strictlyAfterFirstTermination && !scores.forced[b] ? n + 1 : n
        guard last >= 1 else { continue }
        for i in 0..<last {
            for j in (i + 1)...last {
                weights[(b * k + i) * k + j] = powers[j - i - 1]
                total += Double(powers[j - i - 1])
            }
        }
    }
    guard total > 0 else {
        // Only empty latents: no sub-trajectory to balance; a zero that still belongs to the graph.
        return delta.sum() * 0
    }
    let w = try Tensor(shape: [bsz, k, k], scalars: weights)
    return try (diff * diff * w).sum() / Float(total)
}

/// Modified detailed balance (docs/method.md §2.2): each trajectory's mean δ_t² over its valid
/// transitions, averaged over the trajectories that have any (an empty latent has none).
public func modifiedDetailedBalance(_ scores: TrajectoryScores, forcedTermination: ForcedTermination = .certain) throws -> Tensor {
    let delta = try transitionResiduals(scores, forcedTermination)                // [B, N]
    let rows = scores.lengths.filter { $0 > 0 }.count
    guard rows > 0 else { return delta.sum() * 0 }
    let n = scores.width
    var weights = [Float](repeating: 0, count: scores.batchSize * n)
    for (b, length) in scores.lengths.enumerated() where length > 0 {
        for t in 0..<length { weights[b * n + t] = 1 / Float(length * rows) }
    }
    return try (delta * delta * Tensor(shape: [scores.batchSize, n], scalars: weights)).sum()
}

/// Trajectory balance (extension, docs/method.md §2.2): mean over the batch of
/// (log Z + Σ_{t<n} log P_F + log P_term(s_n) − log R(s_n))², with log Z a one-element tensor.
public func trajectoryBalance(_ scores: TrajectoryScores, logPartition: Tensor,
                              forcedTermination: ForcedTermination = .certain) throws -> Tensor {
    guard logPartition.count == 1 else {
        throw GFlowNetError("trajectoryBalance", "log Z must hold one value, got shape \(logPartition.shape)")
    }
    let n = scores.width
    let (pf, pterm, logR) = try scores.cleaned(forcedTermination)
    let atEnd = try scores.mask(columns: n + 1) { b, t in t == scores.lengths[b] }
    let endTerm = try (pterm * atEnd).sum(axis: 1)                                // [B]
    let endReward = try (logR * atEnd).sum(axis: 1)                               // [B]
    let residual = try pf.sum(axis: 1) + endTerm - endReward + logPartition.reshaped([1])  // [B]
    return try (residual * residual).mean()
}
