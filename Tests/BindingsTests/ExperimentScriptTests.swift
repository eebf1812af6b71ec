// The README's scripts run end to end at a tiny scale (a few steps and samples, real SmolLM2), in a
// scratch folder, and leave what they promise: figures, results tables and checkpoints. Their full
// scale is measured by running them (docs/results.md), not here.
import Bindings
import Foundation
import Plotting
import Scripting
import XCTest
import TestFixtures

final class ExperimentScriptTests: ScratchFolderTestCase {
    static let root = TestPaths.root
    override class var scratchPrefix: String { "gfn-experiments" }

    /// Runs scripts/<name> with the given param overrides; returns what it printed.
    func run(_ name: String, _ overrides: [String: String]) throws -> String {
        let path = Self.root.appendingPathComponent("scripts/\(name)").path
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        interpreter.overrides = overrides
        do { _ = try interpreter.evaluate(source, file: path) } catch {
            XCTFail("\(name):\n" + error.render(color: false) + "\noutput:\n" + out.text)
        }
        return out.text
    }

    func assertPNG(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try PNGCodec.read(path: dir + "/" + path), path, file: file, line: line)
    }

    func testQuickstart() throws {
        let out = try run("quickstart.gfn", ["steps": "2", "eval_samples": "16"])
        XCTAssertTrue(out.contains("before: "), out)
        XCTAssertTrue(out.contains("after: "), out)
        XCTAssertTrue(out.contains("KL(valid answers ‖ uniform)"), out)
        assertPNG("plots/quickstart/histograms.png")
        assertPNG("plots/quickstart/loss.png")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/runs/quickstart/adapter_model.safetensors"))
    }

    func testRandomNumberExperiment() throws {
        let out = try run("rng.gfn", ["steps": "2", "n_samples": "2", "eval_samples": "16"])
        let table = try String(contentsOfFile: dir + "/runs/rng/results.md", encoding: .utf8)
        for method in ["base model", "gflownet", "ppo", "sft"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/runs/rng/results.json"))) as? [[String: Any]]
        XCTAssertEqual(json?.count, 4)
        assertPNG("plots/rng/histograms.png")
        assertPNG("plots/rng/losses.png")
        for method in ["gflownet", "ppo", "sft"] {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/runs/rng-\(method)")) ?? []
            XCTAssertEqual(runs.count, 1, "runs/rng-\(method)")
        }
    }

    func testSentenceContinuationExperiment() throws {
        let prompts = Self.root.appendingPathComponent("data/openwebtext/prompts.txt").path
        let out = try run("sentence_continuation.gfn", ["prompts_file": "\"\(prompts)\"", "train_prompts": "2", "val_prompts": "1",
                                                         "n_samples": "2", "max_len": "3", "steps": "2", "temp_ends": "[0.9]"])
        let table = try String(contentsOfFile: dir + "/runs/sentence_continuation/results.md", encoding: .utf8)
        for method in ["beam", "beam [fair]", "diverse beam", "diverse beam [fair]", "nucleus (p = 0.95)", "LM sampling", "greedy",
                       "LM tempered (T = 0.9)", "GFlowNet (T_end = 0.9)"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        assertPNG("plots/sentence_continuation/tradeoff.png")
        assertPNG("plots/sentence_continuation/training.png")
    }

    func testStoryInfillingExperiment() throws {
        let stories = Self.root.appendingPathComponent("data/infilling/stories.jsonl").path
        let out = try run("infilling.gfn", ["stories_file": "\"\(stories)\"", "train_stories": "3", "test_stories": "1", "n_samples": "2",
                                            "steps": "2", "sft_steps": "1", "eval_samples": "2", "min_len": "2", "max_len": "3",
                                            "temp_horizon": "2"])
        let table = try String(contentsOfFile: dir + "/runs/infilling/results.md", encoding: .utf8)
        for method in ["prompting", "supervised fine-tuning", "GFlowNet"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/runs/infilling/results.json"))) as? [[String: Any]]
        XCTAssertEqual(json?.count, 3)
        for row in json ?? [] {
            for key in ["bleu4", "gleu", "similarity"] {
                let v = row[key] as? Double ?? -1
                XCTAssertTrue((0...1).contains(v), "\(key) = \(v) in \(row)")
            }
        }
        assertPNG("plots/infilling/metrics.png")
        assertPNG("plots/infilling/training.png")
    }

    func testArithmeticWithACalculatorExperiment() throws {
        let data = Self.root.appendingPathComponent("data/arithmetic").path
        let out = try run("arithmetic.gfn", ["data_dir": "\"\(data)\"", "test_items": "1", "homework": "4", "n_samples": "2", "steps": "2",
                                             "sft_steps": "1", "eval_samples": "2", "temp_horizon": "2"])
        let table = try String(contentsOfFile: dir + "/runs/arithmetic/results.md", encoding: .utf8)
        for method in ["zero-shot", "3-shot", "SFT", "REINFORCE", "GFlowNet"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/runs/arithmetic/results.json"))) as? [[String: Any]]
        XCTAssertEqual(json?.count, 5)
        for row in json ?? [] {
            for k in [3, 4, 5] {
                let v = row["acc\(k)"] as? Double ?? -1
                XCTAssertTrue((0...1).contains(v), "acc\(k) = \(v) in \(row)")
            }
        }
        // With the demonstrations in its prompt the base model calls the calculator, and the calculator answers.
        let fewShot = try XCTUnwrap(json?.first { $0["method"] as? String == "3-shot" })
        XCTAssertGreaterThan(fewShot["calls3"] as? Double ?? 0, 0, "\(fewShot)")
        XCTAssertGreaterThan(fewShot["answered3"] as? Double ?? 0, 0.5, "\(fewShot)")
        XCTAssertTrue(out.contains("139 of 49152 tokens allowed"), out)
        assertPNG("plots/arithmetic/accuracy.png")
        assertPNG("plots/arithmetic/training.png")
    }

    /// Subjectivity EM end to end on the tiny byte-level GPT-2 (its context of 1,024 bytes holds short
    /// sentences only, so the test writes its own 10 shots and 4 test sentences): every method gets a row,
    /// the accuracies are fractions of 4, and the E-step, M-step and SFT runs leave their metrics.
    func testSubjectivityExperiment() throws {
        let data = dir + "/subj"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        func rows(_ items: [(String, Int)]) -> String {
            items.map { "{\"text\": \"\($0.0)\", \"label\": \($0.1), \"label_text\": \"\($0.1 == 0 ? "objective" : "subjective")\"}\n" }.joined()
        }
        try rows([("a man finds a map .", 0), ("what a dull film .", 1), ("she moves to paris .", 0), ("i loved every minute .", 1),
                  ("the war ends in 1945 .", 0), ("too long and too loud .", 1), ("two boys build a raft .", 0),
                  ("a charming little gem .", 1), ("he returns home .", 0), ("utterly pointless .", 1)])
            .write(toFile: data + "/train.10.jsonl", atomically: true, encoding: .utf8)
        try rows([("a girl meets a dog .", 0), ("a bland mess .", 1), ("they sail north .", 0), ("pure joy .", 1)])
            .write(toFile: data + "/test.jsonl", atomically: true, encoding: .utf8)
        let out = try run("subjectivity.gfn", ["model_name": "\"\(Self.gpt2Folder)\"", "data_dir": "\"\(data)\"", "test_size": "4",
                                               "steps": "2", "n_samples": "2", "examples_per_step": "1", "seed_samples": "2", "m_latents": "2",
                                               "m_steps": "2", "m_batch": "4", "sft_steps": "2", "sft_batch": "4", "eval_latents": "3",
                                               "max_len": "3", "lora_r": "2", "lora_alpha": "4", "few_shot_demos": "3"])
        let table = try String(contentsOfFile: dir + "/runs/subjectivity/results.md", encoding: .utf8)
        for method in ["zero-shot prompting", "few-shot prompting (3 demonstrations)", "SFT on labels (10 examples)",
                       "E-step only, greedy rationale", "E-step only, majority of 3", "E + M, greedy rationale", "E + M, majority of 3"] {
            XCTAssertTrue(table.contains("| \(method) | 10 |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/runs/subjectivity/results.json"))) as? [[String: Any]]
        XCTAssertEqual(json?.count, 7)
        for row in json ?? [] {
            let accuracy = row["accuracy"] as? Double ?? -1
            XCTAssertTrue([0, 0.25, 0.5, 0.75, 1].contains(accuracy), "accuracy \(accuracy) is no fraction of 4 test sentences: \(row)")
        }
        for run in ["estep", "mstep", "sft"] {
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/runs/subjectivity-\(run)")) ?? []
            XCTAssertEqual(runs.count, 1, "runs/subjectivity-\(run)")
            let log = (try? String(contentsOfFile: dir + "/runs/subjectivity-\(run)/\(runs.first ?? "")/metrics.jsonl", encoding: .utf8)) ?? ""
            XCTAssertEqual(log.split(separator: "\n").count, 2, "runs/subjectivity-\(run) metrics.jsonl:\n\(log)")
        }
        assertPNG("plots/subjectivity/accuracy.png")
        assertPNG("plots/subjectivity/training.png")
    }

    /// A GPT-2 checkpoint a user brings: a Hugging Face folder (config.json, model.safetensors, vocab.json,
    /// merges.txt), here a seeded random one with a byte-level vocabulary (Tests/Fixtures/byte_gpt2).
    static let gpt2Folder = TestPaths.fixtures.appendingPathComponent("byte_gpt2").path

    func testRandomNumberExperimentOnAGPT2Checkpoint() throws {
        let out = try run("rng.gfn", ["model_name": "\"\(Self.gpt2Folder)\"", "steps": "2", "n_samples": "2", "eval_samples": "16"])
        let table = try String(contentsOfFile: dir + "/runs/rng/results.md", encoding: .utf8)
        XCTAssertTrue(table.contains("byte_gpt2"), table)
        for method in ["base model", "gflownet", "ppo", "sft"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        assertPNG("plots/rng/histograms.png")
    }

    /// docs/scaling.md's measurement script, in one process on the tiny GPT-2 (MPIRunTests run mpirun).
    func testScalingScriptOnAGPT2Checkpoint() throws {
        let out = try run("scaling.gfn", ["model_name": "\"\(Self.gpt2Folder)\"", "steps": "2", "n_samples": "2"])
        XCTAssertTrue(out.contains("step 1  loss ") && out.contains("step 2  loss "), out)
        XCTAssertTrue(out.contains("forward+backward") && out.contains("1 rank(s), 2 micro-batches × 2 answers per step, 2 steps: "), out)
    }

    func testSentenceContinuationExperimentOnAGPT2Checkpoint() throws {
        let prompts = Self.root.appendingPathComponent("data/openwebtext/prompts.txt").path
        let out = try run("sentence_continuation.gfn", ["model_name": "\"\(Self.gpt2Folder)\"", "prompts_file": "\"\(prompts)\"",
                                                         "train_prompts": "2", "val_prompts": "1", "n_samples": "2", "max_len": "3",
                                                         "steps": "2", "temp_ends": "[0.9]"])
        XCTAssertTrue(out.contains("illegal tokens"), out)
        let table = try String(contentsOfFile: dir + "/runs/sentence_continuation/results.md", encoding: .utf8)
        for method in ["beam", "LM sampling", "greedy", "GFlowNet (T_end = 0.9)"] {
            XCTAssertTrue(table.contains("| \(method) |"), "results.md lacks \(method):\n\(table)\n\(out)")
        }
        assertPNG("plots/sentence_continuation/tradeoff.png")
    }
}
