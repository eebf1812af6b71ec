// Tuners over datasets from scripts: examples with prompt templates or functions, weights and
// order, rewards that read the example, buffer seeding, and every reference knob reaching the
// engine's configuration. Real SmolLM2, tiny sizes.
import Foundation
import GFlowNets
import Scripting
import Tensors
import XCTest
@testable import Bindings

final class DatasetBindingsTests: XCTestCase {
    func session() -> (CapturedOutput, Interpreter) {
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        return (out, interpreter)
    }

    /// The GFlowNet trainer behind the global `name`.
    func trainer(_ interpreter: Interpreter, _ name: String) throws -> GFlowNetTrainer {
        guard case .native(let o)? = interpreter.global(name), let tuner = o as? TunerObject,
              let trainer = tuner.trainer as? GFlowNetTrainer else {
            struct NoTuner: Error { let name: String }
            throw NoTuner(name: name)
        }
        return trainer
    }

    static let setup = """
        lm = model("smollm2")
        lm.lora(r=2, target_modules=["q_proj"])
        data = [{"q": "2 + 2", "a": "4", "w": 1.0}, {"q": "3 + 4", "a": "7", "w": 0.2}, {"q": "1 + 1", "a": "2", "w": 0.2}]

        """

    func testExamplesBuildPromptsRewardsSeeTheExampleAndBuffersAreSeeded() throws {
        let (out, interpreter) = session()
        _ = try interpreter.evaluate(Self.setup + """
            seen = []
            fn score(text, ex) {
                seen.append(ex["a"])
                return if text.strip() == ex["a"] { 0.0 } else { -3.0 }
            }
            r = reward.text(score, with_example=true)
            t = gflownet(lm, reward=r, examples=data, prompt="Question: {{q}} = ? Answer:", buffer_seed=ex => " " + ex["a"],
                         stop="\\n", max_len=3, n_samples=2, explore_shares=[0.0, 0.0, 1.0], empty_buffer="skip",
                         buffer_sampling="softmax", buffer_tau=0.1, prompts_per_step=3, accumulation="sum", seed=3)
            m = t.step()
            print(int(m["behaviour/replay"]), sorted(map(s => s, seen))[0] in ["2", "4", "7"])
            """, file: "examples.gfn")
        XCTAssertEqual(out.text, "3 true\n")
        let trainer = try self.trainer(interpreter, "t")
        XCTAssertEqual(trainer.prompts.count, 3)
        XCTAssertEqual(trainer.configuration.exampleOrder, .epochs)
        XCTAssertEqual(trainer.seededKeys.count, 3, "an epoch of three micro-batches draws every example")
        for prompt in trainer.prompts {
            XCTAssertTrue(prompt.key.contains("Question:"), prompt.key)
            let stored = trainer.replayBuffer.items(for: prompt.key)
            XCTAssertEqual(stored.count, 1, prompt.key)
            XCTAssertEqual(stored.first?.logReward, 0, "the gold answer has the reward's best value")
        }
        XCTAssertEqual(trainer.configuration.replaySampling, .rewardSoftmax)
        XCTAssertEqual(trainer.configuration.replayDuplicateThreshold, 0.1)
    }

