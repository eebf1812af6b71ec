// Every ML binding (model, its methods, the reward constructors, gflownet and the tuner's methods)
// has help reachable by name, and its example runs, in one session on the real SmolLM2, in an order
// where each example may use what earlier ones defined (lm, r, tuner), as a user reading the help would.
import Bindings
import Foundation
import Scripting
import XCTest

final class MLBindingsHelpTests: ScratchFolderTestCase {
    override class var scratchPrefix: String { "gfn-ml" }

    /// An interpreter with the bindings, writing into the returned capture.
    func session() -> (CapturedOutput, Interpreter) {
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        return (out, interpreter)
    }

    func testEveryMLBindingHasHelpAndARunningExample() throws {
        let (out, interpreter) = session()

        // What the examples may refer to, defined the way the help of gflownet shows.
        _ = try interpreter.evaluate("""
            lm = model("smollm2")
            lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
            r = reward.text(fn(t) { return -len(t) })
            tuner = gflownet(lm, reward=r, prompt="A number:", stop="\\n", max_len=2, n_samples=2, warmup=0)
            """, file: "prelude.gfn")

        // The tuners' examples (gflownet, ppo, reinforce, sft and the Tuner methods) and Model.generate's
        // (and Model.adapters') run in BaselineBindingsTests, each in a fresh interpreter; here they need only help pages.
        let elsewhere = ["gflownet", "ppo", "reinforce", "sft", "Model.generate", "Model.adapters"]
            + interpreter.library.methods["Tuner", default: [:]].keys.map { "Tuner." + $0 }
        for name in elsewhere { XCTAssertNotNil(interpreter.help(for: name), "help(\"\(name)\") finds nothing") }
        let names = ["model"]
            + ["sample", "score", "label_scores", "rationales", "chat", "tokenize", "detokenize", "lora"].map { "Model." + $0 }
            + interpreter.library.methods["reward", default: [:]].keys.sorted().map { "reward." + $0 }
            + ["Reward.log_reward", "Reward.score", "Model.load_adapter", "Model.remove_adapters", "Model.merge_adapters"]   // merging last: it changes lm
        // Nothing is left out of the two lists above.
        let listed = Set(names + elsewhere)
        for type in ["Model", "Tuner", "Reward", "reward"] {
            for m in interpreter.library.methods[type, default: [:]].keys {
                XCTAssertTrue(listed.contains("\(type).\(m)"), "\(type).\(m) is not covered by this test")
            }
        }
        for name in names {
            guard let page = interpreter.help(for: name) else { XCTFail("help(\"\(name)\") finds nothing"); continue }
            guard let f = interpreter.library.allEntries.first(where: { entry in
                entry.qualifiedName == name || interpreter.library.methods[String(name.split(separator: ".")[0])]?[entry.name] === entry && name.hasSuffix("." + entry.name)
            }) else { XCTFail("\(name) is not registered"); continue }
            XCTAssertTrue(page.contains(f.help.summary), name)
            XCTAssertFalse(f.help.example.isEmpty, "\(name) has no example")
            let expected = f.help.example.split(separator: "\n").compactMap { line -> String? in
                guard let r = line.range(of: "# expect: ") else { return nil }
                return String(line[r.upperBound...])
            }
            let before = out.text.count
            do { _ = try interpreter.evaluate(f.help.example, file: "<example \(name)>") } catch {
                XCTFail("example of \(name):\n" + error.render(color: false)); continue
            }
            let printed = String(out.text.dropFirst(before)).split(separator: "\n").map(String.init)
            if !expected.isEmpty { XCTAssertEqual(printed, expected, "example of \(name)") }
        }
    }

    func testFitLogsMetricsWritesACheckpointAndStopsWhenTheCallbackSaysSo() throws {
        let (out, interpreter) = session()
        _ = try interpreter.evaluate("""
            lm = model("smollm2")
            lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
            r = reward.clamp(reward.text(fn(t) { return -len(t) }), -5.0, 0.0)
            tuner = gflownet(lm, reward=r, prompt="A number:", stop="\\n", max_len=2, n_samples=2, warmup=0, run="fit-test")
            seen = []
            losses = tuner.fit(steps=5, every=1, callback=fn(m) { seen.append(m["step"]); return m["step"] < 2 })
            print(len(losses), seen, tuner.steps)
            print(tuner.run_dir)
            """, file: "fit.gfn")
        let lines = out.text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("2 [1, 2] 2"), out.text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("step 1/5  loss") }, out.text)
        guard let runDir = lines.last, runDir.contains("runs/fit-test/") else { return XCTFail(out.text) }
        let metrics = try String(contentsOfFile: runDir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 2)
        XCTAssertTrue(metrics[0].contains("\"train/loss\":") && metrics[0].contains("\"train/var_logR_minus_logPF\":"), String(metrics[0]))
        for file in ["trainer_state.json", "optimizer.safetensors", "replay_buffer.json", "adapter/adapter_model.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: runDir + "/checkpoint/" + file), file)
        }
    }

    func testPromptsPerStepAccumulatesSeveralMicroBatchesIntoOneOptimizerStep() throws {
        let (out, interpreter) = session()
        _ = try interpreter.evaluate("""
            lm = model("smollm2")
            lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
            r = reward.text(fn(t) { return -len(t) })
            tuner = gflownet(lm, reward=r, prompt=["A number:", "Another number:"], stop="\\n", max_len=2, n_samples=2, warmup=0,
                             prompts_per_step=3, accumulation="sum", weight_decay=0.0, max_grad_norm=nil)
            m = tuner.step()
            print(int(m["behaviour/on_policy"]), tuner.steps)
            """, file: "micro.gfn")
        XCTAssertEqual(out.text, "3 1\n")
    }

    func testAnInterruptStopsFitAtAStepBoundaryAndKeepsTheCheckpoint() throws {
        let (out, interpreter) = session()
        // The callback plays the user pressing Ctrl-C during step 2: the flag is set as a signal handler would.
        interpreter.define("ctrl_c_at_step_2", .builtin(NativeFunction("ctrl_c_at_step_2(m)", summary: "test") { [unowned interpreter] args in
            if case .dict(let d) = args["m"], d["step"]?.intValue == 2 { interpreter.interrupt.request() }
            return .null
        }), help: Help(summary: "test"))
        XCTAssertThrowsError(try interpreter.evaluate("""
            lm = model("smollm2")
            lm.lora(r=2, lora_alpha=4, target_modules=["q_proj"])
            tuner = gflownet(lm, reward=reward.text(fn(t) { return 0.0 }), prompt="A number:", stop="\\n", max_len=2, n_samples=2, run="int")
            tuner.fit(steps=10, callback=ctrl_c_at_step_2)
            """, file: "int.gfn")) { error in
            XCTAssertTrue("\(error)".contains("interrupted"), "\(error)")
        }
        XCTAssertTrue(out.text.contains("interrupted at step 2"), out.text)
        // The model is usable afterwards and the tuner stopped after step 2.
        _ = try interpreter.evaluate("print(tuner.steps, len(lm.generate(\"A\", max_new_tokens=1, temperature=0)))", file: "after.gfn")
        XCTAssertTrue(out.text.hasSuffix("2 1\n"), out.text)
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir + "/runs/int")
        XCTAssertEqual(runs.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/runs/int/\(runs[0])/checkpoint/trainer_state.json"))
    }
}
