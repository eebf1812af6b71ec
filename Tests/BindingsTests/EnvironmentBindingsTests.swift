// Environments from gfn scripts: calculator() and its methods run their help examples, a script
// function can be the environment of generate and of the tuners, and bad arguments name themselves.
import Foundation
import XCTest
import Scripting
@testable import Bindings

final class EnvironmentBindingsTests: XCTestCase {
    func run(_ source: String) throws -> String {
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        _ = try interpreter.evaluate(source, file: "test.gfn")
        return out.text
    }

    func testEveryEnvironmentFunctionHasHelpAndARunningExample() throws {
        for f in [EnvironmentObject.calculatorFunction] + EnvironmentObject.methods {
            XCTAssertFalse(f.help.summary.isEmpty, "\(f.qualifiedName) has no summary")
            let expected = f.help.example.split(separator: "\n").compactMap { line -> String? in
                guard let r = line.range(of: "# expect: ") else { return nil }
                return String(line[r.upperBound...])
            }
            XCTAssertFalse(expected.isEmpty, "\(f.qualifiedName): its example shows no expected output")
            XCTAssertEqual(try run(f.help.example).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init),
                           expected, "example of \(f.qualifiedName)")
        }
        XCTAssertTrue(try run("help(\"calculator\")").contains("environment"))
    }

    /// A script function sees the decoded state after every action; what it returns is in the text
    /// but not among the actions (max_new_tokens counts actions only).
    func testAScriptFunctionIsAnEnvironmentOfGenerate() throws {
        let out = try run("""
            lm = model("smollm2")
            seen = []
            fn tool(state) {
                seen.append(state)
                return if len(seen) == 2 { " [tool]" } else { nil }
            }
            plain = lm.sample("The capital of France is", max_new_tokens=4, temperature=0)[0]
            with_tool = lm.sample("The capital of France is", max_new_tokens=4, temperature=0, environment=tool)[0]
            print(len(seen), seen[0].startswith("The capital of France is"), len(with_tool["tokens"]))
            print(" [tool]" in with_tool["text"], with_tool["text"].startswith(lm.detokenize(plain["tokens"][:2]) + " [tool]"))
            silent = lm.generate("The capital of France is", max_new_tokens=4, temperature=0, environment=fn(s) { return nil })
            print(silent[0] == plain["text"])
            """)
        XCTAssertEqual(out, "4 true 4\ntrue true\ntrue\n")
    }

    func testTunersSampleWithTheCalculatorAndSeedThroughIt() throws {
        let out = try run("""
            lm = model("smollm2")
            lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
            data = [{"q": "Question: 2 + 3 - 1 = ? Answer:", "rationale": " 2 + 3 =, 5 - 1 =", "y": ". The answer is 4."}]
            r = reward.continuation(lm, "{{y}}", context="{{q}}")
            ok = fn(t) { return t != "" and all(map(c => c in " 0123456789+-=,.", t)) }
            tuner = gflownet(lm, reward=r, examples=data, prompt="{{q}}", buffer_seed="{{rationale}}", environment=calculator(),
                             stop=".", allowed=ok, penalty=-99.0, n_samples=2, max_len=14, explore_shares=[0.0, 0.0, 1.0], warmup=0)
            m = tuner.step()
            print(m["behaviour/replay"], isinf(m["loss"]) or isnan(m["loss"]))
            rl = reinforce(lm, reward=r, examples=data, prompt="{{q}}", environment=calculator(), stop=".", n_samples=2, max_len=6)
            l = rl.step()["loss"]
            print(isnan(l) or isinf(l), rl.steps)
            """)
        XCTAssertEqual(out, "1.0 false\nfalse 1\n")
    }

    func testBadArgumentsNameTheArgument() {
        let cases: [(String, String)] = [
            ("calculator(operands=0)", "'operands'"),
            ("calculator(over_limit=\"wrong\")", "'over_limit'"),
            ("model(\"smollm2\").generate(\"Hi\", environment=3)", "'environment'"),
            ("model(\"smollm2\").generate(\"Hi\", environment=calculator(), num_beams=2)", "beam search"),
            ("model(\"smollm2\").generate(\"Hi\", max_new_tokens=1, environment=fn(s) { return 5 })", "returned int"),
            ("model(\"smollm2\").generate(\"Hi\", allowed=[])", "allows no token"),
            ("m = model(\"smollm2\")\nm.remove_adapters()", "no LoRA adapters to remove"),
            ("""
             m = model("smollm2")
             m.lora(r=2, target_modules=["q_proj"])
             t = gflownet(m, reward=reward.text(fn(s) { return 0.0 }), prompt="Hi", stop="\\n", max_len=2, n_samples=2)
             m.remove_adapters()
             m.lora(r=2, target_modules=["q_proj"])
             t.step()
             """, "adapters were removed"),
        ]
        for (source, fragment) in cases {
            XCTAssertThrowsError(try run(source), source) { error in
                let message = (error as? ScriptError)?.render(color: false) ?? "\(error)"
                XCTAssertTrue(message.contains(fragment), "\(source): «\(message)» lacks \(fragment)")
            }
        }
    }
}
