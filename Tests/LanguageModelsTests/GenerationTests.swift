import Foundation
import XCTest
import LanguageModels
import Tensors

/// KV-cache sampling against teacher-forced scoring, reproducibility, stop/min/max handling.
final class GenerationTests: XCTestCase {
    static let prompts = [[504, 3575, 282, 4649, 314], [1, 9690, 198, 2683]]  // "The capital of France is", chat start

    /// Every per-step log-probability of sampled rows (two prompts of different lengths, shared-prefix
    /// cache with 3 samples each, a penalty, temperature) equals teacher-forced scoring of the rows.
    func testCachedSamplingMatchesTeacherForcedScoring() throws {
        try SharedModel.withModel { model in
            let m = model.transformer
            let penalty = TokenPenalty(tokens: [30, 28, 198], penalty: -3)
            let sampler = Sampler([penalty, Temperature(1.5), TopK(200)])
            let options = GenerationOptions(maxNewTokens: 6, minNewTokens: 1, stopTokens: [30, 2], samplesPerPrompt: 3)
            var g = RandomGenerator(seed: 7)
            let rows = try m.generate(prompts: Self.prompts, sampler: sampler, options: options, using: &g)
            XCTAssertEqual(rows.count, 6)
            let scored = try m.score(prompts: rows.map { Self.prompts[$0.promptIndex] }, continuations: rows.map(\.tokens),
                                     terminationToken: 30, penalties: [penalty])
            var worst: Float = 0
            for (row, s) in zip(rows, scored) {
                XCTAssertTrue(row.tokens.count >= 1 && row.tokens.count <= 6)
                XCTAssertTrue(row.tokenLogProbs.count == row.tokens.count && row.terminationLogProbs.count == row.tokens.count)
                worst = max(worst, maxAbsDifference(row.tokenLogProbs, s.tokenLogProbs))
                worst = max(worst, maxAbsDifference(row.terminationLogProbs, Array(s.terminationLogProbs.prefix(row.tokens.count))))
                if let final = row.finalTerminationLogProb {
                    XCTAssertTrue(!row.stopped && row.tokens.count == 6)
                    worst = max(worst, abs(final - s.terminationLogProbs[row.tokens.count]))
                } else {
                    XCTAssertTrue(row.stopped)
                }
                if row.stopped { XCTAssertTrue([30, 2].contains(row.tokens.last!)) }
                XCTAssertTrue(row.tokens.dropLast().allSatisfy { ![30, 2].contains($0) })
            }
            // Rows that stop leave the decoding batch and its cache: the rows decoded after that must
            // still match scoring, so this seed has a row that stops early while others go on.
            print("row lengths: \(rows.map(\.tokens.count)), stopped: \(rows.map(\.stopped))")
            XCTAssertTrue(rows.contains { $0.stopped && $0.tokens.count < 6 } && rows.contains { $0.tokens.count >= 3 })
            print("KV-cache sampling vs teacher-forced scoring: max |Δ log p| = \(worst) (tolerance 1e-3)")
            XCTAssertLessThan(worst, 1e-3)
        }
    }

    func testSeededSamplingIsReproducible() throws {
        try SharedModel.withModel { model in
            let options = GenerationOptions(maxNewTokens: 5, samplesPerPrompt: 2)
            var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
            let sampler = Sampler.standard(temperature: 1.2, topP: 0.95)
            let first = try model.transformer.generate(prompts: [Self.prompts[0]], sampler: sampler, options: options, using: &a)
            let second = try model.transformer.generate(prompts: [Self.prompts[0]], sampler: sampler, options: options, using: &b)
            let other = try model.transformer.generate(prompts: [Self.prompts[0]], sampler: sampler, options: options, using: &c)
            // Tokens must repeat exactly. Log-probabilities may differ in the last bits: tests run in
            // parallel, and OpenBLAS's thread count (changed process-wide by attention) alters summation order.
            XCTAssertEqual(first.map(\.tokens), second.map(\.tokens))
            var maxDiff: Float = 0
            for (x, y) in zip(first, second) {
                maxDiff = max(maxDiff, maxAbsDifference(x.tokenLogProbs + x.terminationLogProbs, y.tokenLogProbs + y.terminationLogProbs))
            }
            XCTAssertLessThan(maxDiff, 1e-4, "seeded runs differ in log-probabilities by \(maxDiff)")
            XCTAssertNotEqual(first.map(\.tokens), other.map(\.tokens))
        }
    }

    /// Greedy decoding picks the argmax of the full forward pass at each step; min/max new tokens hold.
    func testGreedyFollowsTheForwardPassAndLimits() throws {
        try SharedModel.withModel { model in
            let m = model.transformer
            var g = RandomGenerator(seed: 1)
            let rows = try m.generate(prompts: [Self.prompts[0]], sampler: .greedy,
                                      options: GenerationOptions(maxNewTokens: 4), using: &g)
            let ids = Self.prompts[0] + rows[0].tokens
            let logits = try m.logits([ids]).scalars
            let v = m.config.vocabularySize
            for (t, token) in rows[0].tokens.enumerated() {
                let p = Self.prompts[0].count - 1 + t
                XCTAssertEqual(topIndices(logits[(p * v)..<((p + 1) * v)], 1), [token])
            }
            XCTAssertTrue(rows[0].tokens.count == 4 && !rows[0].stopped)
            // The most likely first token (29 for this prompt) as the stop token, forbidden for 2 steps.
            let stopped = try m.generate(prompts: [Self.prompts[0]], sampler: .greedy,
                                         options: GenerationOptions(maxNewTokens: 5, minNewTokens: 2, stopTokens: [29]), using: &g)
            XCTAssertTrue(stopped[0].tokens.prefix(2).allSatisfy { $0 != 29 })
            // Banning a token removes it from the policy: its log-probability is −∞ and it is never drawn.
            let banned = try m.generate(prompts: [Self.prompts[0]], sampler: Sampler([TokenPenalty.ban([29])], choice: .greedy),
                                        options: GenerationOptions(maxNewTokens: 1, stopTokens: [29]), using: &g)
            XCTAssertTrue(banned[0].tokens != [29] && banned[0].terminationLogProbs[0] == -.infinity)
        }
    }

    func testBadInputsAreErrors() throws {
        let m = try Transformer.random(.tiny(family: .llama), seed: 1)
        var g = RandomGenerator(seed: 1)
        XCTAssertThrowsError(try m.generate(prompts: [[]], using: &g)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.generate(prompts: [[64]], using: &g)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.generate(prompts: [[1]], options: GenerationOptions(maxNewTokens: 2, minNewTokens: 3), using: &g)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.generate(prompts: [[1]], options: GenerationOptions(maxNewTokens: 500), using: &g)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.score(prompts: [[1], [2]], continuations: [[1]], terminationToken: 0)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.score(prompts: [[1]], continuations: [[1]], terminationToken: 99)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.generate(prompts: [[1]], sampler: Sampler([Temperature(0)]), using: &g))
    }
}
