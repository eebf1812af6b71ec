import Glibc
import Synchronization
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
    ///
    /// Rows are decided in parallel. A draw takes one uniform from `generator` per row, taken in row
    /// order before any row is decided, so the tokens do not depend on the thread count. If rows
    /// fail, the error of the first of them is thrown.
    func choose(logits: inout [Float], vocabulary v: Int, rows: [Int], states: [SamplingState], termination: Int?,
                using generator: inout RandomGenerator) throws -> [(token: Int, logProb: Float, terminationLogProb: Float)] {
        let uniforms = choice == .sample ? rows.map { _ in generator.uniformDouble() } : []
        var results = [(token: Int, logProb: Float, terminationLogProb: Float)](repeating: (0, 0, 0), count: rows.count)
        let failures = Mutex<[(index: Int, error: any Error)]>([])
        logits.withUnsafeMutableBufferPointer { all in
            results.withUnsafeMutableBufferPointer { out in
                let shared = UncheckedSendable((all, out))
                parallelChunks(rows.count, work: rows.count * v) { range in
                    let (all, out) = shared.value
                    var behaviour = [Float](repeating: 0, count: v)
                    for i in range {
                        let r = rows[i]
                        do {
                            out[i] = try decide(row: UnsafeMutableBufferPointer(rebasing: all[(r * v)..<((r + 1) * v)]),
                                                state: states[i], termination: termination,
                                                uniform: uniforms.isEmpty ? nil : uniforms[i], scratch: &behaviour)
                        } catch {
                            failures.withLock { $0.append((i, error)) }
                            return
                        }
                    }
                }
            }
        }
        if let first = failures.withLock({ $0.min { $0.index < $1.index } }) { throw first.error }
        return results
    }

    /// One row: the policy steps in place, then the token from the behaviour (a copy in `scratch`),
    /// drawn with `uniform` or, without one, the argmax.
    private func decide(row: UnsafeMutableBufferPointer<Float>, state: SamplingState, termination: Int?, uniform: Double?,
                        scratch: inout [Float]) throws -> (token: Int, logProb: Float, terminationLogProb: Float) {
        for step in steps where step.shapesPolicy { try step.apply(to: row, state: state) }
        let logZ = logSumExp(row)
        guard logZ > -.infinity else {
            throw LanguageModelError("sampler", "every token of row \(state.row) has probability 0 under the policy")
        }
        let token: Int
        if uniform == nil && !steps.contains(where: { !$0.shapesPolicy }) {
            token = argmax(row)
        } else {
            token = try scratch.withUnsafeMutableBufferPointer { b -> Int in
                _ = b.update(fromContentsOf: row)
                for step in steps where !step.shapesPolicy { try step.apply(to: b, state: state) }
                guard let uniform else { return argmax(b) }
                let p = softmax(b)
                guard p.contains(where: { $0 > 0 }) else {
                    throw LanguageModelError("sampler", "the sampler chain left no token to draw in row \(state.row)")
                }
                return try p.withUnsafeBufferPointer { try RandomGenerator.categorical($0, uniform: uniform) }
            }
        }
        let term = termination.map { row[$0] - logZ } ?? 0
        return (token, row[token] - logZ, term)
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