    func testWeightsMakeDrawsIndependentAndEveryKnobReachesTheEngine() throws {
        let (_, interpreter) = session()
        _ = try interpreter.evaluate(Self.setup + """
            r = reward.text(fn(t) { return 0.0 })
            a = gflownet(lm, reward=r, examples=data, prompt=ex => "Q: " + ex["q"], weights="w", stop="\\n", max_len=2)
            b = gflownet(lm, reward=r, examples=data, prompt="Q: {{q}}", weights=[1, 1, 1], order="random", stop="\\n", max_len=2,
                         masking="after_first", forced_termination="model", adam_beta1=0.8, adam_beta2=0.99, warmup=5,
                         lr_schedule="linear", decay_steps=50, max_grad_norm=2.0)
            c = gflownet(lm, reward=r, prompt="Q:", stop="\\n", max_len=2)
            """, file: "knobs.gfn")
        let a = try trainer(interpreter, "a"), b = try trainer(interpreter, "b"), c = try trainer(interpreter, "c")
        XCTAssertEqual(a.configuration.exampleOrder, .random, "unequal weights draw independently")
        XCTAssertEqual(a.prompts.map(\.weight), [1, 0.2, 0.2])
        XCTAssertEqual(b.configuration.exampleOrder, .random)
        XCTAssertEqual(b.configuration.loss, .subTrajectory(lambda: 1, masking: .strictlyAfterFirstTermination))
        XCTAssertEqual(b.configuration.forcedTermination, .modelProbability)
        XCTAssertEqual(b.configuration.beta1, 0.8)
        XCTAssertEqual(b.configuration.beta2, 0.99)
        XCTAssertEqual(b.configuration.learningRateSchedule, .linearDecay(warmupSteps: 5, totalSteps: 50))
        XCTAssertEqual(b.configuration.maxGradientNorm, 2)
        // The defaults: the reference clips nowhere; one prompt, epoch order.
        XCTAssertNil(c.configuration.maxGradientNorm)
        XCTAssertEqual(c.configuration.forcedTermination, .certain)
        XCTAssertEqual(c.configuration.loss, .subTrajectory(lambda: 1, masking: .clean))
        XCTAssertEqual(c.configuration.behaviour, .onPolicyOnly)
    }

    /// reward.continuation builds its context and Y from the example: its score equals the model's
    /// log-likelihood of [context, latent, Y] computed directly.
    func testContinuationRewardReadsTheExample() throws {
        let (out, interpreter) = session()
        _ = try interpreter.evaluate("""
            lm = model("smollm2")
            lm.lora(r=2, target_modules=["q_proj"])
            story = {"s1": "She opened the door.", "s2": " The room was dark.", "s3": " She turned on the light."}
            r = reward.continuation(lm, "{{s3}}", context="{{s1}}")
            t = gflownet(lm, reward=r, examples=[story], prompt="Beginning: {{s1}}\\nMiddle:", stop="\\n", max_len=8, min_len=1)
            direct = lm.score("She opened the door.", " The room was dark. She turned on the light.")
            print(direct < 0)
            """, file: "story.gfn")
        XCTAssertEqual(out.text, "true\n")
        let trainer = try self.trainer(interpreter, "t")
        // Score the gold middle through the engine with the tuner's own example context.
        guard case .native(let o)? = interpreter.global("lm"), let lm = o as? ModelObject else { return XCTFail("no lm") }
        let middle = try lm.encode(" The room was dark.")
        let context = RewardContext(trainer.prompts[0], decode: { try lm.decode($0) })
        let got = try trainer.reward.logRewards(latents: [middle], context: context)[0][middle.count]
        guard case .float(let direct)? = interpreter.global("direct") else { return XCTFail("no direct") }
        XCTAssertEqual(got, direct, accuracy: 2e-3)
    }

    /// allowed= puts the penalty on every token but the allowed ones and stop: sampled latents hold
    /// only digits (arithmetic's allow-list, with α = −99).
    func testAnAllowListConfinesThePolicy() throws {
        let (_, interpreter) = session()
        _ = try interpreter.evaluate(Self.setup + """
            digits = fn(t) { return t.strip() != "" and all(map(c => c in "0123456789", t.strip())) }
            t = gflownet(lm, reward=reward.text(fn(s) { return 0.0 }), prompt="Write a word:", stop="\\n", allowed=digits,
                         penalty=-99.0, max_len=3, n_samples=6)
            """, file: "allowed.gfn")
        let trainer = try self.trainer(interpreter, "t")
        let policy = try XCTUnwrap(trainer.policy as? LanguageModelPolicy)
        let penalised = try XCTUnwrap(policy.penalties.first)
        XCTAssertEqual(penalised.penalty, -99)
        XCTAssertFalse(penalised.tokens.contains(policy.terminationToken), "stop stays possible")
        XCTAssertGreaterThan(penalised.tokens.count, 49_000)
        var rng = RandomGenerator(seed: 1)
        let latents = try policy.sample(prompt: trainer.prompts[0].tokens, count: 6, temperature: 1, minLength: 1, maxLength: 3, using: &rng)
        for latent in latents {
            let text = try policy.decode(latent.tokens)
            XCTAssertTrue(text.allSatisfy { $0.isNumber || $0 == " " }, "«\(text)»")
        }
    }

