import XCTest
import Tensors
@testable import GFlowNets

/// The trainer on a tabular policy whose sampling distribution is enumerable exactly.
final class TrainerTests: XCTestCase {
    /// Target over the 12 strings of 1–2 letters from {a, b, c}: R ∝ these weights; the empty
    /// latent (forbidden by m_min = 1) gets log R = −2.
    static let weights: [String: Double] = ["a": 1, "b": 2, "c": 0.5, "aa": 3, "ab": 0.5, "ac": 1,
                                            "ba": 1, "bb": 2.5, "bc": 0.2, "ca": 1.5, "cb": 0.7, "cc": 2]

    func makeTrainer(seed: UInt64 = 5, configure: (inout GFlowNetConfiguration) -> Void = { _ in }) throws -> (GFlowNetTrainer, TabularPolicy) {
        let policy = try TabularPolicy(vocabulary: 4, maxLength: 2, seed: seed)
        let reward = try TargetTableReward(probabilities: Self.weights, otherwise: -2)
        var c = GFlowNetConfiguration()
        c.samplesPerPrompt = 16
        c.microBatchesPerStep = 2
        c.minLength = 1
        c.maxLength = 2
        c.learningRate = 0.1
        c.learningRateSchedule = .constant
        c.weightDecay = 0
        c.seed = 11
        configure(&c)
        return (try GFlowNetTrainer(policy: policy, reward: reward, prompts: [TrainingPrompt(tokens: [1])], configuration: c), policy)
    }

    var target: [String: Double] {
        let z = Self.weights.values.reduce(0, +)
        return Self.weights.mapValues { $0 / z }
    }

    func testTrainingMovesTheSamplerToTheTarget() throws {
        let (trainer, policy) = try makeTrainer()
        let before = totalVariation(policy.distribution(minLength: 1), target)
        let history = try trainer.fit(steps: 150)
        let after = totalVariation(policy.distribution(minLength: 1), target)
        let early = history.prefix(10).map(\.loss).reduce(0, +) / 10, late = history.suffix(10).map(\.loss).reduce(0, +) / 10
        print("tabular SubTB: TV to target \(before) → \(after); loss \(early) → \(late)")
        XCTAssertLessThan(after, 0.25 * before, "TV \(before) → \(after)")
        XCTAssertLessThan(late, 0.2 * early, "loss \(early) → \(late)")
        XCTAssertEqual(trainer.step, 150)
    }

    func testTrajectoryBalanceAndDetailedBalanceAlsoLearn() throws {
        for loss in [BalanceLoss.trajectory, .detailed, .subTrajectory(lambda: 0.5, masking: .strictlyAfterFirstTermination)] {
            let (trainer, policy) = try makeTrainer { $0.loss = loss }
            let before = totalVariation(policy.distribution(minLength: 1), target)
            try trainer.fit(steps: 150)
            let after = totalVariation(policy.distribution(minLength: 1), target)
            print("tabular \(loss): TV to target \(before) → \(after)")
            XCTAssertLessThan(after, 0.4 * before, "\(loss): TV \(before) → \(after)")
        }
    }

    /// Off-policy exploration and replay on; a run resumed from a checkpoint at step 4 produces
    /// exactly the losses and parameters of the uninterrupted run.
    func testResumeContinuesIdentically() throws {
        let configure: (inout GFlowNetConfiguration) -> Void = {
            $0.behaviour = try! BehaviourPolicy(useBufferProbability: 0.3, temperedProbability: 0.5, temperatureLow: 0.5, temperatureHigh: 2)
            $0.rewardTemperature = try! RewardTemperatureSchedule(start: 1.5, end: 1, horizon: 6)
            $0.learningRateSchedule = .linearWarmup(warmupSteps: 3)
        }
        let dir = try TestPaths.scratchDirectory("resume").appendingPathComponent("checkpoint")
        let (a, policyA) = try makeTrainer(configure: configure)
        a.checkpointDirectory = dir
        try a.fit(steps: 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("optimizer.safetensors").path))
        a.checkpointDirectory = nil
        let continued = try a.fit(steps: 4)

