// Rewards that break the balance: +inf is an error like NaN; a huge finite reward (1e308) makes
// every step's loss infinite, and those skipped steps are reported, never passed off as training.
import Foundation
import Scripting
import XCTest
@testable import Bindings

final class RewardFailureBindingsTests: XCTestCase {
    func run(_ source: String) throws -> String {
        let out = CapturedOutput()
        let interp = Interpreter(output: out)
        Bindings.install(into: interp)
        try interp.evaluate(source, file: "test.gfn")
        return out.text
    }

    func tuner(_ name: String, _ reward: String) -> String {
        "\(name) = gflownet(lm, reward=reward.text(fn(s) { return \(reward) }), prompt=\"A number:\", stop=\"\\n\", n_samples=2, max_len=2, warmup=0)\n"
    }

    let model = "lm = model(\"smollm2\")\nlm.lora(r=2, target_modules=[\"q_proj\"])\n"

    func testPlusInfinityRewardIsAnErrorLikeNaN() throws {
        let source = model + tuner("zero", "float(\"-inf\")") + "zero.fit(steps=1)\nprint(\"-inf is no error\")\n"
            + tuner("infinite", "float(\"inf\")") + "infinite.fit(steps=1)\n"
        let out = CapturedOutput()
        let interp = Interpreter(output: out)
        Bindings.install(into: interp)
        XCTAssertThrowsError(try interp.evaluate(source, file: "test.gfn")) { error in
            XCTAssertTrue("\(error)".contains("text reward: returned inf"), "\(error)")
        }
        // log R = −inf everywhere is a reward of 0 for every latent: no error, but nothing to learn.
        XCTAssertTrue(out.text.hasSuffix("-inf is no error\n"), out.text)
    }

    func testSkippedStepsAreReportedByFit() throws {
        let out = try run(model + tuner("huge", "1e308") + "losses = huge.fit(steps=2)\n"
                          + "print(len(losses), huge.metrics[0][\"skipped\"], huge.metrics[1][\"skipped\"])\n"
                          + tuner("fine", "-len(s)") + "fine.fit(steps=1)\nprint(\"done\")\n")
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "fit: 2 of 2 steps skipped (non-finite loss or gradient: nothing was learned from them); check the reward for huge or infinite values, or lower the learning rate",
            "2 true true",
            "done",
        ])
    }
}
