import XCTest
import Tensors
@testable import GFlowNets

/// The losses on cases small enough to compute by hand (the arithmetic is in the comments).
final class BalanceLossHandTests: XCTestCase {
    /// One trajectory, one token, ⊤ chosen by the policy: log R = [−2, 1], log P_term = [−1, −0.5],
    /// log P_F = [−3]. δ₀ = (−2 + 1) − 3 − (1 + 0.5) = −5.5.
    func oneToken() throws -> TrajectoryScores {
        try TrajectoryScores(logForward: [[-3]], logTermination: [[-1, -0.5]], logReward: [[-2, 1]],
                             lengths: [1], forced: [false])
    }

    /// Two tokens, termination forced at m_max = 2: log R = [0, −1, 2], log P_term = [−1, −2, −0.7],
    /// log P_F = [−0.5, −1.5].
    /// Forced ⇒ log P_term(s₂) = 0: flows F = R − P_term = [1, 1, 2], δ = [−0.5, −2.5].
    /// Model's P_term kept: F₂ = 2.7, δ = [−0.5, −3.2].
    func forcedTwoTokens() throws -> TrajectoryScores {
        try TrajectoryScores(logForward: [[-0.5, -1.5]], logTermination: [[-1, -2, -0.7]], logReward: [[0, -1, 2]],
                             lengths: [2], forced: [true])
    }

