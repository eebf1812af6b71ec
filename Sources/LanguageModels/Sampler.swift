import Glibc
import Tensors

/// A chain of `SamplerStep`s and the final choice (draw or argmax), llama.cpp style.
///
/// For each row of logits: the policy steps (`shapesPolicy`) are applied in chain order to give the
/// **policy** logits, whose log-softmax gives the reported log-probabilities; then the behaviour steps
/// are applied, in chain order, to a copy, and the token is drawn from (or is the argmax of) that.
///
///     let sampler = Sampler([TokenPenalty(tokens: illegal, penalty: -50), Temperature(1.5), TopP(0.95)])
public struct Sampler: Sendable {
    public enum Choice: Sendable { case sample, greedy }

    public var steps: [any SamplerStep]
    public var choice: Choice

    public init(_ steps: [any SamplerStep] = [], choice: Choice = .sample) {
        self.steps = steps
        self.choice = choice
    }

    /// Argmax of the (penalised) logits.
    public static let greedy = Sampler(choice: .greedy)

    /// The usual knobs in the usual order: penalties, temperature, top-k, top-p, then a draw.
    public static func standard(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil,
                                penalties: [TokenPenalty] = []) -> Sampler {
        var steps: [any SamplerStep] = penalties
        if temperature != 1 { steps.append(Temperature(temperature)) }
        if let topK { steps.append(TopK(topK)) }
        if let topP { steps.append(TopP(topP)) }
        return Sampler(steps)
    }

    /// The penalties that define the policy, for teacher-forced scoring.
    public var penalties: [TokenPenalty] { steps.compactMap { $0 as? TokenPenalty } }

    /// The chain with extra steps placed first (e.g. `MinNewTokens`, which must act before temperature).
    func prepending(_ extra: [any SamplerStep]) -> Sampler {
        Sampler(extra + steps, choice: choice)
    }

    /// One decision per row of `logits` [R, V] (row-major, modified in place into the policy logits).
    /// Returns, per row in `rows`, the token, its policy log-probability and `termination`'s.
    func choose(logits: inout [Float], vocabulary v: Int, rows: [Int], states: [SamplingState], termination: Int?,
                using generator: inout RandomGenerator) throws -> [(token: Int, logProb: Float, terminationLogProb: Float)] {
        let policySteps = steps.filter { $0.shapesPolicy }
        let behaviourSteps = steps.filter { !$0.shapesPolicy }
        var results: [(Int, Float, Float)] = []
        results.reserveCapacity(rows.count)
        var behaviour = [Float](repeating: 0, count: v)
        try logits.withUnsafeMutableBufferPointer { all in
            for (i, r) in rows.enumerated() {
                let row = UnsafeMutableBufferPointer(rebasing: all[(r * v)..<((r + 1) * v)])
                for step in policySteps { try step.apply(to: row, state: states[i]) }
                let logZ = logSumExp(row)
                guard logZ > -.infinity else {
                    throw LanguageModelError("sampler", "every token of row \(states[i].row) has probability 0 under the policy")
                }
                let token: Int
                if behaviourSteps.isEmpty && choice == .greedy {
                    token = argmax(row)
                } else {
                    try behaviour.withUnsafeMutableBufferPointer { b in
                        _ = b.update(fromContentsOf: row)
                        for step in behaviourSteps { try step.apply(to: b, state: states[i]) }
                    }
                    token = try behaviour.withUnsafeMutableBufferPointer { b -> Int in
                        if choice == .greedy { return argmax(b) }
                        let p = softmax(b)
                        guard p.contains(where: { $0 > 0 }) else {
                            throw LanguageModelError("sampler", "the sampler chain left no token to draw in row \(states[i].row)")
                        }
                        return try generator.categorical(p)
                    }
                }
                let term = termination.map { row[$0] - logZ } ?? 0
                results.append((token, row[token] - logZ, term))
            }
        }
        return results
    }
}

/// log Σ exp(row) with the tensor kernels' vectorized exponential (max-shifted; all −∞ gives −∞).
func logSumExp(_ row: UnsafeMutableBufferPointer<Float>) -> Float {
    RowMath.logSumExp(UnsafeBufferPointer(row))
}

/// The first index of the largest value.
func argmax(_ row: UnsafeMutableBufferPointer<Float>) -> Int {
    var best = 0
    for i in row.indices where row[i] > row[best] { best = i }
    return best
}
