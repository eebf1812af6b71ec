import Tensors

/// Teacher-forced per-step log-probabilities of given continuations, as plain numbers.
public struct ScoredSequence: Sendable, Equatable {
    /// log P(continuation[t] | s_t), t < n.
    public var tokenLogProbs: [Float]
    /// log P(⊤ | s_t), t = 0...n (n + 1 values: the state after the last token included).
    public var terminationLogProbs: [Float]
}

/// The same quantities as tensors for a batch, differentiable with respect to LoRA parameters.
/// Row b has n_b = lengths[b] tokens; entries past them are 0 (masked) and carry no gradient.
public struct ScoreTensors {
    /// [B, N]: log P_F(z_t | s_t), N = max n_b.
    public var tokenLogProbs: Tensor
    /// [B, N + 1]: log P_term(s_t).
    public var terminationLogProbs: Tensor
    /// [B, N]: 1 where t < n_b.
    public var tokenMask: Tensor
    /// [B, N + 1]: 1 where t ≤ n_b.
    public var stateMask: Tensor
    /// n_b per row.
    public var lengths: [Int]
}

extension Transformer {
    /// Scores `continuations[b]` after `prompts[b]` (or after the one prompt, if a single one is given)
    /// by one teacher-forced pass: for each state s_t (prompt + first t tokens), the log-probability of
    /// the next token and of `terminationToken` under the policy logits (logits + `penalties`).
    ///
    /// Rows are right-padded, so causal attention needs no mask and every real position is exact.
    /// The LM head runs only at the n_b + 1 scored positions of each row. A graph is recorded when
    /// adapters are active and grad mode is on (`training` turns LoRA dropout on).
    ///
    /// `insertions[b]` (environment tokens after continuation token t, by t) are part of the states
    /// but not scored: s_t then ends with the insertion after token t − 1 (see `SamplingEnvironment`).
    public func scoreTensors(prompts: [[Int]], continuations: [[Int]], insertions: [[Int: [Int]]]? = nil,
                             terminationToken: Int, penalties: [TokenPenalty] = [],
                             training: Bool = false) throws -> ScoreTensors {
        let v = config.vocabularySize
        guard !continuations.isEmpty else { throw LanguageModelError("score", "no continuations given") }
        guard prompts.count == continuations.count || prompts.count == 1 else {
            throw LanguageModelError("score", "\(prompts.count) prompts for \(continuations.count) continuations (give one prompt, or one per continuation)")
        }
        guard terminationToken >= 0, terminationToken < v else {
            throw LanguageModelError("score", "termination token \(terminationToken) is outside the vocabulary of \(v)")
        }
        let b = continuations.count
        if let insertions {
            guard insertions.count == b else {
                throw LanguageModelError("score", "\(insertions.count) insertion maps for \(b) continuations")
            }
            for (i, map) in insertions.enumerated() where map.keys.contains(where: { !continuations[i].indices.contains($0) }) {
                throw LanguageModelError("score", "row \(i) has an insertion after a token it does not have (it has \(continuations[i].count))")
            }
        }
        let promptOf = { (i: Int) in prompts.count == 1 ? prompts[0] : prompts[i] }
        let inserted = { (i: Int) in insertions?[i] ?? [:] }
        let states = (0..<b).map { InterleavedState.tokens(actions: continuations[$0], insertions: inserted($0)) }
        for i in 0..<b {
            guard !promptOf(i).isEmpty else { throw LanguageModelError("score", "prompt \(prompts.count == 1 ? 0 : i) is empty") }
            if let bad = (promptOf(i) + states[i]).first(where: { $0 < 0 || $0 >= v }) {
                throw LanguageModelError("score", "row \(i) holds token \(bad), outside the vocabulary of \(v)")
            }
        }
        let lengths = continuations.map(\.count)
        let n = lengths.max() ?? 0
        let total = (0..<b).map { promptOf($0).count + states[$0].count }
        let l = total.max() ?? 0
        guard l <= config.contextLength else {
            throw LanguageModelError("score", "a row of \(l) tokens exceeds the context of \(config.contextLength)")
        }
        var ids = [Int](repeating: 0, count: b * l)
        var gatherRows = [Int](), targets = [Int]()
        for i in 0..<b {
            let row = promptOf(i) + states[i]
            for (j, t) in row.enumerated() { ids[i * l + j] = t }
            let p = promptOf(i).count
            let ends = InterleavedState.lengths(actions: lengths[i], insertions: inserted(i))  // s_t ends at p − 1 + ends[t]
            for t in 0...n {
                let position = p - 1 + ends[min(t, lengths[i])]
                gatherRows.append(i * l + position)
                targets.append(t < lengths[i] ? continuations[i][t] : terminationToken)
                targets.append(terminationToken)
            }
        }
        let positions = (0..<b).flatMap { _ in 0..<l }
        let context = makeContext(training: training)
        defer { finishContext(context) }
        let hidden = try hiddenStates(ids, batch: b, length: l, positions: positions, keyMask: nil, cache: nil, context)
        let scored = try hidden.reshaped([b * l, config.width]).embedding(gatherRows, shape: [b, n + 1])  // [B, N+1, C]
        // The head's logits [B, N+1, V] are walked in vocabulary tiles, never held whole (nor their gradient).
        let picked = try scored.logSoftmax(linear: outputWeight, bias: policyBias(penalties), gathering: targets)  // [B, N+1, 2]
        var tokenMask = [Float](repeating: 0, count: b * n), stateMask = [Float](repeating: 0, count: b * (n + 1))
        for i in 0..<b {
            for t in 0..<lengths[i] { tokenMask[i * n + t] = 1 }
            for t in 0...lengths[i] { stateMask[i * (n + 1) + t] = 1 }
        }
        let tm = try Tensor(shape: [b, n], scalars: tokenMask), sm = try Tensor(shape: [b, n + 1], scalars: stateMask)
        let tokenLP = try picked.select(axis: 2, 0).slice(axis: 1, 0..<n)
        let termLP = try picked.select(axis: 2, 1)
        return ScoreTensors(
            tokenLogProbs: try Tensor.where(tm, tokenLP, try Tensor.zeros([b, n])),
            terminationLogProbs: try Tensor.where(sm, termLP, try Tensor.zeros([b, n + 1])),
            tokenMask: tm, stateMask: sm, lengths: lengths)
    }