        let (b, policyB) = try makeTrainer(seed: 99, configure: configure)   // other initial weights: all come from the checkpoint
        try b.resume(from: dir)
        XCTAssertEqual(b.step, 4)
        let resumed = try b.fit(steps: 4)
        XCTAssertEqual(resumed.map(\.loss), continued.map(\.loss))
        XCTAssertEqual(resumed.map(\.behaviours), continued.map(\.behaviours))
        XCTAssertEqual(policyB.logits.scalars, policyA.logits.scalars)
        XCTAssertEqual(b.replayBuffer, a.replayBuffer)
        XCTAssertGreaterThan(continued.flatMap { $0.behaviours.keys }.count, 0)
        print("resume: losses \(resumed.map(\.loss)) identical to the uninterrupted run")

        // A checkpoint of another loss is refused.
        let (c, _) = try makeTrainer { $0.loss = .detailed }
        XCTAssertThrowsError(try c.resume(from: dir)) { e in XCTAssertTrue("\(e)".contains("loss \"subtb\""), "\(e)") }
        XCTAssertThrowsError(try c.resume(from: dir.appendingPathComponent("nope"))) { e in XCTAssertTrue("\(e)".contains("not a checkpoint"), "\(e)") }
    }

    final class NaNReward: RewardFunction {
        func logRewards(latents: [[Int]], context: RewardContext) throws -> [[Double]] {
            latents.map { Array(repeating: .nan, count: $0.count + 1) }
        }
    }

    func testNonFiniteStepsAreSkippedThenStop() throws {
        let policy = try TabularPolicy(vocabulary: 4, maxLength: 2, seed: 1)
        var c = GFlowNetConfiguration()
        c.maxLength = 2
        c.maxConsecutiveNonFinite = 3
        c.pushSamplesToBuffer = false
        let trainer = try GFlowNetTrainer(policy: policy, reward: NaNReward(), prompts: [TrainingPrompt(tokens: [1])], configuration: c)
        var warnings = 0
        trainer.listeners.append(CallbackListener { if case .warning = $0 { warnings += 1 }; return .continue })
        let before = policy.logits.scalars
        XCTAssertTrue(try trainer.trainStep().skipped)
        XCTAssertEqual(policy.logits.scalars, before)
        XCTAssertNil(policy.logits.grad)
        XCTAssertThrowsError(try trainer.fit(steps: 5)) { e in XCTAssertTrue("\(e)".contains("3 consecutive steps had a non-finite loss"), "\(e)") }
        XCTAssertEqual(trainer.skippedSteps, 3)
        XCTAssertEqual(warnings, 3)
    }

    func testListenersStopRequestsAndMetricsLog() throws {
        let (trainer, _) = try makeTrainer()
        trainer.listeners.append(CallbackListener { event in
            if case .step(let m) = event, m.step == 3 { return .stop }
            return .continue
        })
        let dir = try TestPaths.scratchDirectory("metrics")
        let log = try MetricsLog(directory: MetricsLog.runDirectory(root: dir, name: "tabular"))
        trainer.listeners.append(log)
        XCTAssertEqual(try trainer.fit(steps: 10).count, 3)
        trainer.stopRequest.request()
        XCTAssertEqual(try trainer.fit(steps: 10).count, 0)
        let lines = try String(contentsOf: log.url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in ["train/loss", "train/logR", "train/var_logR_minus_logPF", "lr", "reward_temperature", "time/sampling",
                    "time/reward", "time/forward_backward", "time/optimizer", "step"] {
            XCTAssertNotNil(first[key], "metrics.jsonl lacks \(key): \(lines[0])")
        }
        XCTAssertTrue(log.url.path.contains("/runs/tabular/"))
    }

    /// An interrupt seen mid-step (interruptRequested turns true during step 3) stops fit after that
    /// step, says it was an interrupt, and leaves the checkpoint of that step; a listener's stop does not count as one.
    func testAnInterruptStopsAtTheStepBoundaryWithACheckpoint() throws {
        let (trainer, _) = try makeTrainer()
        let dir = try TestPaths.scratchDirectory("interrupt").appendingPathComponent("checkpoint")
        trainer.checkpointDirectory = dir
        var signalled = false
        trainer.listeners.append(CallbackListener { event in
            if case .step(let m) = event, m.step == 3 { signalled = true }
            return .continue
        })
        trainer.controls.interruptRequested = { signalled }
        XCTAssertEqual(try trainer.fit(steps: 10).count, 3)
        XCTAssertTrue(trainer.controls.interrupted)
        XCTAssertEqual(trainer.step, 3)
        let state = try String(contentsOf: dir.appendingPathComponent("trainer_state.json"), encoding: .utf8)
        XCTAssertTrue(state.contains("\"step\" : 3"), state)
        // Still requested: the next fit takes no step.
        XCTAssertEqual(try trainer.fit(steps: 10).count, 0)
        XCTAssertTrue(trainer.controls.interrupted)
        signalled = false
        trainer.listeners.append(CallbackListener { event in
            if case .step(let m) = event, m.step == 5 { return .stop }
            return .continue
        })
        XCTAssertEqual(try trainer.fit(steps: 10).count, 2)
        XCTAssertFalse(trainer.controls.interrupted)
    }

    /// The record names metrics.jsonl and `tuner.metrics` carry, behind the typed keys: a key
    /// renamed in code must not rename a logged column.
    func testMetricKeysKeepTheLoggedNames() {
        let m = StepMetrics(step: 3, loss: 0.5, logReward: -1, varianceLogRMinusLogPF: 0.25, learningRate: 0.01,
                            rewardTemperature: 2, meanLength: 4, gradientNorm: 1.5, skipped: false, skippedTotal: 1,
                            behaviours: ["replay": 2], seconds: ["sampling": 0.75],
                            extra: [.kl: 0.125, .clipFraction: 0.0625, .accuracy: 0.875, .tokens: 12])
        XCTAssertEqual(m.record, [
            "step": 3, "train/loss": 0.5, "train/logR": -1, "train/var_logR_minus_logPF": 0.25, "lr": 0.01,
            "reward_temperature": 2, "train/length": 4, "train/grad_norm": 1.5, "train/skipped_nonfinite": 1,
            "behaviour/replay": 2, "time/sampling": 0.75,
            "train/kl": 0.125, "train/clip_fraction": 0.0625, "train/accuracy": 0.875, "train/tokens": 12,
        ])
        let extras: [MetricKey] = [.reward, .entropy, .sequenceReturn, .klCoefficient, .approximateKL, .movingBaseline, .epoch]
        XCTAssertEqual(extras.map(\.rawValue), ["train/reward", "train/entropy", "train/return", "train/kl_coef", "train/approx_kl",
                                                "train/baseline", "train/epoch"])
    }

    func testBadConfigurations() throws {
        let policy = try TabularPolicy(vocabulary: 3, maxLength: 1, seed: 1)
        let reward = TextReward { _ in 0 }
        var c = GFlowNetConfiguration()
        c.minLength = 5
        c.maxLength = 2
        XCTAssertThrowsError(try GFlowNetTrainer(policy: policy, reward: reward, prompts: [TrainingPrompt(tokens: [1])], configuration: c)) { e in
            XCTAssertTrue("\(e)".contains("min length (5) ≤ max length (2)"), "\(e)")
        }
        XCTAssertThrowsError(try GFlowNetTrainer(policy: policy, reward: reward, prompts: [])) { e in
            XCTAssertTrue("\(e)".contains("at least one training prompt"), "\(e)")
        }
    }
}
