import XCTest
import Tensors
@testable import GFlowNets

final class ExplorationTests: XCTestCase {
    func testRewardTemperatureAnnealing() throws {
        let schedule = try RewardTemperatureSchedule(start: 1, end: 0.8, horizon: 750)
        XCTAssertEqual(schedule.temperature(atStep: 0), 1)
        XCTAssertEqual(schedule.temperature(atStep: 375), 0.9, accuracy: 1e-12)
        XCTAssertEqual(schedule.temperature(atStep: 750), 0.8, accuracy: 1e-12)
        XCTAssertEqual(schedule.temperature(atStep: 5000), 0.8, accuracy: 1e-12)
        XCTAssertEqual(try RewardTemperatureSchedule(start: 2, end: 0.5, horizon: 0).temperature(atStep: 0), 0.5)
        XCTAssertThrowsError(try RewardTemperatureSchedule(start: 0, end: 1, horizon: 1))
        XCTAssertThrowsError(try RewardTemperatureSchedule(start: 1, end: 1, horizon: -1))
    }

    /// The next-sentence split: 25 % replay, 0.75·0.666 tempered, the rest on-policy, with
    /// tempered temperatures uniform on [0.5, 2]; with an empty buffer the replay share falls to
    /// the other two.
    func testBehaviourShares() throws {
        let policy = try BehaviourPolicy(useBufferProbability: 0.25, temperedProbability: 0.666, temperatureLow: 0.5, temperatureHigh: 2)
        var rng = RandomGenerator(seed: 27)
        let draws = 20_000
        var counts = ["replay": 0, "tempered": 0, "on_policy": 0]
        var temperatures: [Double] = []
        for _ in 0..<draws {
            let b = try XCTUnwrap(policy.choose(bufferHasEntries: true, using: &rng))
            counts[b.name, default: 0] += 1
            if case .tempered(let t) = b { temperatures.append(t) }
        }
        func share(_ k: String) -> Double { Double(counts[k] ?? 0) / Double(draws) }
        XCTAssertEqual(share("replay"), 0.25, accuracy: 0.015)
        XCTAssertEqual(share("tempered"), 0.75 * 0.666, accuracy: 0.015)
        XCTAssertEqual(share("on_policy"), 0.75 * 0.334, accuracy: 0.015)
        XCTAssertTrue(temperatures.allSatisfy { (0.5..<2).contains($0) })
        XCTAssertEqual(temperatures.reduce(0, +) / Double(temperatures.count), 1.25, accuracy: 0.02)
        var empty = 0
        for _ in 0..<draws where policy.choose(bufferHasEntries: false, using: &rng) == .replay { empty += 1 }
        XCTAssertEqual(empty, 0)
        // On-policy only never tempers or replays, and the seed fixes the sequence.
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
        XCTAssertTrue((0..<100).allSatisfy { _ in BehaviourPolicy.onPolicyOnly.choose(bufferHasEntries: true, using: &a) == .onPolicy })
        let first = (0..<50).map { _ in policy.choose(bufferHasEntries: true, using: &b) }
        var d = RandomGenerator(seed: 1)
        XCTAssertEqual(first, (0..<50).map { _ in policy.choose(bufferHasEntries: true, using: &d) })
        XCTAssertThrowsError(try BehaviourPolicy(useBufferProbability: 1.5))
        XCTAssertThrowsError(try BehaviourPolicy(temperatureLow: 2, temperatureHigh: 1))
    }

    /// The shares form: one draw over on-policy | tempered | replay (infilling's 25/50/25), and what
    /// the replay share becomes when the example's buffer is empty: tempering (infilling), a skip
    /// (subjectivity), or the other two in proportion.
    func testSharesAndEmptyBufferFallbacks() throws {
        let shares = BehaviourPolicy.Shares(onPolicy: 0.25, tempered: 0.5, replay: 0.25)
        func frequencies(_ policy: BehaviourPolicy, buffer: Bool) -> [String: Double] {
            var rng = RandomGenerator(seed: 3)
            var counts: [String: Double] = [:]
            let draws = 20_000
            for _ in 0..<draws { counts[policy.choose(bufferHasEntries: buffer, using: &rng)?.name ?? "skipped", default: 0] += 1 }
            return counts.mapValues { $0 / Double(draws) }
        }
        let infill = try BehaviourPolicy(shares: shares, emptyBuffer: .tempered)
        let full = frequencies(infill, buffer: true)
        XCTAssertEqual(full["on_policy"] ?? 0, 0.25, accuracy: 0.015)
        XCTAssertEqual(full["tempered"] ?? 0, 0.5, accuracy: 0.015)
        XCTAssertEqual(full["replay"] ?? 0, 0.25, accuracy: 0.015)
        let empty = frequencies(infill, buffer: false)
        XCTAssertEqual(empty["tempered"] ?? 0, 0.75, accuracy: 0.015)
        XCTAssertNil(empty["replay"])
        let subjectivity = try BehaviourPolicy(shares: .init(onPolicy: 0.25, tempered: 0.25, replay: 0.5), emptyBuffer: .skip)
        XCTAssertEqual(frequencies(subjectivity, buffer: false)["skipped"] ?? 0, 0.5, accuracy: 0.015)
        XCTAssertNil(frequencies(subjectivity, buffer: true)["skipped"])
        let proportional = frequencies(try BehaviourPolicy(shares: shares, emptyBuffer: .proportional), buffer: false)
        XCTAssertEqual(proportional["on_policy"] ?? 0, 1.0 / 3, accuracy: 0.015)
        XCTAssertEqual(proportional["tempered"] ?? 0, 2.0 / 3, accuracy: 0.015)
        XCTAssertThrowsError(try BehaviourPolicy(shares: .init(onPolicy: 0.5, tempered: 0.5, replay: 0.5), emptyBuffer: .skip)) { error in
            XCTAssertTrue("\(error)".contains("sum to 1"), "\(error)")
        }
        XCTAssertThrowsError(try BehaviourPolicy(shares: .init(onPolicy: -0.5, tempered: 1, replay: 0.5), emptyBuffer: .skip))
    }
}
