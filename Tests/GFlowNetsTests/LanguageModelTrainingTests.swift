import XCTest
import Foundation
import LanguageModels
import Tensors
@testable import GFlowNets

/// GFlowNet fine-tuning of a tiny random transformer with LoRA, on a case small enough to
/// enumerate: tokens 1…5 (⊤ = 0), latents of 1–2 tokens (30 strings), a target table over them.
final class LanguageModelTrainingTests: XCTestCase {
    static let letters = Array("⊤abcde")
    static func decode(_ tokens: [Int]) throws -> String { String(tokens.map { letters[$0] }) }

    func makeModel(seed: UInt64 = 3) throws -> Transformer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: 6, context: 16)
        let model = try Transformer.random(config, seed: seed, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"], seed: 1))
        return model
    }

    /// The exact distribution the sampler draws from at temperature 1 with m_min = 1, m_max = 2.
    func samplerDistribution(_ policy: LanguageModelPolicy) throws -> [String: Double] {
        var latents: [[Int]] = []
        for a in 1...5 { latents.append([a]); for b in 1...5 { latents.append([a, b]) } }
        let s = try policy.model.score(prompts: [[1]], continuations: latents, terminationToken: 0)
        let stopAtStart = exp(Double(s[0].terminationLogProbs[0]))
        var out: [String: Double] = [:]
        for (z, scored) in zip(latents, s) {
            var logQ = scored.tokenLogProbs.reduce(0.0) { $0 + Double($1) }
            if z.count == 1 { logQ += Double(scored.terminationLogProbs[1]) }   // length 2: forced end
            out[try Self.decode(z)] = exp(logQ) / (1 - stopAtStart)
        }
        return out
    }

    func testShortRunMovesTinyModelTowardTarget() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, decode: Self.decode)
        var rng = RandomGenerator(seed: 9)
        var weights: [String: Double] = [:]
        for a in 1...5 {
            weights[try Self.decode([a])] = Double(rng.uniform(0.2, 2))
            for b in 1...5 { weights[try Self.decode([a, b])] = Double(rng.uniform(0.2, 2)) }
        }
        let z = weights.values.reduce(0, +)
        let target = weights.mapValues { $0 / z }
        let reward = try TargetTableReward(probabilities: weights, otherwise: -3)
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 16
        c.minLength = 1
        c.maxLength = 2
        c.learningRate = 0.02
        c.learningRateSchedule = .constant
        c.weightDecay = 0
        c.seed = 4
        let trainer = try GFlowNetTrainer(policy: policy, reward: reward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        let before = totalVariation(try samplerDistribution(policy), target)
        let history = try trainer.fit(steps: 120)
        let after = totalVariation(try samplerDistribution(policy), target)
        let early = history.prefix(10).map(\.loss).reduce(0, +) / 10, late = history.suffix(10).map(\.loss).reduce(0, +) / 10
        print("tiny transformer + LoRA, SubTB: TV to target \(before) → \(after); loss \(early) → \(late)")
        XCTAssertLessThan(after, 0.5 * before, "TV \(before) → \(after)")
        XCTAssertLessThan(late, 0.5 * early, "loss \(early) → \(late)")
        // The reward model is the base network: switching adapters off gives the untrained policy.
        let base = try LikelihoodReward(model: model, terminationToken: 0, minLength: 0)
            .logRewards(latents: [[2, 3]], context: RewardContext(promptTokens: [1], key: "k", decode: Self.decode))
        let fresh = try makeModel()
        let expected = try LikelihoodReward(model: fresh, terminationToken: 0, minLength: 0)
            .logRewards(latents: [[2, 3]], context: RewardContext(promptTokens: [1], key: "k", decode: Self.decode))
        XCTAssertEqual(base[0].count, 3)
        for (x, y) in zip(base[0], expected[0]) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testLikelihoodRewardsPerPrefix() throws {
        let model = try makeModel()
        let context = RewardContext(promptTokens: [1, 2], key: "k", decode: Self.decode)
        let penalty = TokenPenalty(tokens: [5], penalty: -50)
        let reward = LikelihoodReward(model: model, terminationToken: 0, penalties: [penalty], minLength: 1, substitute: -99)
        let r = try reward.logRewards(latents: [[3, 5, 4], [2]], context: context)
        let s = try model.score(prompts: [[1, 2]], continuations: [[3, 5, 4]], terminationToken: 0, penalties: [penalty])[0]
        XCTAssertEqual(r[0][0], -99)
        for t in 1...3 {
            let expected = s.tokenLogProbs[..<t].reduce(0.0) { $0 + Double($1) } + Double(s.terminationLogProbs[t])
            XCTAssertEqual(r[0][t], expected, accuracy: 1e-4)
        }
        XCTAssertLessThan(r[0][2], r[0][1] - 40, "the banned token costs about 50")
        XCTAssertEqual(r[1].count, 2)

        // Explaining Y = [4, 4]: latent likelihood plus Y's, no ⊤ term.
        let y = try ContinuationLikelihoodReward(model: model, continuation: [4, 4])
        let ry = try y.logRewards(latents: [[3, 2]], context: context)[0]
        for t in 0...2 {
            let latent = try model.score(prompts: [[1, 2]], continuations: [[3, 2]], terminationToken: 0)[0].tokenLogProbs[..<t]
            let obs = try model.score(prompts: [[1, 2] + [3, 2][..<t]], continuations: [[4, 4]], terminationToken: 0)[0].tokenLogProbs
            XCTAssertEqual(ry[t], latent.reduce(0.0) { $0 + Double($1) } + obs.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4)
        }
    }

    /// Adapters round-trip through the PEFT layout, and resuming on the transformer is exact.
    func testAdaptersSaveLoadAndResume() throws {
        let dir = try TestPaths.scratchDirectory("lm-resume")
        let reward = TextReward { Double($0.count) * 0.5 - 1 }
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 4
        c.maxLength = 3
        c.learningRate = 0.01
        c.behaviour = try BehaviourPolicy(useBufferProbability: 0.3, temperedProbability: 0.5)
        let a = try GFlowNetTrainer(policy: LanguageModelPolicy(model: makeModel(), terminationToken: 0, decode: Self.decode),
                                    reward: reward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        a.checkpointDirectory = dir.appendingPathComponent("ckpt")
        try a.fit(steps: 3)
        a.checkpointDirectory = nil
        let continued = try a.fit(steps: 3)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("ckpt/adapter/adapter_config.json"))) as? [String: Any]
        XCTAssertEqual(config?["r"] as? Int, 4)
        let b = try GFlowNetTrainer(policy: LanguageModelPolicy(model: makeModel(seed: 3), terminationToken: 0, decode: Self.decode),
                                    reward: reward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        try b.resume(from: dir.appendingPathComponent("ckpt"))
        let resumed = try b.fit(steps: 3)
        XCTAssertEqual(resumed.map(\.loss), continued.map(\.loss))
        XCTAssertEqual(b.policy.trainableParameters.map(\.scalars), a.policy.trainableParameters.map(\.scalars))
    }
}
