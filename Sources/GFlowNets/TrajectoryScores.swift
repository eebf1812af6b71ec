import Tensors

/// What the balance losses need to know about a micro-batch of B trajectories, padded to a common
/// width N (at most m_max latent tokens). Row b has `lengths[b]` = n_b non-⊤ latent tokens and
/// visits the states s_0 … s_{n_b}.
///
/// - `logForward` [B, N]: log P_F(z_{t+1} | s_t) of the token actually taken, for t < n_b.
/// - `logTermination` [B, N + 1]: log P_term(s_t) = log q(⊤ | s_t), for t ≤ n_b; the model's own
///   value, also at a forced end (the loss's `ForcedTermination` option decides what to do with it).
/// - `logReward` [B, N + 1]: log R(s_t) / T for t ≤ n_b, a constant (no gradient).
/// - `forced[b]`: row b reached m_max and its termination was forced by the sampler (no ⊤ was
///   chosen by the policy); then n_b must equal N.
///
/// Entries past a row's length are ignored, whatever they hold (NaN included): every loss
/// selects the valid entries with `Tensor.where` before any arithmetic.
public struct TrajectoryScores {
    public let logForward: Tensor
    public let logTermination: Tensor
    public let logReward: Tensor
    public let lengths: [Int]
    public let forced: [Bool]

    public var batchSize: Int { lengths.count }
    /// N: the padded number of latent tokens.
    public var width: Int { logForward.shape[1] }

    public init(logForward: Tensor, logTermination: Tensor, logReward: Tensor, lengths: [Int], forced: [Bool]) throws {
        let context = "TrajectoryScores"
        guard logForward.rank == 2 else {
            throw GFlowNetError(context, "logForward must be [B, N], got \(logForward.shape)")
        }
        let (b, n) = (logForward.shape[0], logForward.shape[1])
        guard logTermination.shape == [b, n + 1] else {
            throw GFlowNetError(context, "logTermination must be [B, N + 1] = [\(b), \(n + 1)], got \(logTermination.shape)")
        }
        guard logReward.shape == [b, n + 1] else {
            throw GFlowNetError(context, "logReward must be [B, N + 1] = [\(b), \(n + 1)], got \(logReward.shape)")
        }
        guard lengths.count == b, forced.count == b else {
            throw GFlowNetError(context, "need one length and one forced flag per row: \(b) rows, \(lengths.count) lengths, \(forced.count) flags")
        }
        for (row, length) in lengths.enumerated() {
            guard (0...n).contains(length) else {
                throw GFlowNetError(context, "row \(row): length \(length) outside 0…\(n)")
            }
            if forced[row] && length != n {
                throw GFlowNetError(context, "row \(row): a forced termination needs the full width \(n), but the length is \(length)")
            }
        }
        self.logForward = logForward
        self.logTermination = logTermination
        self.logReward = logReward
        self.lengths = lengths
        self.forced = forced
    }

    /// A convenience for tests and callers holding plain arrays: rows are padded with 0.
    public init(logForward: [[Float]], logTermination: [[Float]], logReward: [[Float]], lengths: [Int], forced: [Bool]) throws {
        let width = lengths.max() ?? 0
        func pad(_ rows: [[Float]], _ count: Int, _ name: String) throws -> Tensor {
            guard rows.count == lengths.count else {
                throw GFlowNetError("TrajectoryScores", "\(name) has \(rows.count) rows for \(lengths.count) lengths")
            }
            var flat: [Float] = []
            flat.reserveCapacity(rows.count * count)
            for (i, row) in rows.enumerated() {
                guard row.count <= count else {
                    throw GFlowNetError("TrajectoryScores", "\(name) row \(i) has \(row.count) values, more than \(count)")
                }
                flat += row + Array(repeating: 0, count: count - row.count)
            }
            return try Tensor(shape: [rows.count, count], scalars: flat)
        }
        try self.init(logForward: pad(logForward, width, "logForward"),
                      logTermination: pad(logTermination, width + 1, "logTermination"),
                      logReward: pad(logReward, width + 1, "logReward"),
                      lengths: lengths, forced: forced)
    }

    /// A [B, cols] 0/1 constant with `valid(row, col)`.
    func mask(columns: Int, _ valid: (Int, Int) -> Bool) throws -> Tensor {
        var m = [Float](repeating: 0, count: batchSize * columns)
        for b in 0..<batchSize {
            for c in 0..<columns where valid(b, c) { m[b * columns + c] = 1 }
        }
        return try Tensor(shape: [batchSize, columns], scalars: m)
    }

    /// The inputs with every entry that takes no part in the loss set to 0:
    /// log P_F for t < n_b, log R for t ≤ n_b, log P_term for t ≤ n_b except at a forced end
    /// when `forcedTermination == .certain` (termination then has probability 1).
    func cleaned(_ forcedTermination: ForcedTermination) throws -> (pf: Tensor, pterm: Tensor, logR: Tensor) {
        let n = width, zero = Tensor(0)
        let pfMask = try mask(columns: n) { b, t in t < lengths[b] }
        let stateMask = try mask(columns: n + 1) { b, t in t <= lengths[b] }
        let ptermMask = try mask(columns: n + 1) { [forced, lengths] b, t in
            t <= lengths[b] && !(forcedTermination == .certain && forced[b] && t == lengths[b])
        }
        return (try Tensor.where(pfMask, logForward, zero),
                try Tensor.where(ptermMask, logTermination, zero),
                try Tensor.where(stateMask, logReward, zero))
    }
}

/// How the loss treats the termination that the sampler forces at m_max (docs/method.md §1.2, §7.2).
public enum ForcedTermination: String, Sendable, Codable, CaseIterable {
    /// The forced step has probability 1: log P_term(s_{m_max}) = 0 (RNG, infill, subjectivity,
    /// arithmetic; the default).
    case certain
    /// Keep the model's own log q(⊤ | s_{m_max}) although the sampler forced ⊤ (next sentence).
    case modelProbability
}

/// Which sub-trajectories count in modified SubTB (docs/method.md §2.1, §7.2).
public enum TerminationMasking: String, Sendable, Codable, CaseIterable {
    /// Both endpoints must be non-terminal states: the transition that emits ⊤ and everything
    /// after it are masked (RNG and next-sentence code; the default).
    case clean
    /// Mask only what is strictly after the first ⊤ (infill and arithmetic scripts): the
    /// transition into the terminal state is kept. Its residual is 0 (the ⊤ log-prob cancels
    /// and the reward of "Z ⊤" is that of Z), so pairs ending there duplicate the (i, n) terms
    /// and the (n, n + 1) pair adds 0 to the numerator and λ⁰ to the denominator. Rows whose
    /// termination was forced have no such transition.
    case strictlyAfterFirstTermination
}
