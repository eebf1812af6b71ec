import XCTest
import Foundation
import LanguageModels
import Tensors
@testable import GFlowNets

/// The baselines of the paper as trainers: PPO's clipped objective by hand, REINFORCE and PPO
/// raising the exact expected reward of enumerable toys, the KL to the base model, and
/// supervised fine-tuning lowering the NLL of its data.
final class BaselineTrainerTests: XCTestCase {
    // MARK: pieces by hand

    func testClippedSurrogateMatchesHandComputedValueAndGradient() throws {
        // ρ = 1.5, 1.5, 0.5, 0.5, 1.1 against old log-probs 0; ε = 0.2.
        let ratios: [Float] = [1.5, 1.5, 0.5, 0.5, 1.1], advantages: [Float] = [1, -1, 1, -1, 2]
        let logProbs = try Tensor(shape: [5], scalars: ratios.map { Foundation.log($0) })
        logProbs.requiresGrad = true
        let (loss, clipFraction) = try PolicyGradient.clippedSurrogate(logProbs: logProbs, oldLogProbs: [0, 0, 0, 0, 0],
                                                                       advantages: advantages, clip: 0.2)
        // min(ρA, clip(ρ)A): 1.2, −1.5, 0.5, −0.8, 2.2 → L = −(1.2 − 1.5 + 0.5 − 0.8 + 2.2) / 5 = −0.32.
        XCTAssertEqual(try loss.item(), -0.32, accuracy: 1e-5)
        XCTAssertEqual(clipFraction, 0.8, accuracy: 1e-12)
        try loss.backward()
        // ∂L/∂log q = −ρA/5 where the unclipped branch is the minimum, else 0.
        let expected: [Float] = [0, 0.3, -0.1, 0, -0.44]
        let grad = try XCTUnwrap(logProbs.grad).scalars
        let worst = zip(grad, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, "gradient \(grad) vs \(expected), max difference \(worst)")
    }

    func testReturnsToGoShapingAndGroupStatistics() {
        XCTAssertEqual(PolicyGradient.returnsToGo(score: 10, actionRewards: [-1, -2, -3]), [4, 5, 7])
        XCTAssertEqual(PolicyGradient.actionReward(old: -1, reference: -3, klCoefficient: 0.5, entropyCoefficient: 0.1), -0.9, accuracy: 1e-12)
        let s = PolicyGradient.groupStatistics([1, 3])
        XCTAssertEqual(s.mean, 2)
        XCTAssertEqual(s.std, 1)
        let r = try? PolicyGradient.reinforce(logProbs: Tensor(shape: [3], scalars: [-1, -2, -0.5]), advantages: [1, 1, -2], sequences: 2)
        XCTAssertEqual(try r?.item() ?? .nan, -(-1 - 2 + 1) / -2 * -1, accuracy: 1e-6)   // −(Σ A log q)/B = −(−2)/2 = 1
    }

    func testActionLayoutListsTokensThenTerminations() throws {
        let layout = ActionLayout(lengths: [2, 0, 3], forced: [false, false, true], forcedTermination: .certain)
        XCTAssertEqual(layout.row, [0, 0, 2, 2, 2, 0, 1])
        XCTAssertEqual(layout.index, [0, 1, 0, 1, 2, 2, 0])
        XCTAssertEqual(layout.counts, [3, 1, 3])
        let pf = try Tensor(shape: [3, 3], scalars: (0..<9).map { Float($0) })
        let pt = try Tensor(shape: [3, 4], scalars: (0..<12).map { Float(100 + $0) })
        XCTAssertEqual(try layout.gather(logForward: pf, logTermination: pt).scalars, [0, 1, 6, 7, 8, 102, 104])
        let model = ActionLayout(lengths: [1], forced: [true], forcedTermination: .modelProbability)
        XCTAssertEqual(model.counts, [2])
    }

    // MARK: reward maximisation on enumerable toys

    /// Scores (log R) of the tabular toy: tokens a, b, c; the best latent is "ca".
    static let table: [String: Double] = ["ca": 3, "b": 1, "cc": 1, "a": 0.5]
    static var tableReward: TextReward { TextReward { BaselineTrainerTests.table[$0] ?? 0 } }

    /// E_q[score] of the tabular policy (m_min 0, m_max 2, the forced end certain), exactly.
    func expectedScore(_ p: TabularPolicy) throws -> Double {
        var total = 0.0
        let start = p.probabilities([])
        total += start[0] * (Self.table[""] ?? 0)
        for a in 1..<p.vocabulary {
            let second = p.probabilities([a])
            total += start[a] * second[0] * (Self.table[try p.decode([a])] ?? 0)
            for b in 1..<p.vocabulary { total += start[a] * second[b] * (Self.table[try p.decode([a, b])] ?? 0) }
        }
        return total
    }

