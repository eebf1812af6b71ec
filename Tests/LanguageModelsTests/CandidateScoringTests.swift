import XCTest
import LanguageModels
import ModelFormats
import Tensors
import TestFixtures

/// `scoreCandidates` (the prompts' shared prefix once, each prompt once, each candidate from a cache
/// copy) equals scoring every [prompt, candidate] row from scratch.
final class CandidateScoringTests: XCTestCase {
    static func fromScratch(_ m: Transformer, _ prompt: [Int], _ y: [Int]) throws -> Double {
        try m.score(prompts: [prompt], continuations: [y], terminationToken: 0)[0].tokenLogProbs.reduce(0.0) { $0 + Double($1) }
    }

    func check(_ m: Transformer, prompts: [[Int]], candidates: [[Int]], cacheBytes: Int = 256 << 20, maxPrompts: Int = 32,
               tolerance: Double = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        let got = try m.scoreCandidates(prompts: prompts, candidates: candidates, cacheBytes: cacheBytes, maxPromptsPerChunk: maxPrompts)
        XCTAssertEqual(got.count, prompts.count, file: file, line: line)
        for (b, p) in prompts.enumerated() {
            XCTAssertEqual(got[b].count, candidates.count, file: file, line: line)
            for (c, y) in candidates.enumerated() {
                XCTAssertEqual(got[b][c], try Self.fromScratch(m, p, y), accuracy: tolerance, "prompt \(b), candidate \(c)",
                               file: file, line: line)
            }
        }
    }

    /// Prompts with a long shared prefix, one that is all prefix but its last token, one that is a
    /// prefix of another, candidates of one and of several tokens; chunks of one prompt and of all.
    func testEqualsScoringFromScratchOnTinyModels() throws {
        for family in [ArchitectureFamily.llama, .gpt2] {
            let config = ModelConfig.tiny(family: family, layers: 2, heads: 2, keyValueHeads: family == .llama ? 1 : 2, width: 16,
                                          feedForward: 32, vocabulary: 11, context: 32)
            let m = try Transformer.random(config, seed: 7, standardDeviation: 0.4)
            let shared = [1, 2, 3, 4, 5, 6]
            let prompts = [shared + [7, 8], shared + [9], shared + [7, 8, 10, 1, 2], shared + [7]]
            let candidates = [[3], [4, 5, 6], [10, 2]]
            try check(m, prompts: prompts, candidates: candidates)
            try check(m, prompts: prompts, candidates: candidates, maxPrompts: 1)
            try check(m, prompts: prompts, candidates: candidates, cacheBytes: 1)            // one prompt per chunk
            // No shared prefix; a single prompt (all of it but its last token is "shared").
            try check(m, prompts: [[1, 2], [3], [4, 5, 6]], candidates: [[7], [8, 9]])
            try check(m, prompts: [[2, 3, 4, 5]], candidates: [[1, 1, 1], [6]])
        }
    }

    /// Few-shot shape on SmolLM2: the same demonstrations before every test sentence, two label texts.
    func testEqualsScoringFromScratchOnSmolLM2() throws {
        try SharedModel.withModel { model in
            let tokenizer = try XCTUnwrap(model.tokenizer)
            let demos = "Review: a moving film. It is subjective.\nReview: the film follows a detective in Paris. It is objective.\n"
            let prompts = ["the actors are wonderful", "he travels to Rome in 1950", "a bore"].map {
                tokenizer.encode(demos + "Review: \($0). It is")
            }
            let candidates = [" objective", " subjective", ", so it is objective"].map { tokenizer.encode($0) }
            try check(model.transformer, prompts: prompts, candidates: candidates, tolerance: 2e-3)
        }
    }

    func testBadInputIsAnErrorNamingIt() throws {
        let m = try Transformer.random(.tiny(family: .llama, vocabulary: 11, context: 8), seed: 1, standardDeviation: 0.4)
        XCTAssertEqual(try m.scoreCandidates(prompts: [], candidates: [[1]]), [])
        for (prompts, candidates, message) in [([[1]], [[Int]](), "no candidates"), ([[1]], [[]], "candidate 0 is empty"),
                                               ([[]], [[1]], "prompt 0 is empty"), ([[1, 11]], [[1]], "token 11"),
                                               ([[1]], [[2, 12]], "token 12"), ([[1, 2, 3, 4, 5, 6, 7]], [[1, 2]], "context of 8")] {
            XCTAssertThrowsError(try m.scoreCandidates(prompts: prompts, candidates: candidates)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should say \(message)")
            }
        }
    }
}
