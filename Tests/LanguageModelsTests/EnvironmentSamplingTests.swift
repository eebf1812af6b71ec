import Foundation
import XCTest
import LanguageModels
import ModelFormats
import Tensors
import TestFixtures

/// Sampling with an environment that inserts tokens between actions: the KV cache stays exact
/// (against recomputing every state from scratch), batched rows with insertions of different
/// lengths at different steps decide as they would alone, and teacher-forced scoring reads the
/// same states with the inserted tokens left out of log P_F.
final class EnvironmentSamplingTests: XCTestCase {
    /// After an action a, with c = a + the state's length: when c is even, inserts c % 5 + 1 tokens
    /// derived from them, so rows receive insertions of different lengths at different steps.
    final class ToyEnvironment: SamplingEnvironment {
        let vocabulary: Int
        private(set) var calls = 0
        init(vocabulary: Int) { self.vocabulary = vocabulary }
        func insertion(prompt: [Int], generated: [Int]) throws -> [Int] {
            calls += 1
            guard let a = generated.last, (a + generated.count) % 2 == 0 else { return [] }
            let c = a + generated.count
            return (0..<(c % 5 + 1)).map { (c + $0 + 1) % vocabulary }
        }
    }

    static let families: [ArchitectureFamily] = [.llama, .gpt2]

    static func model(_ family: ArchitectureFamily) throws -> Transformer {
        let config = ModelConfig.tiny(family: family, layers: 2, heads: 2, keyValueHeads: family == .llama ? 1 : 2,
                                      width: 16, feedForward: 32, vocabulary: 13, context: 64)
        return try Transformer.random(config, seed: 11, standardDeviation: 0.5)
    }

    /// log-softmax of the last position's logits of `ids`, by a full pass without a cache.
    static func lastLogProbs(_ m: Transformer, _ ids: [Int], penalties: [TokenPenalty]) throws -> [Float] {
        let v = m.config.vocabularySize
        var row = Array(try m.logits([ids]).scalars.suffix(v))
        for p in penalties { for t in p.tokens { row[t] += p.penalty } }
        let top = row.max() ?? 0
        let logZ = top + Foundation.log(row.reduce(Float(0)) { $0 + Foundation.exp($1 - top) })
        return row.map { $0 - logZ }
    }

    /// Greedy decoding of each prompt alone, recomputing the whole state at every step.
    static func greedyFromScratch(_ m: Transformer, prompt: [Int], environment: SamplingEnvironment, maxNew: Int, stop: Int,
                                  penalties: [TokenPenalty]) throws -> (actions: [Int], insertions: [Int: [Int]], logProbs: [Float], termination: [Float]) {
        var generated: [Int] = [], actions: [Int] = [], insertions: [Int: [Int]] = [:], logProbs: [Float] = [], termination: [Float] = []
        for _ in 0..<maxNew {
            let lp = try lastLogProbs(m, prompt + generated, penalties: penalties)
            var best = 0
            for i in lp.indices where lp[i] > lp[best] { best = i }
            actions.append(best); logProbs.append(lp[best]); termination.append(lp[stop])
            generated.append(best)
            if best == stop { break }
            let inserted = try environment.insertion(prompt: prompt, generated: generated)
            if !inserted.isEmpty { insertions[actions.count - 1] = inserted; generated += inserted }
        }
        return (actions, insertions, logProbs, termination)
    }

