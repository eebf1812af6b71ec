import XCTest
import Foundation
import LanguageModels
import Tensors
import TestFixtures
@testable import GFlowNets

/// Training over a dataset of examples: how examples are drawn, rewards that read the example,
/// per-example buffer seeding, skipped micro-batches, and a reward context other than the prompt.
final class ExampleTrainingTests: XCTestCase {
    static let letters = Array("⊤abcde")
    static func decode(_ tokens: [Int]) throws -> String { String(tokens.map { letters[$0] }) }

    /// A dataset row as the engine sees it: opaque, handed to rewards.
    final class Row { let target: [String: Double]; init(_ t: [String: Double]) { target = t } }

    func makeModel() throws -> Transformer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: 3, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"], seed: 1))
        return model
    }

    // MARK: drawing examples

    func testEpochsShowEveryExampleOnceInAFreshOrder() throws {
        let schedule = try ExampleSchedule(order: .epochs, weights: Array(repeating: 1, count: 7), seed: 11, context: "test")
        var rng = RandomGenerator(seed: 0)
        let draws = (0..<21).map { schedule.example(atMicroBatch: $0, using: &rng) }
        let epochs = [Array(draws[0..<7]), Array(draws[7..<14]), Array(draws[14..<21])]
        for e in epochs { XCTAssertEqual(e.sorted(), Array(0..<7), "every example once per epoch: \(e)") }
        XCTAssertNotEqual(epochs[0], epochs[1], "each epoch is shuffled anew")
        // A pure function of (seed, index): what a resumed run draws.
        var other = RandomGenerator(seed: 99)
        XCTAssertEqual(schedule.example(atMicroBatch: 15, using: &other), draws[15])
    }

    func testWeightedDrawsAreIndependentAndProportional() throws {
        // Arithmetic's pool: 10 labelled items of weight 1 and 1,000 homework items of weight 0.2.
        let weights = Array(repeating: 1.0, count: 10) + Array(repeating: 0.2, count: 1000)
        let schedule = try ExampleSchedule(order: .random, weights: weights, seed: 0, context: "test")
        var rng = RandomGenerator(seed: 5)
        let n = 50_000
        let labelled = (0..<n).filter { schedule.example(atMicroBatch: $0, using: &rng) < 10 }.count
        XCTAssertEqual(Double(labelled) / Double(n), 10.0 / 210, accuracy: 0.004)
        XCTAssertThrowsError(try ExampleSchedule(order: .epochs, weights: weights, seed: 0, context: "test")) { error in
            XCTAssertTrue("\(error)".contains("random"), "\(error)")
        }
        XCTAssertThrowsError(try ExampleSchedule(order: .random, weights: [0, 0], seed: 0, context: "test"))
        XCTAssertThrowsError(try ExampleSchedule(order: .random, weights: [1, -1], seed: 0, context: "test"))
    }

    // MARK: rewards that read the example

    /// The exact sampler distribution after `prompt` at temperature 1 with m_min = 1, m_max = 1.
    func distribution(_ model: Transformer, prompt: [Int]) throws -> [String: Double] {
        let latents = (1...5).map { [$0] }
        let s = try model.score(prompts: [prompt], continuations: latents, terminationToken: 0)
        let stopAtStart = exp(Double(s[0].terminationLogProbs[0]))
        var out: [String: Double] = [:]
        for (z, scored) in zip(latents, s) { out[try Self.decode(z)] = exp(Double(scored.tokenLogProbs[0])) / (1 - stopAtStart) }
        return out
    }

    /// Two examples whose rewards differ (each prefers other letters): one policy learns both
    /// targets, each conditioned on its own prompt. The optimum is known: q(z | X_i) ∝ R_i(z).
    func testAnExampleDependentRewardIsLearnedPerExample() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
        let rows = [Row(["a": 0.6, "b": 0.3, "c": 0.05, "d": 0.03, "e": 0.02]),
                    Row(["a": 0.02, "b": 0.03, "c": 0.05, "d": 0.3, "e": 0.6])]
        let reward = TextReward(perExample: true) { text, context in
            guard let row = context?.example as? Row else { throw GFlowNetError("test", "no example") }
            return text.isEmpty ? -5 : log(row.target[text] ?? 1e-3)
        }
        let prompts = rows.enumerated().map { i, row in TrainingPrompt(tokens: [i + 1], key: "example \(i)", exampleIndex: i, example: row) }
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 16
        c.maxLength = 1
        c.learningRate = 0.02
        c.learningRateSchedule = .constant
        c.weightDecay = 0
        c.seed = 4
        let trainer = try GFlowNetTrainer(policy: policy, reward: reward, prompts: prompts, configuration: c)
        let before = try rows.indices.map { totalVariation(try distribution(model, prompt: [$0 + 1]), rows[$0].target) }
        try trainer.fit(steps: 240)   // 120 steps per example, as the one-prompt test trains
        let after = try rows.indices.map { totalVariation(try distribution(model, prompt: [$0 + 1]), rows[$0].target) }
        print("per-example targets: TV \(before) → \(after)")
        for i in rows.indices { XCTAssertLessThan(after[i], 0.3 * before[i], "example \(i): TV \(before[i]) → \(after[i])") }
        XCTAssertLessThan(after.max() ?? 1, 0.08)
        // The cache is per example: the same text has two values.
        let c0 = RewardContext(prompts[0], decode: Self.decode), c1 = RewardContext(prompts[1], decode: Self.decode)
        XCTAssertNotEqual(try reward.logReward(text: "a", context: c0), try reward.logReward(text: "a", context: c1))
    }

    // MARK: seeding and skipping

    func testBuffersAreSeededWhenTheirExampleIsFirstDrawnAndOnlyOnce() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
        let reward = TextReward { $0.count == 2 ? 0 : -3 }
        let prompts = (0..<3).map { TrainingPrompt(tokens: [$0 + 1], key: "ex\($0)", exampleIndex: $0) }
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 2
        c.maxLength = 2
        c.behaviour = try BehaviourPolicy(shares: .init(onPolicy: 0, tempered: 0, replay: 1), emptyBuffer: .skip)
        c.pushSamplesToBuffer = false
        let trainer = try GFlowNetTrainer(policy: policy, reward: reward, prompts: prompts, configuration: c)
        var calls = 0
        // The gold latent of example i is [i+1, i+1]; a 3-token seed is longer than m_max and left out.
        trainer.bufferSeeds = { prompt in calls += 1; return [[prompt.tokens[0], prompt.tokens[0]], [1, 2, 3]] }
        let first = try trainer.trainStep()
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(first.behaviours["replay"], 1, "the seeded buffer is replayed at once")
        XCTAssertEqual(trainer.seededKeys.count, 1)
        let key = try XCTUnwrap(trainer.seededKeys.first)
        XCTAssertEqual(trainer.replayBuffer.items(for: key).map(\.tokens).count, 1)
        try trainer.fit(steps: 5)   // two more epochs' worth of draws
        XCTAssertEqual(calls, 3, "each example seeded once")
        XCTAssertEqual(trainer.seededKeys, ["ex0", "ex1", "ex2"])
        // The set survives a checkpoint, so a resumed run does not seed again.
        let dir = try TestPaths.scratchDirectory("seeded-checkpoint")
        try trainer.saveCheckpoint(to: dir)
        let resumed = try GFlowNetTrainer(policy: policy, reward: reward, prompts: prompts, configuration: c)
        resumed.bufferSeeds = { _ in calls += 100; return [] }
        try resumed.resume(from: dir)
        XCTAssertEqual(resumed.seededKeys, trainer.seededKeys)
        try resumed.trainStep()
        XCTAssertEqual(calls, 3)
    }

    func testAStepWhoseMicroBatchesAreAllSkippedChangesNothing() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
        var c = GFlowNetConfiguration()
        c.microBatchesPerStep = 2
        c.behaviour = try BehaviourPolicy(shares: .init(onPolicy: 0, tempered: 0, replay: 1), emptyBuffer: .skip)
        let trainer = try GFlowNetTrainer(policy: policy, reward: TextReward { _ in 0 }, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        let before = policy.trainableParameters.map(\.scalars)
        let m = try trainer.trainStep()
        XCTAssertEqual(m.behaviours["skipped"], 2)
        XCTAssertTrue(m.loss.isNaN)
        XCTAssertFalse(m.skipped, "nothing was non-finite")
        XCTAssertEqual(trainer.step, 1)
        XCTAssertEqual(policy.trainableParameters.map(\.scalars), before)
        XCTAssertEqual(trainer.optimizer.state.stepCount, 0, "no AdamW step")
    }

    // MARK: a reward context other than the prompt

    /// reward.continuation's context and Y come from the example, not from the policy's prompt.
    func testContinuationRewardReadsItsContextAndYFromTheExample() throws {
        let model = try makeModel()
        final class Story { let beginning: [Int], ending: [Int]; init(_ b: [Int], _ e: [Int]) { beginning = b; ending = e } }
        let reward = ContinuationLikelihoodReward(model: model, continuation: { ($0.example as! Story).ending },
                                                  context: { ($0.example as! Story).beginning }, minLength: 1, substitute: -99)
        let story = Story([2, 3], [4, 5])
        let context = RewardContext(TrainingPrompt(tokens: [1, 1, 1], key: "s", exampleIndex: 0, example: story), decode: Self.decode)
        let got = try reward.logRewards(latents: [[3, 1]], context: context)[0]
        XCTAssertEqual(got[0], -99)
        for t in 1...2 {
            let latent = try model.score(prompts: [[2, 3]], continuations: [[3, 1]], terminationToken: 0)[0].tokenLogProbs[..<t]
            let y = try model.score(prompts: [[2, 3] + [3, 1][..<t]], continuations: [[4, 5]], terminationToken: 0)[0].tokenLogProbs
            XCTAssertEqual(got[t], latent.reduce(0.0) { $0 + Double($1) } + y.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4)
        }
    }
}