    func tabularRun(_ algorithm: PolicyGradientAlgorithm, baseline: AdvantageBaseline, steps: Int) throws -> (Double, Double, [StepMetrics]) {
        let policy = try TabularPolicy(vocabulary: 4, maxLength: 2, seed: 2)
        var c = PolicyGradientConfiguration()
        c.algorithm = algorithm
        c.baseline = baseline
        c.klCoefficient = 0
        c.samplesPerPrompt = 8
        c.minLength = 0
        c.maxLength = 2
        c.optimization.learningRate = 0.05
        c.optimization.weightDecay = 0
        c.optimization.seed = 5
        let trainer = try PolicyGradientTrainer(policy: policy, reward: Self.tableReward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        let before = try expectedScore(policy)
        let history = try trainer.fit(steps: steps)
        return (before, try expectedScore(policy), history)
    }

    func testReinforceRaisesTheExpectedReward() throws {
        let (before, after, history) = try tabularRun(.reinforce, baseline: .movingAverage(decay: 0.9), steps: 60)
        print("REINFORCE on the tabular toy: E[score] \(before) → \(after)")
        XCTAssertGreaterThan(after, before + 1, "E[score] \(before) → \(after)")
        XCTAssertNotNil(history.last?.extra[.movingBaseline])
    }

    func testPPORaisesTheExpectedRewardAndClips() throws {
        let (before, after, history) = try tabularRun(.ppo(clip: 0.2, epochs: 4), baseline: .groupMean(normalize: true), steps: 30)
        print("PPO on the tabular toy: E[score] \(before) → \(after)")
        XCTAssertGreaterThan(after, before + 1, "E[score] \(before) → \(after)")
        XCTAssertGreaterThan(history.map { $0.extra[.clipFraction] ?? 0 }.max() ?? 0, 0, "some ratios leave [0.8, 1.2] over 4 epochs")
        XCTAssertEqual(history.first?.extra[.kl], nil, "no KL term without a coefficient")
    }

    // MARK: a tiny transformer with LoRA

    static let letters = Array("⊤abcde")
    static func decode(_ tokens: [Int]) throws -> String { String(tokens.map { letters[$0] }) }

    func makePolicy(seed: UInt64 = 3) throws -> LanguageModelPolicy {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: seed, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"], seed: 1))
        return try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
    }

    /// E_q[log R] of the transformer policy over latents of 1–2 tokens (m_min 1), exactly.
    func expectedLogReward(_ policy: LanguageModelPolicy, _ reward: (String) -> Double) throws -> Double {
        var latents: [[Int]] = []
        for a in 1...5 { latents.append([a]); for b in 1...5 { latents.append([a, b]) } }
        let s = try policy.model.score(prompts: [[1]], continuations: latents, terminationToken: 0)
        let stopAtStart = exp(Double(s[0].terminationLogProbs[0]))
        var total = 0.0
        for (z, scored) in zip(latents, s) {
            var logQ = scored.tokenLogProbs.reduce(0.0) { $0 + Double($1) }
            if z.count == 1 { logQ += Double(scored.terminationLogProbs[1]) }
            total += exp(logQ) / (1 - stopAtStart) * reward(try Self.decode(z))
        }
        return total
    }

    func testPPOWithKLOnATinyTransformer() throws {
        let policy = try makePolicy()
        let score: (String) -> Double = { $0.hasPrefix("b") ? 2 : ($0 == "dd" ? 1 : -1) }
        var c = PolicyGradientConfiguration()
        c.algorithm = .ppo(clip: 0.2, epochs: 2)
        c.klCoefficient = 0.05
        c.samplesPerPrompt = 8
        c.maxLength = 2
        c.optimization.learningRate = 0.02
        c.optimization.weightDecay = 0
        c.optimization.seed = 1
        let trainer = try PolicyGradientTrainer(policy: policy, reward: TextReward(score), prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        let before = try expectedLogReward(policy, score)
        let first = try trainer.trainStep()
        // Adapters start at B = 0: the policy is the base model, so the sampled KL is exactly 0.
        let kl0 = try XCTUnwrap(first.extra[.kl])
        XCTAssertEqual(kl0, 0, accuracy: 1e-6)
        let history = try trainer.fit(steps: 20)
        let after = try expectedLogReward(policy, score)
        print("PPO on a tiny transformer: E[log R] \(before) → \(after); KL \(history.last?.extra[.kl] ?? .nan)")
        XCTAssertGreaterThan(after, before + 0.5, "E[log R] \(before) → \(after)")
        XCTAssertGreaterThan(history.last?.extra[.kl] ?? 0, 0, "the trained policy has moved away from the base model")
    }

    func testAdaptiveKLCoefficient() throws {
        XCTAssertEqual(PolicyGradient.adaptedKLCoefficient(0.2, kl: 0.3, target: 0.1, sequences: 8, horizon: 10_000), 0.2 * (1 + 0.2 * 8 / 10_000), accuracy: 1e-15)
        XCTAssertEqual(PolicyGradient.adaptedKLCoefficient(0.2, kl: 0.09, target: 0.1, sequences: 4, horizon: 8), 0.2 * (1 - 0.1 * 0.5), accuracy: 1e-12)
        var c = PolicyGradientConfiguration()
        c.klCoefficient = 0.05
        c.klTarget = 0.1
        c.klHorizon = 8
        c.samplesPerPrompt = 8
        c.maxLength = 2
        let trainer = try PolicyGradientTrainer(policy: makePolicy(), reward: Self.tableReward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        let first = try trainer.trainStep()
        XCTAssertEqual(first.extra[.klCoefficient] ?? .nan, 0.05, accuracy: 1e-12)
        // The first step's KL is 0 (adapters at B = 0): the error is clipped to −0.2 and B / horizon = 1.
        XCTAssertEqual(trainer.klCoefficient, 0.04, accuracy: 1e-9)
        c.klCoefficient = 0
        XCTAssertThrowsError(try PolicyGradientTrainer(policy: makePolicy(), reward: Self.tableReward, prompts: [TrainingPrompt(tokens: [1])], configuration: c))
    }

    func testKLNeedsAReferenceModel() throws {
        let policy = try TabularPolicy(vocabulary: 3, maxLength: 1, seed: 1)
        XCTAssertThrowsError(try PolicyGradientTrainer(policy: policy, reward: Self.tableReward, prompts: [TrainingPrompt(tokens: [1])])) { e in
            XCTAssertTrue("\(e)".contains("KL"), "\(e)")
        }
        var c = PolicyGradientConfiguration()
        c.algorithm = .ppo(clip: 0, epochs: 1)
        XCTAssertThrowsError(try PolicyGradientTrainer(policy: try makePolicy(), reward: Self.tableReward,
                                                       prompts: [TrainingPrompt(tokens: [1])], configuration: c)) { e in
            XCTAssertTrue("\(e)".contains("clip"), "\(e)")
        }
    }

    // MARK: supervised fine-tuning

    func testSupervisedFineTuningLowersNLLAndTeachesTheCompletion() throws {
        let policy = try makePolicy()
        let taught = [2, 3]
        let examples = [SupervisedExample(prompt: [1], completion: taught), SupervisedExample(prompt: [1], completion: [4]),
                        SupervisedExample(prompt: [1, 5], completion: [5, 5]), SupervisedExample(prompt: [1], completion: taught)]
        var c = SupervisedConfiguration()
        c.batchSize = 3
        c.epochs = 10
        c.optimization.learningRate = 0.02
        c.optimization.weightDecay = 0
        let trainer = try SupervisedTrainer(policy: policy, examples: examples, configuration: c)
        func logProbability(_ z: [Int]) throws -> Double {
            let s = try policy.model.score(prompts: [[1]], continuations: [z], terminationToken: 0)[0]
            return s.tokenLogProbs.reduce(0.0) { $0 + Double($1) } + Double(s.terminationLogProbs[z.count])
        }
        let nllBefore = try trainer.meanNegativeLogLikelihood(), pBefore = try logProbability(taught)
        XCTAssertEqual(trainer.stepsPerEpoch, 2)
        XCTAssertEqual(Set(trainer.batch(atStep: 0) + trainer.batch(atStep: 1)), Set(0..<4), "an epoch visits every example once")
        let history = try trainer.fitEpochs()
        XCTAssertEqual(history.count, 20)
        let nllAfter = try trainer.meanNegativeLogLikelihood(), pAfter = try logProbability(taught)
        print("SFT on a tiny transformer: NLL \(nllBefore) → \(nllAfter); log q(taught ⊤) \(pBefore) → \(pAfter)")
        XCTAssertLessThan(nllAfter, 0.7 * nllBefore)
        XCTAssertGreaterThan(pAfter, pBefore + 0.5)
        XCTAssertEqual(history.first?.loss ?? .nan, nllBefore, accuracy: 0.2, "the first step's loss is the batch NLL before training")
    }

    func testSupervisedCheckpointResumesExactly() throws {
        let dir = try TestPaths.scratchDirectory("sft-resume")
        let examples = (1...5).map { SupervisedExample(prompt: [1], completion: [$0, ($0 % 5) + 1]) }
        var c = SupervisedConfiguration()
        c.batchSize = 2
        c.optimization.learningRate = 0.01
        c.optimization.seed = 3
        let a = try SupervisedTrainer(policy: makePolicy(), examples: examples, configuration: c)
        a.checkpointDirectory = dir.appendingPathComponent("ckpt")
        try a.fit(steps: 2)
        a.checkpointDirectory = nil
        let continued = try a.fit(steps: 3)
        let b = try SupervisedTrainer(policy: makePolicy(), examples: examples, configuration: c)
        try b.resume(from: dir.appendingPathComponent("ckpt"))
        XCTAssertEqual(b.step, 2)
        XCTAssertEqual(try b.fit(steps: 3).map(\.loss), continued.map(\.loss))
        let ppo = try PolicyGradientTrainer(policy: makePolicy(), reward: Self.tableReward, prompts: [TrainingPrompt(tokens: [1])])
        XCTAssertEqual([a.method, ppo.method], [.sft, .ppo])
        XCTAssertThrowsError(try ppo.resume(from: dir.appendingPathComponent("ckpt"))) { e in
            XCTAssertTrue("\(e)".contains("written by sft, this trainer is ppo"), "\(e)")
        }
    }
}