    /// Four prompts of different lengths decoded together (rows stop at different steps and take
    /// insertions of 1–5 tokens at different steps) give exactly what each gives alone from scratch.
    func testBatchedGreedyWithInsertionsEqualsRowByRowRecomputation() throws {
        for family in Self.families {
            let m = try Self.model(family)
            let prompts = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [10, 11]]
            let penalty = TokenPenalty(tokens: [1, 2], penalty: -1.5)
            let stop = 12
            let options = GenerationOptions(maxNewTokens: 10, stopTokens: [stop], samplesPerPrompt: 1)
            var g = RandomGenerator(seed: 1)
            let environment = ToyEnvironment(vocabulary: 13)
            let rows = try m.generate(prompts: prompts, sampler: Sampler([penalty], choice: .greedy), options: options,
                                      environment: environment, using: &g)
            var worst: Float = 0
            for (p, row) in zip(prompts, rows) {
                let want = try Self.greedyFromScratch(m, prompt: p, environment: ToyEnvironment(vocabulary: 13), maxNew: 10, stop: stop,
                                                      penalties: [penalty])
                XCTAssertEqual(row.tokens, want.actions, "\(family)")
                XCTAssertEqual(row.insertions, want.insertions, "\(family)")
                worst = max(worst, maxAbsDifference(row.tokenLogProbs, want.logProbs))
                worst = max(worst, maxAbsDifference(row.terminationLogProbs, want.termination))
            }
            // The case this test is about must occur: insertions of several lengths, in several rows.
            let lengths = Set(rows.flatMap { $0.insertions.values.map(\.count) })
            XCTAssertTrue(lengths.count >= 2 && rows.filter { !$0.insertions.isEmpty }.count >= 2, "\(family)")
            print("\(family): greedy with insertions, batched vs from scratch: max |Δ log p| = \(worst); insertion lengths \(lengths.sorted())")
            XCTAssertLessThan(worst, 1e-4, "\(family)")
        }
    }

    /// Sampled rows (3 per prompt, temperature, a penalty): every reported log-probability equals
    /// teacher-forced scoring of the same states with the insertions masked out of log P_F.
    func testSampledLogProbsEqualTeacherForcedScoringWithInsertions() throws {
        for family in Self.families {
            let m = try Self.model(family)
            let prompts = [[1, 2, 3], [4, 5]]
            let penalty = TokenPenalty(tokens: [7], penalty: -2)
            let options = GenerationOptions(maxNewTokens: 8, minNewTokens: 2, stopTokens: [12], samplesPerPrompt: 3)
            var g = RandomGenerator(seed: 3)
            let rows = try m.generate(prompts: prompts, sampler: Sampler([penalty, Temperature(1.7)]), options: options,
                                      environment: ToyEnvironment(vocabulary: 13), using: &g)
            XCTAssertTrue(rows.contains { !$0.insertions.isEmpty }, "\(family)")
            let actions = rows.map { $0.stopped ? Array($0.tokens.dropLast()) : $0.tokens }
            let scored = try m.score(prompts: rows.map { prompts[$0.promptIndex] }, continuations: actions,
                                     insertions: rows.map(\.insertions), terminationToken: 12, penalties: [penalty])
            var worst: Float = 0
            for (i, (row, s)) in zip(rows, scored).enumerated() {
                let n = actions[i].count
                worst = max(worst, maxAbsDifference(Array(row.tokenLogProbs.prefix(n)), s.tokenLogProbs))
                worst = max(worst, maxAbsDifference(row.terminationLogProbs, Array(s.terminationLogProbs.prefix(row.terminationLogProbs.count))))
                if let final = row.finalTerminationLogProb { worst = max(worst, abs(final - s.terminationLogProbs[n])) }
                // Insertions never count toward the maximum length.
                XCTAssertTrue(row.tokens.count <= 8 && row.stateTokens.count == row.tokens.count + row.insertions.values.reduce(0) { $0 + $1.count }, "\(family)")
            }
            print("\(family): sampling with insertions vs teacher-forced scoring: max |Δ| = \(worst)")
            XCTAssertLessThan(worst, 1e-4, "\(family)")
        }
    }

    /// Without an environment nothing changes: the same seed gives the same rows with and without
    /// an environment that never inserts.
    func testAnEnvironmentThatNeverInsertsChangesNothing() throws {
        final class Silent: SamplingEnvironment {
            func insertion(prompt: [Int], generated: [Int]) throws -> [Int] { [] }
        }
        let m = try Self.model(.llama)
        let options = GenerationOptions(maxNewTokens: 6, stopTokens: [12], samplesPerPrompt: 2)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let plain = try m.generate(prompts: [[1, 2]], sampler: Sampler([Temperature(1.3)]), options: options, using: &a)
        let silent = try m.generate(prompts: [[1, 2]], sampler: Sampler([Temperature(1.3)]), options: options,
                                    environment: Silent(), using: &b)
        XCTAssertEqual(plain.map(\.tokens), silent.map(\.tokens))
        XCTAssertTrue(silent.allSatisfy { $0.insertions.isEmpty })
    }

    /// Insertions that grow past the cache's first capacity make it grow; ones that leave the model's
    /// context, or name tokens outside the vocabulary, are errors naming the cause.
    func testLongInsertionsGrowTheCacheAndBadOnesAreErrors() throws {
        final class Fixed: SamplingEnvironment {
            let tokens: [Int]
            init(_ tokens: [Int]) { self.tokens = tokens }
            func insertion(prompt: [Int], generated: [Int]) throws -> [Int] { tokens }
        }
        let m = try Self.model(.llama)
        let options = GenerationOptions(maxNewTokens: 4, stopTokens: [12], samplesPerPrompt: 2)
        var g = RandomGenerator(seed: 2)
        let rows = try m.generate(prompts: [[1]], sampler: Sampler([TokenPenalty.ban([12])]), options: options,
                                  environment: Fixed([3, 4, 5, 6, 7, 8]), using: &g)
        XCTAssertTrue(rows.allSatisfy { $0.tokens.count == 4 && $0.stateTokens.count == 28 })
        let scored = try m.score(prompts: [[1], [1]], continuations: rows.map(\.tokens), insertions: rows.map(\.insertions),
                                 terminationToken: 12, penalties: [TokenPenalty.ban([12])])
        for (row, s) in zip(rows, scored) { XCTAssertLessThan(maxAbsDifference(row.tokenLogProbs, s.tokenLogProbs), 1e-4) }

        var h = RandomGenerator(seed: 2)
        XCTAssertThrowsError(try m.generate(prompts: [[1]], options: options, environment: Fixed([13]), using: &h)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertThrowsError(try m.generate(prompts: [[1]], options: options, environment: Fixed(Array(repeating: 3, count: 40)), using: &h)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
    }
}