    func testSingleTransition() throws {
        let s = try oneToken()
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1)(s).item(), 30.25, accuracy: 1e-5)       // δ₀²
        // Strictly after the first ⊤: pairs (0,1) and (0,2) both give δ₀², (1,2) gives 0: 60.5 / 3.
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1, masking: .strictlyAfterFirstTermination)(s).item(),
                       60.5 / 3, accuracy: 1e-4)
        XCTAssertEqual(try BalanceLoss.detailed(s).item(), 30.25, accuracy: 1e-5)
        // TB with log Z = 0.5: 0.5 + (−3) + (−0.5) − 1 = −4 → 16.
        XCTAssertEqual(try BalanceLoss.trajectory(s, logPartition: Tensor([0.5])).item(), 16, accuracy: 1e-5)
    }

    func testForcedTerminationAndLambda() throws {
        let s = try forcedTwoTokens()
        // λ = 0.5, certain: (0,1) 0.25·1 + (1,2) 6.25·1 + (0,2) 9·0.5 = 11 over weights 2.5 → 4.4.
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 0.5)(s, forcedTermination: .certain).item(), 4.4, accuracy: 1e-5)
        // Model's P_term: 0.25 + 10.24 + 13.69·0.5 = 17.335 → 6.934.
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 0.5)(s, forcedTermination: .modelProbability).item(), 6.934, accuracy: 1e-4)
        // λ = 1: (0.25 + 6.25 + 9) / 3.
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1)(s).item(), 15.5 / 3, accuracy: 1e-5)
        // A forced row has no extra terminal transition: the strictly-after variant is the same.
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1, masking: .strictlyAfterFirstTermination)(s).item(), 15.5 / 3, accuracy: 1e-5)
        // MDB: (0.25 + 6.25) / 2. TB with log Z = 1: 1 − 2 + 0 − 2 = −3 → 9.
        XCTAssertEqual(try BalanceLoss.detailed(s).item(), 3.25, accuracy: 1e-5)
        XCTAssertEqual(try BalanceLoss.trajectory(s, logPartition: Tensor([1])).item(), 9, accuracy: 1e-5)
    }

    /// The pairs are pooled over the micro-batch: a batch of the two cases above (padded to width 2)
    /// gives (30.25 + 15.5) / (1 + 3) at λ = 1; an empty latent adds no pair.
    func testBatchPoolsPairs() throws {
        let s = try TrajectoryScores(logForward: [[-3], [-0.5, -1.5], []],
                                     logTermination: [[-1, -0.5], [-1, -2, -0.7], [-4]],
                                     logReward: [[-2, 1], [0, -1, 2], [-99]],
                                     lengths: [1, 2, 0], forced: [false, true, false])
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1)(s).item(), 45.75 / 4, accuracy: 1e-4)
        // MDB averages per-trajectory means over rows with transitions: (30.25 + 3.25) / 2.
        XCTAssertEqual(try BalanceLoss.detailed(s).item(), 16.75, accuracy: 1e-4)
    }

    /// A policy with q(z ⊤) ∝ R satisfies every balance condition, so every loss is 0. From s₀ the
    /// tokens a, b have P_F 0.2 and 0.6, P_term(s₀) = 0.2, and both s_a, s_b terminate surely;
    /// R(s₀) = 1, R(a) = 1, R(b) = 3, so q(z ⊤) = 0.2·R(z) and δ₀ = log(1/0.2) + log P_F(z) − log R(z) = 0.
    func testBalancedPolicyHasZeroLoss() throws {
        // R(a) = 1, R(b) = 3 with P_F(a) = 0.2, P_F(b) = 0.6: q(z ⊤) = P_F(z)·1 = 0.2 R(z).
        let s = try TrajectoryScores(logForward: [[log(0.2)], [log(0.6)]],
                                     logTermination: [[log(0.2), 0], [log(0.2), 0]],
                                     logReward: [[0, 0], [0, log(3)]],
                                     lengths: [1, 1], forced: [false, false])
        XCTAssertEqual(try BalanceLoss.subTrajectory(lambda: 1)(s).item(), 0, accuracy: 1e-10)
        XCTAssertEqual(try BalanceLoss.detailed(s).item(), 0, accuracy: 1e-10)
        // TB's log Z is then log(R(s₀)/P_term(s₀)) = log 5.
        XCTAssertEqual(try BalanceLoss.trajectory(s, logPartition: Tensor([log(5)])).item(), 0, accuracy: 1e-10)
    }

    func testBadInputsThrow() throws {
        XCTAssertNoThrow(try TrajectoryScores(logForward: [[-1]], logTermination: [[0, 0]], logReward: [[0, 0]],
                                              lengths: [1], forced: [true]))   // width 1 = length: fine
        XCTAssertThrowsError(try TrajectoryScores(logForward: Tensor.zeros([2, 3]), logTermination: Tensor.zeros([2, 3]),
                                                  logReward: Tensor.zeros([2, 4]), lengths: [1, 1], forced: [false, false])) { e in
            XCTAssertTrue("\(e)".contains("logTermination must be [B, N + 1]"), "\(e)")
        }
        XCTAssertThrowsError(try TrajectoryScores(logForward: Tensor.zeros([1, 3]), logTermination: Tensor.zeros([1, 4]),
                                                  logReward: Tensor.zeros([1, 4]), lengths: [2], forced: [true])) { e in
            XCTAssertTrue("\(e)".contains("forced termination needs the full width 3"), "\(e)")
        }
        XCTAssertThrowsError(try TrajectoryScores(logForward: Tensor.zeros([1, 3]), logTermination: Tensor.zeros([1, 4]),
                                                  logReward: Tensor.zeros([1, 4]), lengths: [4], forced: [false])) { e in
            XCTAssertTrue("\(e)".contains("length 4 outside 0…3"), "\(e)")
        }
        let s = try oneToken()
        XCTAssertThrowsError(try BalanceLoss.subTrajectory(lambda: 0)(s))
        XCTAssertThrowsError(try BalanceLoss.trajectory(s)) { e in XCTAssertTrue("\(e)".contains("log Z"), "\(e)") }
    }

    /// Learned log Z per prompt, with its own optimizer, converges to the value that balances
    /// the trajectories (log 5 in the balanced case above).
    func testLearnedLogPartitionConverges() throws {
        let s = try TrajectoryScores(logForward: [[log(0.2)], [log(0.6)]],
                                     logTermination: [[log(0.2), 0], [log(0.2), 0]],
                                     logReward: [[0, 0], [0, log(3)]],
                                     lengths: [1, 1], forced: [false, false])
        let table = try LogPartitionTable(learningRate: 0.1)
        for _ in 0..<300 {
            try BalanceLoss.trajectory(s, logPartition: table.parameter(for: "prompt")).backward()
            try table.step()
        }
        XCTAssertEqual(try XCTUnwrap(table.values["prompt"]), log(5), accuracy: 1e-2)
        XCTAssertNil(table.values["other"])
    }
}
