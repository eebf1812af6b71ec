import Foundation
import XCTest
import LanguageModels
import ModelFormats
import Tensors
import TestFixtures

/// `scoreContinuationAfterPrefixes` (one pass into a cache, then Y after every prefix from copies of
/// it) equals scoring [context z_{1:t} Y] from scratch for every t.
final class ContinuationAfterPrefixesTests: XCTestCase {
    /// Reference: the latent's penalised log-probs, and log p(Y | context z_{1:t}) by plain scoring.
    static func fromScratch(_ m: Transformer, context: [Int], latent: [Int], y: [Int], penalties: [TokenPenalty]) throws
        -> (latent: [Float], y: [Double]) {
        let latentScores = try m.score(prompts: [context], continuations: [latent], terminationToken: 0, penalties: penalties)[0]
        let ys = try (0...latent.count).map { t in
            try m.score(prompts: [context + latent[..<t]], continuations: [y], terminationToken: 0)[0]
                .tokenLogProbs.reduce(0.0) { $0 + Double($1) }
        }
        return (latentScores.tokenLogProbs, ys)
    }

    func check(_ m: Transformer, contexts: [[Int]], latents: [[Int]], ys: [[Int]], penalties: [TokenPenalty],
               rowsPerChunk: Int, tolerance: Double) throws {
        let got = try m.scoreContinuationAfterPrefixes(contexts: contexts, latents: latents, continuations: ys,
                                                       penalties: penalties, rowsPerChunk: rowsPerChunk)
        XCTAssertEqual(got.count, latents.count)
        var worst = 0.0
        for (i, latent) in latents.enumerated() {
            let context = contexts.count == 1 ? contexts[0] : contexts[i], y = ys.count == 1 ? ys[0] : ys[i]
            let want = try Self.fromScratch(m, context: context, latent: latent, y: y, penalties: penalties)
            XCTAssertEqual(got[i].latentLogProbs.count, latent.count)
            XCTAssertEqual(got[i].continuationLogLikelihoods.count, latent.count + 1)
            worst = max(worst, Double(maxAbsDifference(got[i].latentLogProbs, want.latent)))
            worst = max(worst, maxAbsDifference(got[i].continuationLogLikelihoods, want.y))
        }
        print("continuation after prefixes vs scoring from scratch: max |Δ| = \(worst) (tolerance \(tolerance))")
        XCTAssertLessThan(worst, tolerance)
    }

    /// Rows of different context, latent and Y lengths (an empty latent among them), a penalty on
    /// latent positions only, and chunks smaller than the number of (row, prefix) pairs.
    func testMatchesScoringFromScratchOnTinyModels() throws {
        for family in [ArchitectureFamily.llama, .gpt2] {
            let config = ModelConfig.tiny(family: family, layers: 2, heads: 2, keyValueHeads: family == .llama ? 1 : 2, width: 16, feedForward: 32, vocabulary: 11, context: 32)
            let m = try Transformer.random(config, seed: 5, standardDeviation: 0.4)
            let penalty = TokenPenalty(tokens: [3, 7], penalty: -2)
            try check(m, contexts: [[1, 2, 3], [4], [5, 6, 7, 8, 9]], latents: [[3, 7, 2], [], [10, 10, 1, 2, 3]],
                      ys: [[4, 5], [6], [7, 8, 9, 1]], penalties: [penalty], rowsPerChunk: 4, tolerance: 1e-4)
            try check(m, contexts: [[1, 2]], latents: [[3], [4, 5], [6, 7, 8]], ys: [[9, 9, 9]], penalties: [],
                      rowsPerChunk: 32, tolerance: 1e-4)
        }
    }

    /// The same on SmolLM2, with the infilling shape: a sentence, a middle, the next sentence.
    func testMatchesScoringFromScratchOnSmolLM2() throws {
        try SharedModel.withModel { model in
            let m = model.transformer
            let tok = try XCTUnwrap(model.tokenizer)
            let context = tok.encode("She questions the suspension and the timing.")
            let latents = [" The team", " Nobody had told her why it happened", ""].map { tok.encode($0) }
            let y = tok.encode(" The cabinet approved it anyway.")
            try check(m, contexts: [context], latents: latents, ys: [y], penalties: [], rowsPerChunk: 5, tolerance: 2e-3)
        }
    }

    /// Prefixes below `firstPrefix` are left out (NaN); the others keep their values.
    func testPrefixesBelowTheFirstAreNotScored() throws {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 9, context: 16)
        let m = try Transformer.random(config, seed: 2, standardDeviation: 0.4)
        let all = try m.scoreContinuationAfterPrefixes(contexts: [[1, 2]], latents: [[3, 4, 5]], continuations: [[6, 7]])
        let some = try m.scoreContinuationAfterPrefixes(contexts: [[1, 2]], latents: [[3, 4, 5]], continuations: [[6, 7]], firstPrefix: 2)
        XCTAssertTrue(some[0].continuationLogLikelihoods[0].isNaN && some[0].continuationLogLikelihoods[1].isNaN)
        for t in 2...3 { XCTAssertLessThan(abs(some[0].continuationLogLikelihoods[t] - all[0].continuationLogLikelihoods[t]), 1e-5) }
        XCTAssertLessThan(maxAbsDifference(some[0].latentLogProbs, all[0].latentLogProbs), 1e-6)
    }

    func testBadInputsAreErrors() throws {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 8, feedForward: 16, vocabulary: 5, context: 8)
        let m = try Transformer.random(config, seed: 1)
        XCTAssertThrowsError(try m.scoreContinuationAfterPrefixes(contexts: [[]], latents: [[1]], continuations: [[2]])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.scoreContinuationAfterPrefixes(contexts: [[1]], latents: [[1]], continuations: [[]])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.scoreContinuationAfterPrefixes(contexts: [[1]], latents: [[9]], continuations: [[2]])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.scoreContinuationAfterPrefixes(contexts: [[1, 2, 3]], latents: [[1, 2, 3]], continuations: [[1, 2, 3]])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.scoreContinuationAfterPrefixes(contexts: [[1], [2]], latents: [[1], [2], [3]], continuations: [[2]])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertTrue(try m.scoreContinuationAfterPrefixes(contexts: [[1]], latents: [], continuations: [[2]]).isEmpty)
    }
}
