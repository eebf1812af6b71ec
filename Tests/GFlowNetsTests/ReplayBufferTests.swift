import XCTest
import Tensors
@testable import GFlowNets

final class ReplayBufferTests: XCTestCase {
    func item(_ tokens: [Int], _ reward: Double, text: String? = nil) -> ReplayItem {
        ReplayItem(logReward: reward, text: text ?? tokens.map(String.init).joined(separator: " "), tokens: tokens,
                   prefixLogRewards: Array(repeating: -1, count: tokens.count) + [reward])
    }

    func testCapacityKeepsHighestRewards() throws {
        var buffer = try ReplayBuffer(capacity: 3, duplicateThreshold: 0)
        XCTAssertEqual(try buffer.add(item([1], -5), key: "p"), .inserted)
        XCTAssertEqual(try buffer.add(item([2], -1), key: "p"), .inserted)
        XCTAssertEqual(try buffer.add(item([3], -3), key: "p"), .inserted)
        XCTAssertEqual(try buffer.add(item([4], -2), key: "p"), .insertedEvicting(lowest: -5))
        XCTAssertEqual(try buffer.add(item([5], -9), key: "p"), .rejectedBelowMinimum)
        XCTAssertEqual(buffer.items(for: "p").map(\.logReward), [-1, -2, -3])
        XCTAssertEqual(buffer.count(for: "other"), 0)
        // Many inserts keep the heap order: the survivors are the top 3.
        var big = try ReplayBuffer(capacity: 3, duplicateThreshold: 0)
        let rewards: [Double] = [4, -2, 7, 7.5, 0, 3, 9, -8, 6, 1]
        for (i, r) in rewards.enumerated() { try big.add(item([100 + i], r), key: "k") }
        XCTAssertEqual(big.items(for: "k").map(\.logReward), [9, 7.5, 7])
    }

    func testDuplicates() throws {
        var buffer = try ReplayBuffer(capacity: 10, duplicateThreshold: 0.25)
        XCTAssertEqual(try buffer.add(item([1, 2, 3, 4], -4, text: "a b c d"), key: "p"), .inserted)
        XCTAssertEqual(try buffer.add(item([9, 9, 9, 9], -1, text: "a b c d"), key: "p"), .rejectedExactDuplicate)
        // One edit out of 4 + 4 tokens: 1 < 0.25·8 = 2, a near-duplicate; lower reward → rejected.
        XCTAssertEqual(try buffer.add(item([1, 2, 3, 5], -6), key: "p"), .rejectedNearDuplicate)
        // Equal reward is rejected too (the stored item's reward ≥ the new one's).
        XCTAssertEqual(try buffer.add(item([1, 2, 3, 5], -4), key: "p"), .rejectedNearDuplicate)
        // Higher reward → replaces it.
        XCTAssertEqual(try buffer.add(item([1, 2, 3, 5], -2), key: "p"), .replacedNearDuplicate)
        XCTAssertEqual(buffer.items(for: "p").map(\.tokens), [[1, 2, 3, 5]])
        // Two edits out of 8: 2 < 2 is false, so a distinct item.
        XCTAssertEqual(try buffer.add(item([1, 2, 7, 8], -3), key: "p"), .inserted)
        // Keys are separate sub-buffers.
        XCTAssertEqual(try buffer.add(item([1, 2, 3, 5], -2), key: "q"), .inserted)
        XCTAssertEqual(buffer.count(for: "p"), 2)
        XCTAssertThrowsError(try buffer.add(ReplayItem(logReward: .nan, text: "x", tokens: [1], prefixLogRewards: [0, 0]), key: "p"))
        XCTAssertThrowsError(try buffer.add(ReplayItem(logReward: 0, text: "x", tokens: [1], prefixLogRewards: [0]), key: "p")) { e in
            XCTAssertTrue("\(e)".contains("1 tokens need 2 prefix log-rewards"), "\(e)")
        }
        XCTAssertThrowsError(try ReplayBuffer(capacity: 0))
    }

    func testSampling() throws {
        var buffer = try ReplayBuffer(capacity: 10, duplicateThreshold: 0, sampling: .rewardSoftmax)
        XCTAssertEqual(try buffer.seed([item([1], 0), item([2], log(3)), item([1], 5, text: "1")], key: "p"), 2)
        var rng = RandomGenerator(seed: 7)
        XCTAssertTrue(try buffer.sample(4, key: "empty", using: &rng).isEmpty)
        // Fewer than k stored: all of them, once each.
        XCTAssertEqual(Set(try buffer.sample(5, key: "p", using: &rng).map(\.text)), ["1", "2"])
        XCTAssertEqual(try buffer.sample(5, key: "p", using: &rng).count, 2)
        // Reward softmax: "2" is drawn with probability 3/4.
        let draws = try buffer.sample(4000, key: "p", using: &rng, allWhenFewer: false)
        let share = Double(draws.filter { $0.text == "2" }.count) / 4000
        XCTAssertEqual(share, 0.75, accuracy: 0.03, "softmax share \(share)")
        buffer.sampling = .uniform
        let uniform = try buffer.sample(4000, key: "p", using: &rng, allWhenFewer: false)
        XCTAssertEqual(Double(uniform.filter { $0.text == "2" }.count) / 4000, 0.5, accuracy: 0.03)
        // The same seed draws the same items.
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        XCTAssertEqual(try buffer.sample(2, key: "p", using: &a).map(\.text), try buffer.sample(2, key: "p", using: &b).map(\.text))
    }

    func testSaveAndLoad() throws {
        var buffer = try ReplayBuffer(capacity: 4, duplicateThreshold: 0.1, sampling: .rewardSoftmax)
        try buffer.add(item([1, 2], -1.25), key: "prompt one")
        try buffer.add(item([3], -.infinity), key: "prompt one")
        try buffer.add(item([4, 5, 6], 2.5), key: "prompt \"two\"")
        let dir = try TestPaths.scratchDirectory("replay")
        let url = dir.appendingPathComponent("buffer.json")
        try buffer.save(to: url)
        let loaded = try ReplayBuffer.load(from: url)
        XCTAssertEqual(loaded, buffer)
        XCTAssertEqual(loaded.items(for: "prompt one").last?.logReward, -.infinity)
        try Data("{\"capacity\": 3}".utf8).write(to: url)
        XCTAssertThrowsError(try ReplayBuffer.load(from: url)) { e in XCTAssertTrue("\(e)".contains("is not a replay buffer"), "\(e)") }
        XCTAssertThrowsError(try ReplayBuffer.load(from: dir.appendingPathComponent("missing.json"))) { e in
            XCTAssertTrue("\(e)".contains("cannot read"), "\(e)")
        }
    }
}