    /// `scoreTensors` without a graph, as arrays per row.
    public func score(prompts: [[Int]], continuations: [[Int]], insertions: [[Int: [Int]]]? = nil, terminationToken: Int,
                      penalties: [TokenPenalty] = []) throws -> [ScoredSequence] {
        let s = try withNoGrad {
            try scoreTensors(prompts: prompts, continuations: continuations, insertions: insertions,
                             terminationToken: terminationToken, penalties: penalties)
        }
        let n = s.tokenLogProbs.shape[1]
        let tok = s.tokenLogProbs.scalars, term = s.terminationLogProbs.scalars
        return s.lengths.enumerated().map { i, len in
            ScoredSequence(tokenLogProbs: Array(tok[(i * n)..<(i * n + len)]),
                           terminationLogProbs: Array(term[(i * (n + 1))...(i * (n + 1) + len)]))
        }
    }

    /// The penalties as one additive [V] vector (nil when there are none).
    func policyBias(_ penalties: [TokenPenalty]) throws -> Tensor? {
        guard !penalties.isEmpty else { return nil }
        var bias = [Float](repeating: 0, count: config.vocabularySize)
        try bias.withUnsafeMutableBufferPointer { row in
            for p in penalties { try p.apply(to: row, state: SamplingState(row: 0, generated: [])) }
        }
        return try Tensor(shape: [config.vocabularySize], scalars: bias)
    }
}
