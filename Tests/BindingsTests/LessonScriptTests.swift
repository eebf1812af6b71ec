// The teaching lessons (scripts/lessons) run at their quick settings and still demonstrate what they
// teach: each test reads the numbers the lesson wrote to results.json and checks its claim with a
// margin, so a lesson that stops showing its point fails here (the lessons also assert it themselves).
import Bindings
import Foundation
import Plotting
import Scripting
import XCTest
import TestFixtures

final class LessonScriptTests: ScratchFolderTestCase {
    override class var scratchPrefix: String { "gfn-lessons" }

    /// Runs scripts/lessons/<name> with quick=true and the fixture models' absolute paths.
    func runLesson(_ name: String, _ overrides: [String: String] = [:]) throws -> (output: String, results: [String: Any]) {
        let path = TestPaths.root.appendingPathComponent("scripts/lessons/\(name)").path
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let out = CapturedOutput()
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        var settings = ["quick": "true", "out": "\"out\""]
        // Lesson 5 runs the real SmolLM2 (found by its short name); the others a tiny GPT-2 fixture.
        if !name.hasPrefix("05") {
            let model = name.hasPrefix("04") ? "byte_gpt2" : "lesson_gpt2"
            settings["model_path"] = "\"\(TestPaths.fixtures.appendingPathComponent(model).path)\""
        }
        interpreter.overrides = settings.merging(overrides) { $1 }
        do { _ = try interpreter.evaluate(source, file: path) } catch {
            XCTFail("\(name):\n" + error.render(color: false) + "\noutput:\n" + out.text)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/results.json")))
        return (out.text, json as? [String: Any] ?? [:])
    }

    /// A JSON array of numbers (ints included) as doubles.
    func doubles(_ value: Any?) -> [Double] { (value as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }

    func assertPNG(_ path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(try PNGCodec.read(path: dir + "/out/" + path), path, file: file, line: line)
    }

    /// Lesson 0: the tour's exact probabilities sum to 1 and its samples follow them.
    func testTourSamplesMatchTheExactProbabilities() throws {
        let (out, results) = try runLesson("00-tour.gfn")
        let exact = doubles(results["probabilities"]), sampled = doubles(results["frequencies"])
        XCTAssertEqual(exact.count, 7, out)
        XCTAssertEqual(exact.reduce(0, +), 1, accuracy: 1e-9)
        let n = (results["samples"] as? NSNumber)?.doubleValue ?? 0
        for (p, f) in zip(exact, sampled) { XCTAssertEqual(p, f, accuracy: 4 / n.squareRoot(), out) }
        assertPNG("samples_vs_exact.png")
    }

    /// Lesson 1: after training, the GFlowNet (SubTB) is close to the exact target and the reward
    /// maximisers are far from it, having collapsed.
    func testSamplingVersusMaximising() throws {
        let (out, results) = try runLesson("01-sampling-vs-maximising.gfn")
        let tv = (results["final_tv"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        XCTAssertEqual(Set(tv.keys), ["tb", "subtb", "reinforce", "ppo", "sft"], out)
        let subtb = tv["subtb"] ?? 1, rl = min(tv["reinforce"] ?? 0, tv["ppo"] ?? 0)
        XCTAssertLessThan(subtb, 0.35, "SubTB's total variation to p* after the quick run\n\(out)")
        XCTAssertGreaterThan(rl, 0.6, "REINFORCE and PPO collapse, far from p*\n\(out)")
        XCTAssertLessThan(subtb, rl - 0.3, out)
        assertPNG("total_variation.png")
        assertPNG("distributions.png")
    }

    /// Lesson 2: the hand-made exact policy balances every edge, the uniform one does not, and SubTB
    /// training cuts the exact SubTB loss of the model's policy by a large factor.
    func testFlowsAndBalance() throws {
        let (out, results) = try runLesson("02-flows-and-balance.gfn")
        let exact = (results["exact_loss"] as? NSNumber)?.doubleValue ?? 1, uniform = (results["uniform_loss"] as? NSNumber)?.doubleValue ?? 0
        XCTAssertLessThan(exact, 1e-12, out)
        XCTAssertGreaterThan(uniform, 1, out)
        let losses = doubles(results["losses"])
        XCTAssertGreaterThan(losses.count, 2, out)
        XCTAssertLessThan(losses.last ?? .infinity, (losses.first ?? 0) / 4, "SubTB training balances the flows\n\(out)")
        assertPNG("residuals.png")
        assertPNG("subtb_loss.png")
    }

    /// Lesson 3: sampling tempered (with or without replay) finds more modes than on-policy training,
    /// averaged over the run and the seeds, and with replay it ends holding more of them.
    func testExplorationAndReplay() throws {
        let (out, results) = try runLesson("03-exploration-and-replay.gfn")
        let found = (results["mean_found"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        let final = (results["final_found"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        XCTAssertEqual(Set(found.keys), ["on-policy", "tempered", "tempered + replay"], out)
        let onPolicy = found["on-policy"] ?? .infinity, explorer = max(found["tempered"] ?? 0, found["tempered + replay"] ?? 0)
        XCTAssertGreaterThan(explorer, onPolicy, "exploring finds more modes than on-policy training\n\(out)")
        XCTAssertGreaterThanOrEqual(final["tempered + replay"] ?? 0, (final["on-policy"] ?? .infinity) + 0.5,
                                    "replay ends with more modes than on-policy training\n\(out)")
        let seeds = (results["seeds"] as? NSNumber)?.intValue ?? 0
        let curves = (results["found"] as? [String: Any])?["on-policy"] as? [Any] ?? []
        XCTAssertEqual(curves.count, seeds, "one curve of modes found per seed")
        for curve in curves { XCTAssertTrue(doubles(curve).allSatisfy { (0...4).contains($0) }, "modes found counts 0…4 modes: \(curve)") }
        assertPNG("modes_found.png")
        assertPNG("modes_per_seed.png")
    }

    /// Lesson 4: tempering p(Z)^(1/T) below 1 shortens latents far more than tempering each token.
    func testRewardTemperatureAndTheLengthBias() throws {
        let (out, results) = try runLesson("04-reward-temperature.gfn")
        let temperatures = doubles(results["temperatures"])
        let sequence = doubles(results["sequence_lengths"]), token = doubles(results["token_lengths"])
        XCTAssertEqual(temperatures.count, sequence.count, out)
        guard let half = temperatures.firstIndex(of: 0.5), let one = temperatures.firstIndex(of: 1.0) else {
            return XCTFail("temperatures 0.5 and 1 are compared: \(temperatures)")
        }
        XCTAssertEqual(sequence[one], token[one], accuracy: 1e-9, "both are the model at T = 1")
        XCTAssertGreaterThan(token[half] - sequence[half], 1.0, "sequence-level tempering at T = 0.5 shortens latents by over a letter\n\(out)")
        for i in temperatures.indices.dropFirst() where temperatures[i] <= 1 {
            XCTAssertGreaterThan(sequence[i], sequence[i - 1], "the sequence-level length grows with T up to 1: \(sequence)")
        }
        assertPNG("expected_length.png")
        assertPNG("length_histogram.png")
    }

    /// Lesson 5: a few GFlowNet steps on SmolLM2 cut its invalid answers to the random-number prompt.
    func testARealLanguageModel() throws {
        let (out, results) = try runLesson("05-a-real-lm.gfn")
        func number(_ key: String) -> Double? { (results[key] as? NSNumber)?.doubleValue }
        let before = number("invalid_before") ?? 0, after = number("invalid_after") ?? .infinity
        let n = number("eval_samples") ?? 0
        XCTAssertGreaterThan(before, n / 2, "the base model gives many invalid answers\n\(out)")
        XCTAssertLessThan(after, before / 2, "training halves them\n\(out)")
        assertPNG("before_after.png")
        assertPNG("training.png")
    }
}
