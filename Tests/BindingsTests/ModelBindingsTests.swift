// Runs small .gfn snippets through an interpreter with the bindings installed, on the real SmolLM2
// (short, greedy or seeded calls only: tests run in debug on CI).
import Bindings
import Foundation
import Scripting
import XCTest
import TestFixtures

final class ModelBindingsTests: XCTestCase {
    func run(_ source: String) throws -> String {
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        _ = try interpreter.evaluate(source, file: "test.gfn")
        return out.text
    }

    func testMissingModelIsAnErrorWithTheSetupHint() {
        XCTAssertThrowsError(try run("model(\"no-such-model.gguf\")")) { error in
            XCTAssertTrue(String(describing: error).contains("scripts/setup"), "\(error)")
        }
    }

    func testGenerateScoreTokenize() throws {
        let out = try run("""
        lm = model("smollm2")
        a = lm.generate("The capital of France is", max_new_tokens=2, temperature=0)
        b = lm.generate("The capital of France is", max_new_tokens=2, temperature=0)
        print(len(a), a == b)
        s = lm.sample("1, 2, 3,", max_new_tokens=2, n=3, seed=7)
        print(len(s), s[0]["logprob"] <= 0)
        print(lm.detokenize(lm.tokenize("hello 42")))
        print(lm.score("The capital of France is", " Paris") > lm.score("The capital of France is", " banana"))
        """)
        XCTAssertEqual(out, "1 true\n3 true\nhello 42\ntrue\n")
    }

    /// model(..., recompute=true) trains the same adapters: one seeded GFlowNet step gives the same loss bit for bit.
    func testRecomputedActivationsGiveTheSameStep() throws {
        let out = try run("""
        fn one_step(lm) {
            lm.lora(r=2, lora_alpha=4, lora_dropout=0.1, target_modules=["q_proj", "down_proj"])
            tuner = gflownet(lm, reward=reward.text(fn(t) { return -len(t) }), prompt="A number:", stop="\\n", max_len=3,
                             n_samples=2, lr=0.001, warmup=0, seed=5)
            return tuner.step()["loss"]
        }
        plain = model("smollm2")
        lean = model("smollm2", recompute=true)
        print(plain.recompute, lean.recompute)
        a = one_step(plain)
        b = one_step(lean)
        print(a == b, a > 0)
        """)
        XCTAssertEqual(out, "false true\ntrue true\n")
    }

    /// model(..., activations="q8") switches decoding to 8-bit activations (read back as lm.activations); scoring keeps
    /// float32 activations, so it equals the default model's; a bad value is an error naming the choices.
    func testQ8DecodingActivationsAreAnOptIn() throws {
        let out = try run("""
        lm = model("smollm2")
        fast = model("smollm2", activations="q8")
        print(lm.activations, fast.activations)
        print(len(fast.generate("The capital of France is", max_new_tokens=4, temperature=0)) > 0)
        print(fast.score("The capital of France is", " Paris") == lm.score("The capital of France is", " Paris"))
        """)
        XCTAssertEqual(out, "f32 q8\ntrue\ntrue\n")
        XCTAssertThrowsError(try run("model(\"smollm2\", activations=\"q4\")")) { error in
            XCTAssertTrue(String(describing: error).contains("\"f32\", \"q8\""), "\(error)")
        }
    }

    func testTextRewardAndOneTunerStepAndSave() throws {
        let dir = try TestPaths.scratchDirectory("tuner-step-and-save").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try run("""
        r = reward.text(fn(t) { return -len(t) })
        print(r.log_reward("abc"))
        lm = model("smollm2")
        lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
        tuner = gflownet(lm, reward=r, prompt="A number:", stop="\\n", max_len=3, n_samples=2, lr=0.001, warmup=0)
        m = tuner.step()
        print(tuner.steps, len(tuner.losses), m["loss"] >= 0)
        tuner.save("\(dir)")
        lm.load_adapter("\(dir)")
        print("ok")
        """)
        XCTAssertEqual(out, "-3.0\n1 1 true\nok\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/adapter_model.safetensors"))
    }
}
