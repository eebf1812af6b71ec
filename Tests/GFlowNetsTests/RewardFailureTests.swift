import XCTest
import Tensors
@testable import GFlowNets

/// A log-reward of +inf is an error (like NaN from a text reward); −inf is a reward of 0; a huge
/// finite one gives a non-finite loss, and the step is skipped with a warning.
final class RewardFailureTests: XCTestCase {
    final class ConstantReward: RewardFunction {
        let value: Double
        init(_ value: Double) { self.value = value }
        func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
            latents.map { Array(repeating: value, count: $0.count + 1) }
        }
    }

    func trainer(_ reward: RewardFunction) throws -> GFlowNetTrainer {
        var c = GFlowNetConfiguration()
        c.maxLength = 2
        c.pushSamplesToBuffer = false
        return try GFlowNetTrainer(policy: try TabularPolicy(vocabulary: 4, maxLength: 2, seed: 1), reward: reward,
                                   prompts: [TrainingPrompt(tokens: [1])], configuration: c)
    }

    func testPlusInfinityIsAnError() throws {
        XCTAssertThrowsError(try trainer(ConstantReward(.infinity)).trainStep()) { e in
            XCTAssertTrue("\(e)".contains("log-reward of +inf"), "\(e)")
        }
        XCTAssertNoThrow(try trainer(ConstantReward(-.infinity)).trainStep())
    }

    func testTextRewardRefusesPlusInfinityAndNaN() throws {
        for bad in [Double.infinity, .nan] {
            XCTAssertThrowsError(try TextReward { _ in bad }.logReward(text: "x")) { e in
                XCTAssertTrue("\(e)".contains("text reward: returned \(bad) for \"x\""), "\(e)")
            }
        }
        XCTAssertEqual(try TextReward { _ in -.infinity }.logReward(text: "x"), -.infinity)
    }

    func testAHugeRewardSkipsTheStepWithAWarning() throws {
        let t = try trainer(ConstantReward(1e308))
        var warnings: [String] = []
        t.listeners.append(CallbackListener { if case .warning(_, let m) = $0 { warnings.append(m) }; return .continue })
        let m = try t.trainStep()
        XCTAssertTrue(m.skipped)
        XCTAssertEqual(m.skippedTotal, 1)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("step skipped") ?? false, "\(warnings)")
    }
}
