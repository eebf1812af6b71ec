// The baselines from scripts: ppo, reinforce and sft tuners share the gflownet tuner's surface,
// generate offers every decoding baseline of the sentence-continuation table, every such
// binding's help example runs and prints what it says, and bad arguments name the argument.
// Real SmolLM2, tiny sizes (tests run in debug on CI).
import Foundation
import Scripting
import XCTest
@testable import Bindings
import TestFixtures

final class BaselineBindingsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestPaths.scratchDirectory(scratchName("baselines")).path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func interpreter(_ out: CapturedOutput) -> Interpreter {
        let interp = Interpreter(output: out)
        Bindings.install(into: interp)
        return interp
    }

    func run(_ source: String) throws -> String {
        let out = CapturedOutput()
        try interpreter(out).evaluate(source, file: "test.gfn")
        return out.text
    }

    func testHelpExamplesRunAndPrintWhatTheySay() throws {
        var functions = BaselineBindings.functions + TunerObject.methods + [TunerBindings.gflownetFunction]
        functions += ModelObject.methods.filter { ["generate", "adapters"].contains($0.name) }
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let probe = interpreter(CapturedOutput())
        for f in functions {
            XCTAssertFalse(f.help.summary.isEmpty, "\(f.qualifiedName) has no summary")
            if BaselineBindings.functions.contains(where: { $0.qualifiedName == f.qualifiedName }) {
                XCTAssertTrue(probe.help(for: f.qualifiedName)?.contains(f.signature.text) ?? false, "help(\"\(f.qualifiedName)\")")
            }
            let expected = f.help.example.split(separator: "\n").compactMap { line -> String? in
                line.range(of: "# expect: ").map { String(line[$0.upperBound...]) }
            }
            XCTAssertFalse(expected.isEmpty, "\(f.qualifiedName): its example shows no expected output")
            let out = CapturedOutput()
            do { try interpreter(out).evaluate(f.help.example, file: "<example \(f.qualifiedName)>") } catch {
                XCTFail("example of \(f.qualifiedName):\n" + error.render(color: false)); continue
            }
            XCTAssertEqual(out.text.split(separator: "\n").map(String.init), expected, "example of \(f.qualifiedName)")
        }
    }

    func testMethodsShareOneTunerSurface() throws {
        let out = try run("""
        lm = model("smollm2")
        lm.lora(r=2, target_modules=["q_proj"])
        r = reward.text(fn(s) { return -len(s) })
        tuners = [
            gflownet(lm, reward=r, prompt="A number:", stop="\\n", n_samples=2, max_len=2, warmup=0),
            ppo(lm, reward=r, prompt=["A number:", "Pick one:"], stop="\\n", n_samples=2, max_len=2, ppo_epochs=2, kl_coef=0.1),
            reinforce(lm, reward=r, prompt="A number:", stop="\\n", n_samples=2, max_len=2, reward_scale="exp"),
            sft(lm, data=[["A number:", " 7"], {"prompt": "Pick one:", "completion": " 3\\n"}], stop="\\n", epochs=2),
        ]
        for t in tuners {
            losses = t.fit(steps=1)
            m = t.step()
            print(t.method, len(losses), t.steps, len(t.losses), type(m["loss"]), m["lr"] > 0)
            if t.method == "ppo" { print(type(m["kl"]), m["train/clip_fraction"] >= 0) }
        }
        print(tuners[3].fit())
        tuners[1].save("\(dir)/ppo")
        """)
        XCTAssertEqual(out, """
        gflownet 1 2 2 float true
        ppo 1 2 2 float true
        float true
        reinforce 1 2 2 float true
        sft 1 2 2 float true
        []

        """)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/ppo/adapter_model.safetensors"))
    }

    /// help(Tuner) names every method a tuner can have, as scripts spell it.
    func testTunerHelpNamesEveryMethod() {
        XCTAssertEqual(TunerObject.methodNames(quoted: true), "\"gflownet\", \"ppo\", \"reinforce\", \"sft\" or \"classifier\"")
        XCTAssertEqual(TunerObject.methodNames(quoted: false), "gflownet, ppo, reinforce, sft or classifier")
    }

    func testDecodingBaselines() throws {
        let out = try run("""
        lm = model("smollm2")
        p = "The capital of France is"
        greedy = lm.sample(p, max_new_tokens=4, temperature=0)
        beam = lm.sample(p, max_new_tokens=4, num_beams=3, length_penalty=0.0)
        print(beam[0]["logprob"] >= greedy[0]["logprob"] - 0.0001, len(beam))
        fair = lm.generate(p, max_new_tokens=4, num_beams=3, n=3)
        diverse = lm.generate(p, max_new_tokens=4, num_beams=4, num_beam_groups=4, diversity_penalty=1.0, n=4)
        distinct = {}
        for s in diverse { distinct[s] = 1 }
        print(len(fair), len(diverse), len(distinct) >= 2)
        nucleus = lm.generate(p, max_new_tokens=3, top_p=0.95, n=2, seed=3)
        tempered = lm.generate(p, max_new_tokens=3, temperature=0.8, n=2, seed=3)
        pure = lm.generate(p, max_new_tokens=3, n=2, seed=3)
        print(len(nucleus), len(tempered), pure == lm.generate(p, max_new_tokens=3, n=2, seed=3))
        banned = lm.generate(p, max_new_tokens=2, temperature=0, ban=[lm.tokenize(greedy[0]["text"])[0]])
        print(banned[0] != greedy[0]["text"], len(lm.generate(p, max_new_tokens=2, min_new_tokens=2, stop=" Paris", temperature=0)[0]) > 0)
        """)
        XCTAssertEqual(out, "true 1\n3 4 true\n2 2 true\ntrue true\n")
    }

    func testPolicyGradientTunersSampleOnlyTokensThatAreNotBanned() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("byte_gpt2").path
        for method in ["ppo", "reinforce"] {
            let out = try run("""
            lm = model("\(folder)")
            lm.lora(r=2)
            seen = []
            r = reward.text(fn(s) { seen.append(s); return 0.0 })
            banned = filter(i => i not in [10, 97, 98], range(256))
            t = \(method)(lm, reward=r, prompt="Q:", stop="\\n", n_samples=8, max_len=3, banned=banned, penalty=-1e9, kl_coef=0.0)
            t.step()
            print(len(seen) > 0, all(seen.map(s => all(list(s).map(c => c in "ab")))))
            """)
            XCTAssertEqual(out, "true true\n", method)
        }
    }

    func testBadArgumentsNameTheArgument() throws {
        let setup = "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\nr = reward.text(fn(s) { return 0.0 })\n"
        let cases: [(String, [String])] = [
            ("ppo(lm, reward=r, prompt=\"A\", clip=0)", ["'clip'", "positive"]),
            ("ppo(lm, reward=r, prompt=\"A\", ppo_epochs=0)", ["'ppo_epochs'"]),
            ("ppo(lm, reward=r, prompt=\"A\", kl_coef=-1)", ["'kl_coef'"]),
            ("ppo(lm, reward=r, prompt=\"A\", target_kl=0)", ["'target_kl'"]),
            ("ppo(lm, reward=r, prompt=\"A\", kl_coef=0, target_kl=0.1)", ["'target_kl'", "kl_coef"]),
            ("ppo(lm, reward=r, prompt=\"A\", kl_horizon=0)", ["'kl_horizon'"]),
            ("ppo(lm, reward=r, prompt=\"A\", baseline=\"critic\")", ["'baseline'", "critic"]),
            ("reinforce(lm, reward=r, prompt=\"A\", baseline=\"moving\", decay=1.5)", ["'decay'"]),
            ("reinforce(lm, reward=r, prompt=\"A\", reward_scale=\"linear\")", ["'reward_scale'", "linear"]),
            ("reinforce(lm, reward=r, prompt=\"A\", n_samples=0)", ["'n_samples'"]),
            ("reinforce(lm, reward=r, prompt=[])", ["'prompt'", "empty"]),
            ("reinforce(lm, reward=3, prompt=\"A\")", ["'reward'"]),
            ("ppo(3, reward=r, prompt=\"A\")", ["'lm'"]),
            ("ppo(lm, reward=r, prompt=\"A\", min_len=5, max_len=2)", ["'min_len'"]),
            ("sft(lm)", ["'data'"]),
            ("sft(lm, data=[[\"a\", \"b\"]], prompt=\"A\", completions=[\"b\"])", ["'data'"]),
            ("sft(lm, data=[[\"a\"]])", ["'data'", "element 0"]),
            ("sft(lm, prompt=\"A\", completions=[1])", ["'completions'", "element 0"]),
            ("sft(lm, prompt=\"A\", completions=[])", ["'completions'", "empty"]),
            ("sft(lm, prompt=\"A\", completions=[\"b\"], epochs=0)", ["'epochs'"]),
            ("sft(lm, prompt=\"A\", completions=[\"b\"], batch_size=0)", ["'batch_size'"]),
            ("sft(lm, prompt=\"A\", completions=[\"b\"], lr=-1)", ["'lr'"]),
            ("sft(lm, prompt=\"A\", completions=[\"b\"], weight_decay=-0.1)", ["'weight_decay'"]),
            ("ppo(lm, reward=r, prompt=\"A\", max_grad_norm=0)", ["'max_grad_norm'", "nil for no clipping"]),
            ("gflownet(lm, reward=r, prompt=\"A\", prompts_per_step=0)", ["'prompts_per_step'"]),
            ("classifier(lm, data=[[\"a\", 2]], labels=[\" yes\", \" no\"])", ["'data'", "label 2"]),
            ("classifier(lm, data=[[\"a\", \"yes\"]], labels=[\" yes\", \" no\"])", ["'data'", "element 0"]),
            ("classifier(lm, data=[[\"a\", 0]], labels=[\" yes\"])", ["'labels'", "two"]),
            ("classifier(lm, data=[[\"a\", 0]], labels=[\" yes\", \" no\"], lr_schedule=\"linear\")", ["'decay_steps'"]),
            ("classifier(lm, data=[], labels=[\" yes\", \" no\"])", ["'data'", "empty"]),
            ("reward.label(lm, [\" yes\", \" no\"], 3)", ["'label'", "field"]),
            ("reward.label(lm, [\" yes\", \" no\"], \"label\", penalty=1)", ["'penalty'"]),
            ("reward.label(lm, [\" yes\"], \"label\")", ["'labels'", "two"]),
            ("lm.label_scores(\"A\", [\" yes\", 3])", ["'labels'", "element 1"]),
            ("lm.rationales(\"A\", n=0)", ["'n'"]),
            ("majority_vote([[1]])", ["'votes'", "element 0"]),
            ("model(\"smollm2\").lora(target_modules=[\"c_attn\"])", ["'target_modules'", "'c_attn' is not a projection of this llama model", "'q_proj'"]),
            ("gflownet(lm, reward=r, prompt=\"A\", accumulation=\"avg\")", ["'accumulation'", "avg"]),
            ("gflownet(lm, reward=r, prompt=\"A\", max_grad_norm=-1)", ["'max_grad_norm'"]),
            ("sft(lm, prompt=\"A\", completions=[\"b\"]).fit(steps=-1)", ["'steps'"]),
            ("ppo(lm, reward=r, prompt=\"A\").fit()", ["'steps'", "ppo"]),
            ("lm.generate(\"A\", num_beams=4, num_beam_groups=3)", ["'num_beam_groups'"]),
            ("lm.generate(\"A\", num_beams=2, n=3)", ["'n'", "num_beams"]),
            ("lm.generate(\"A\", num_beams=0)", ["'num_beams'"]),
            ("lm.generate(\"A\", top_p=1.5)", ["'top_p'"]),
            ("lm.generate(\"A\", ban=[[1]])", ["'ban'"]),
            ("lm.generate(\"A\", max_new_tokens=2, min_new_tokens=3)", ["'min_new_tokens'"]),
            ("lm.generate(\"A\", diversity_penalty=-1)", ["'diversity_penalty'"]),
            ("lm.adapters(enabled=false)\nt = sft(lm, prompt=\"A\", completions=[\"b\"])\nlm.adapters(enabled=true)\nlm.adapters(enabled=false)\nt.step()", ["adapters are switched off"]),
        ]
        let out = CapturedOutput()
        let interp = interpreter(out)
        try interp.evaluate(setup)
        for (source, fragments) in cases {
            do {
                try interp.evaluate(source)
                XCTFail("no error from: \(source)")
            } catch {
                for f in fragments { XCTAssertTrue(error.message.contains(f), "error of `\(source)` lacks '\(f)': \(error.message)") }
            }
        }
    }
}
