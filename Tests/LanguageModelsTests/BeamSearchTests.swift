import XCTest
import LanguageModels
import ModelFormats
import Tensors

final class BeamSearchTests: XCTestCase {
    /// A tiny random model with 8 tokens, 3 new tokens: all 512 continuations are scored by teacher
    /// forcing; beam search wide enough to be exhaustive (64 beams) must return the best one, and a
    /// narrow beam never beats it.
    func testFindsTheEnumeratedBest() throws {
        let m = try Transformer.random(.tiny(family: .llama, vocabulary: 8), seed: 21, standardDeviation: 0.8)
        let prompt = [3, 1]
        let all = (0..<512).map { [$0 / 64, ($0 / 8) % 8, $0 % 8] }
        let scored = try m.score(prompts: [prompt], continuations: all, terminationToken: 0)
        let sums = scored.map { $0.tokenLogProbs.reduce(0, +) }
        let bestIndex = sums.indices.max { sums[$0] < sums[$1] }!
        let wide = try m.beamSearch(prompt: prompt, options: BeamSearchOptions(beamWidth: 64, lengthPenalty: 0, maxNewTokens: 3))
        XCTAssertEqual(wide[0].tokens, all[bestIndex])
        print("beam search: best Σ log p = \(wide[0].logProb), enumerated \(sums[bestIndex])")
        XCTAssertLessThan(abs(wide[0].logProb - sums[bestIndex]), 1e-4)
        let narrow = try m.beamSearch(prompt: prompt, options: BeamSearchOptions(beamWidth: 2, lengthPenalty: 0, maxNewTokens: 3))
        XCTAssertLessThanOrEqual(narrow[0].logProb, sums[bestIndex] + 1e-5)
        // Width 1 is greedy decoding.
        var g = RandomGenerator(seed: 0)
        let greedy = try m.generate(prompts: [prompt], sampler: .greedy, options: GenerationOptions(maxNewTokens: 3), using: &g)
        let one = try m.beamSearch(prompt: prompt, options: BeamSearchOptions(beamWidth: 1, maxNewTokens: 3))
        XCTAssertEqual(one[0].tokens, greedy[0].tokens)
    }

    /// With a stop token and lengthPenalty 0, stopped hypotheses compete by Σ log p against the
    /// enumerated set of all stopped-or-cut-off sequences.
    func testStopTokensAndExhaustiveSearch() throws {
        let m = try Transformer.random(.tiny(family: .gpt2, vocabulary: 6), seed: 5, standardDeviation: 0.8)
        let prompt = [1]
        let stop = 0
        var candidates: [[Int]] = []
        func extend(_ s: [Int]) {
            if s.count == 3 || s.last == stop { candidates.append(s); return }
            for t in 0..<6 { extend(s + [t]) }
        }
        extend([])
        let scored = try m.score(prompts: [prompt], continuations: candidates, terminationToken: stop)
        let sums = scored.map { $0.tokenLogProbs.reduce(0, +) }
        let best = sums.indices.max { sums[$0] < sums[$1] }!
        let beams = try m.beamSearch(prompt: prompt, options: BeamSearchOptions(beamWidth: 36, lengthPenalty: 0, maxNewTokens: 3,
                                                                                stopTokens: [stop]))
        XCTAssertEqual(beams[0].tokens, candidates[best])
    }

    /// Diverse beam search: a strong diversity penalty makes the groups' first tokens differ.
    func testDiverseGroupsDiffer() throws {
        let m = try Transformer.random(.tiny(family: .llama, vocabulary: 16), seed: 8, standardDeviation: 0.5)
        let plain = try m.beamSearch(prompt: [2], options: BeamSearchOptions(beamWidth: 4, groups: 2, diversityPenalty: 0, maxNewTokens: 3))
        let diverse = try m.beamSearch(prompt: [2], options: BeamSearchOptions(beamWidth: 4, groups: 2, diversityPenalty: 100, maxNewTokens: 3))
        let firstByGroup = { (h: [BeamHypothesis]) in Dictionary(grouping: h, by: \.group).mapValues { Set($0.map { $0.tokens[0] }) } }
        let plainGroups = firstByGroup(plain), diverseGroups = firstByGroup(diverse)
        XCTAssertEqual(plainGroups[0], plainGroups[1])  // without a penalty the groups search alike
        XCTAssertTrue(diverseGroups[0]!.isDisjoint(with: diverseGroups[1]!))
        XCTAssertThrowsError(try m.beamSearch(prompt: [2], options: BeamSearchOptions(beamWidth: 3, groups: 2))) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
    }
}
