import XCTest
import Foundation
import LanguageModels
import Tensors
import TestFixtures
@testable import GFlowNets

/// GFlowNet training with an environment in the sampler (the calculator): the states the policy,
/// the reward and the replay buffer see hold the inserted results; the results are never actions.
final class EnvironmentTrainingTests: XCTestCase {
    /// A character vocabulary for arithmetic: ⊤, the digits, "+-=," and a space.
    static let symbols = Array("⊤0123456789+-=, ")
    static func decode(_ tokens: [Int]) throws -> String {
        String(try tokens.map { t -> Character in
            guard symbols.indices.contains(t) else { throw GFlowNetError("test", "token \(t) is outside the vocabulary") }
            return symbols[t]
        })
    }
    static func encode(_ text: String) throws -> [Int] {
        try text.map { c in
            guard let i = symbols.firstIndex(of: c), i > 0 else { throw GFlowNetError("test", "no token for \(c)") }
            return i
        }
    }
    static var calculator: TextEnvironment { .calculator(Calculator(), decode: decode, encode: encode) }

    func makeModel(seed: UInt64 = 5) throws -> Transformer {
        let config = ModelConfig.tiny(family: .llama, layers: 1, heads: 2, width: 16, feedForward: 32, vocabulary: Self.symbols.count, context: 64)
        let model = try Transformer.random(config, seed: seed, standardDeviation: 0.3)
        try model.addAdapters(LoRAConfiguration(rank: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj"], seed: 1))
        return model
    }

    func testTheCalculatorLooksOnlyAfterAnEqualsSignAndAnswersWithTokens() throws {
        let env = Self.calculator
        let prompt = try Self.encode("9-1-2,")
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: try Self.encode("3+4=")), try Self.encode(" 7"))
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: try Self.encode("3+4")), [], "not an \"=\"")
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: try Self.encode("3+4= 7,2-9=")), try Self.encode(" -7"))
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: try Self.encode("3+4+5=")), try Self.encode(" 5"), "the limit truncates")
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: try Self.encode(",=")), [], "a failed evaluation inserts nothing")
        XCTAssertEqual(try env.insertion(prompt: prompt, generated: []), [])
        // The prompt's own text is part of the state: with no "," or "." in the rationale, the
        // expression starts at the prompt's start (there is no "Answer:" here).
        XCTAssertEqual(try env.insertion(prompt: try Self.encode("1+"), generated: try Self.encode("2=")), try Self.encode(" 3"))
    }

    func testAScriptStyleEnvironmentSeesTheDecodedStateAndMayDecline() throws {
        var seen: [String] = []
        let env = TextEnvironment(decode: Self.decode, encode: Self.encode) { state in
            seen.append(state)
            return state.hasSuffix("1") ? ",0" : nil
        }
        XCTAssertEqual(try env.insertion(prompt: [1], generated: [2, 3]), [])
        XCTAssertEqual(try env.insertion(prompt: [1], generated: [2, 3, 4, 2]), try Self.encode(",0"))
        XCTAssertEqual(seen, ["012", "01231"])
    }

    /// Sampled latents, their rewards, the buffer and the re-scoring all see one state per latent.
    func testTrainingWithTheCalculatorKeepsInsertionsOutOfTheActionsAndInTheStates() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, environment: Self.calculator, decode: Self.decode)
        var rewarded: [String] = []
        // Rewards states whose last call came out right; the reward reads the whole state text.
        let reward = TextReward { text in
            rewarded.append(text)
            return text.contains("=") ? 0 : -2
        }
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 6
        c.maxLength = 10
        c.seed = 2
        c.behaviour = try BehaviourPolicy(shares: .init(onPolicy: 0.5, tempered: 0, replay: 0.5), emptyBuffer: .proportional)
        let prompt = TrainingPrompt(tokens: try Self.encode("4-1,"), key: "q")
        let trainer = try GFlowNetTrainer(policy: policy, reward: reward, prompts: [prompt], configuration: c)
        // A seed written as actions gets its results from the calculator.
        XCTAssertEqual(try trainer.seedBuffer(prompt: prompt, latents: [try Self.encode("4-1=,3+5=")]), 1)
        let seed = try XCTUnwrap(trainer.replayBuffer.items(for: "q").first)
        XCTAssertEqual(seed.tokens, try Self.encode("4-1=,3+5="), "the seed's actions are as written")
        XCTAssertEqual(seed.text, "4-1= 3,3+5= 8", "its state holds the results")
        XCTAssertEqual(seed.insertions, [3: try Self.encode(" 3"), 8: try Self.encode(" 8")])
        XCTAssertEqual(seed.prefixLogRewards.count, seed.tokens.count + 1, "one log-reward per action prefix")

        // Sample until some latents have called the calculator (the tiny model writes "=" often enough).
        var sampled: [SampledLatent] = []
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<20 where !sampled.contains(where: { !$0.insertions.isEmpty }) {
            sampled += try policy.sample(prompt: prompt.tokens, count: 8, temperature: 2, minLength: 1, maxLength: 10, using: &rng)
        }
        let called = try XCTUnwrap(sampled.first { !$0.insertions.isEmpty }, "no sampled latent called the calculator")
        XCTAssertLessThanOrEqual(called.tokens.count, 10, "insertions do not count toward m_max")
        for (t, inserted) in called.insertions {
            XCTAssertTrue(Calculator.triggers(try Self.decode([called.tokens[t]])), "inserted after an \"=\"")
            let state = try Self.decode(prompt.tokens + called.stateTokens(upTo: t + 1))
            XCTAssertEqual(try Self.decode(inserted), Calculator().insertion(after: String(state.dropLast(inserted.count))))
        }
        // The reward's prefix log-rewards are read at state ends: the prefix that ends in a call includes its result.
        rewarded.removeAll()
        let r = try reward.logRewards(trajectories: [called], context: trainer.rewardContext(prompt))
        XCTAssertEqual(r[0].count, called.tokens.count + 1)
        let expectedTexts = try (0...called.tokens.count).map { try Self.decode(called.stateTokens(upTo: $0)) }
        XCTAssertEqual(Set(rewarded), Set(expectedTexts).subtracting([""]), "(the empty state was scored when the seed was: it comes from the cache)")

        // Training steps with replay re-score stored states; the losses stay finite.
        for _ in 0..<4 {
            let m = try trainer.trainStep()
            XCTAssertTrue(m.loss.isFinite, "loss \(m.loss)")
        }
        for item in trainer.replayBuffer.items(for: "q") {
            let latent = SampledLatent(tokens: item.tokens, insertions: item.insertions, forced: false)
            XCTAssertEqual(item.text, try Self.decode(latent.stateTokens), "buffer text is the decoded state")
            XCTAssertEqual(try policy.unroll(prompt: prompt.tokens, actions: item.tokens).insertions, item.insertions,
                           "stored insertions are what the calculator gives for the stored actions")
        }
    }

    func testTeacherForcedScoresOfAStateLeaveTheInsertedTokensOut() throws {
        let model = try makeModel()
        let policy = try LanguageModelPolicy(model: model, terminationToken: 0, environment: Self.calculator, decode: Self.decode)
        let prompt = try Self.encode("7,")
        let latent = try policy.unroll(prompt: prompt, actions: try Self.encode("2+2=,1"))
        XCTAssertEqual(try Self.decode(latent.stateTokens), "2+2= 4,1")
        let s = try policy.score(prompt: prompt, trajectories: [latent])
        XCTAssertEqual(s.logForward.shape, [1, 6], "one log P_F per action")
        XCTAssertEqual(s.logTermination.shape, [1, 7])
        // Actions 4 and 5 ("," and "1") follow the state "7,2+2= 4": compare with a plain pass from there.
        let plain = try model.score(prompts: [prompt + (try Self.encode("2+2= 4"))], continuations: [try Self.encode(",1")], terminationToken: 0)
        XCTAssertEqual(s.logForward.scalars[4], plain[0].tokenLogProbs[0], accuracy: 1e-4)
        XCTAssertEqual(s.logForward.scalars[5], plain[0].tokenLogProbs[1], accuracy: 1e-4)
        for t in 4...6 {
            XCTAssertEqual(s.logTermination.scalars[t], plain[0].terminationLogProbs[t - 4], accuracy: 1e-4,
                           "P_term after action \(t) is read at the end of its state (after \"=\", after the result)")
        }
    }
}