    func testBadArgumentsNameTheArgument() throws {
        let cases: [(String, [String])] = [
            ("gflownet(lm, reward=r, examples=data)", ["'prompt'"]),
            ("gflownet(lm, reward=r, examples=data, prompt=nil)", ["'prompt'", "needed with examples"]),
            ("gflownet(lm, reward=r, examples=[], prompt=\"{{q}}\")", ["'examples'", "empty"]),
            ("gflownet(lm, reward=r, examples=data, prompt=\"{{nope}}\")", ["prompt", "no field 'nope'", "q, a, w"]),
            ("gflownet(lm, reward=r, examples=data, prompt=\"{{q}}\", weights=[1])", ["'weights'", "1 numbers for 3 examples"]),
            ("gflownet(lm, reward=r, examples=data, prompt=\"{{q}}\", weights=\"w\", order=\"epoch\")", ["\"random\""]),
            ("gflownet(lm, reward=r, examples=data, prompt=\"{{q}}\", order=\"shuffled\")", ["'order'", "shuffled"]),
            ("gflownet(lm, reward=r, prompt=\"A\", weights=[1])", ["'weights'", "examples="]),
            ("gflownet(lm, reward=r, prompt=\"A\", buffer_seed=\"x\")", ["'buffer_seed'", "examples="]),
            ("gflownet(lm, reward=r, prompt=\"A\", masking=\"strict\")", ["'masking'", "after_first"]),
            ("gflownet(lm, reward=r, prompt=\"A\", forced_termination=\"always\")", ["'forced_termination'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", adam_beta1=1.0)", ["'adam_beta1'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", lr_schedule=\"linear\")", ["'decay_steps'", "needed"]),
            ("gflownet(lm, reward=r, prompt=\"A\", lr_schedule=\"step\")", ["'lr_schedule'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", decay_steps=10)", ["'decay_steps'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", explore_shares=[0.5, 0.5])", ["'explore_shares'", "three numbers"]),
            ("gflownet(lm, reward=r, prompt=\"A\", explore_shares=[0.5, 0.5, 0.5])", ["sum to 1"]),
            ("gflownet(lm, reward=r, prompt=\"A\", explore_shares=[0.5, 0.5, 0.0], use_buffer_prob=0.2)", ["'explore_shares'", "one or the other"]),
            ("gflownet(lm, reward=r, prompt=\"A\", empty_buffer=\"wait\")", ["'empty_buffer'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", buffer_sampling=\"greedy\")", ["'buffer_sampling'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", buffer_tau=-1)", ["'buffer_tau'"]),
            ("reward.continuation(lm, 3)", ["'continuation'", "template"]),
            ("gflownet(lm, reward=reward.continuation(lm, \"{{a}}\"), prompt=\"A\").step()", ["{a}", "needs examples"]),
            ("gflownet(lm, reward=r, prompt=\"A\", allowed=fn(t) { return false })", ["'allowed'", "no token"]),
            ("gflownet(lm, reward=r, prompt=\"A\", allowed=fn(t) { return 1 })", ["'allowed'", "true or false"]),
            ("lm.merge_adapters().merge_adapters()", ["no LoRA adapters to merge"]),
        ]
        // One session (loading the model once); each call fails on its own and leaves the session usable.
        let (_, interpreter) = session()
        _ = try interpreter.evaluate(Self.setup + "r = reward.text(fn(s) { return 0.0 })\n", file: "setup.gfn")
        for (call, fragments) in cases {
            do {
                _ = try interpreter.evaluate(call, file: "bad.gfn")
                XCTFail("\(call) did not fail")
            } catch {
                let message = error.render(color: false)
                for f in fragments { XCTAssertTrue(message.contains(f), "\(call): «\(message)» lacks «\(f)»") }
            }
        }
    }
}
