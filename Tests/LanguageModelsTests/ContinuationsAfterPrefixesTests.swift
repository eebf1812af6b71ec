import XCTest
import LanguageModels
import ModelFormats
import Tensors
import TestFixtures

/// `scoreContinuationsAfterPrefixes` (several continuations from one context-and-latent pass, the
/// rows' shared context prefix run once) equals scoring [context z_{1:t} Y] from scratch.
final class ContinuationsAfterPrefixesTests: XCTestCase {
    func testSeveralContinuationsEqualScoringFromScratch() throws {
        for family in [ArchitectureFamily.llama, .gpt2] {
            let config = ModelConfig.tiny(family: family, layers: 2, heads: 2, keyValueHeads: family == .llama ? 1 : 2, width: 16,
                                          feedForward: 32, vocabulary: 11, context: 40)
            let m = try Transformer.random(config, seed: 3, standardDeviation: 0.4)
            let penalty = TokenPenalty(tokens: [4], penalty: -3)
            // A shared context (its prefix runs once), contexts that share part of a prefix, and contexts that share none.
            for contexts in [[[1, 2, 3, 4, 5]], [[1, 2, 3, 9], [1, 2, 3], [1, 2, 3, 4, 5, 6]], [[7, 1], [8], [9, 9, 9]]] {
                let latents = [[3, 7, 2], [], [10, 4, 1, 2]]
                let sets = [[[6, 1]], [[2], [3, 4, 5], [8, 8]], [[9, 9, 9, 1]]]
                let got = try m.scoreContinuationsAfterPrefixes(contexts: contexts, latents: latents, continuationSets: sets,
                                                                penalties: [penalty], rowsPerChunk: 5)
                XCTAssertEqual(got.count, sets.count)
                var worst = 0.0
                for (k, set) in sets.enumerated() {
                    for (i, latent) in latents.enumerated() {
                        let context = contexts.count == 1 ? contexts[0] : contexts[i], y = set.count == 1 ? set[0] : set[i]
                        let own = try m.score(prompts: [context], continuations: [latent], terminationToken: 0, penalties: [penalty])[0]
                        XCTAssertEqual(got[k][i].latentLogProbs.count, latent.count)
                        worst = max(worst, Double(maxAbsDifference(got[k][i].latentLogProbs, own.tokenLogProbs)))
                        for t in 0...latent.count {
                            let want = try m.score(prompts: [context + latent[..<t]], continuations: [y], terminationToken: 0)[0]
                                .tokenLogProbs.reduce(0.0) { $0 + Double($1) }
                            worst = max(worst, abs(got[k][i].continuationLogLikelihoods[t] - want))
                        }
                    }
                }
                XCTAssertLessThan(worst, 1e-4, "\(family), contexts \(contexts)")
                // One set alone gives what the single-continuation call gives (chunks differ: float order only).
                let single = try m.scoreContinuationAfterPrefixes(contexts: contexts, latents: latents, continuations: sets[1],
                                                                  penalties: [penalty], rowsPerChunk: 5)
                for (a, b) in zip(single, got[1]) {
                    XCTAssertEqual(a.latentLogProbs, b.latentLogProbs)
                    for (x, y) in zip(a.continuationLogLikelihoods, b.continuationLogLikelihoods) { XCTAssertEqual(x, y, accuracy: 1e-5) }
                }
            }
        }
    }

    func testBadContinuationSetsAreErrors() throws {
        let m = try Transformer.random(.tiny(family: .llama, vocabulary: 11, context: 16), seed: 1, standardDeviation: 0.4)
        XCTAssertThrowsError(try m.scoreContinuationsAfterPrefixes(contexts: [[1]], latents: [[2]], continuationSets: [])) {
            XCTAssertTrue("\($0)".contains("no continuations"), "\($0)")
        }
        XCTAssertThrowsError(try m.scoreContinuationsAfterPrefixes(contexts: [[1]], latents: [[2], [3], [4]],
                                                                   continuationSets: [[[5]], [[5], [6]]])) {
            XCTAssertTrue("\($0)".contains("2 continuations for 3 latents"), "\($0)")
        }
    }
}
