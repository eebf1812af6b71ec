import XCTest
import Tensors
@testable import GFlowNets

final class RewardTests: XCTestCase {
    let context = RewardContext(promptTokens: [1], key: "p", decode: { $0.map(String.init).joined(separator: " ") })

    func testTextRewardPerPrefixWithCache() throws {
        var calls = 0
        let reward = TextReward { text in calls += 1; return -Double(text.count) }
        let r = try reward.logRewards(latents: [[1, 22], [1]], context: context)
        XCTAssertEqual(r, [[0, -1, -4], [0, -1]])
        XCTAssertEqual(calls, 3)   // "", "1", "1 22": the rest from the cache
        XCTAssertEqual(reward.evaluations, 3)
        XCTAssertThrowsError(try TextReward { _ in .nan }.logRewards(latents: [[]], context: context))
    }

    func testTargetTableAndCombinators() throws {
        let table = try TargetTableReward(probabilities: ["1": 1, "1 2": 3], otherwise: -50)
        XCTAssertEqual(try table.logRewards(latents: [[1, 2, 3]], context: context)[0], [-50, log(0.25), log(0.75), -50])
        XCTAssertThrowsError(try TargetTableReward(probabilities: ["x": 0]))
        let length = TextReward { Double($0.count) }
        let sum = try CombinedReward(.sum([table, length]))
        XCTAssertEqual(try sum.logRewards(latents: [[1, 2]], context: context)[0], [-50, log(0.25) + 1, log(0.75) + 3])
        XCTAssertEqual(try CombinedReward(.scaled(length, -2)).logRewards(latents: [[1, 2]], context: context)[0], [0, -2, -6])
        XCTAssertEqual(try CombinedReward(.clamped(length, low: 0.5, high: 2)).logRewards(latents: [[1, 2]], context: context)[0], [0.5, 1, 2])
        XCTAssertEqual(try CombinedReward(.minimum([table, length])).logRewards(latents: [[1, 2]], context: context)[0], [-50, log(0.25), log(0.75)])
        let valid = try CombinedReward(.validated(length, isValid: { !$0.contains("2") }, penalty: -8))
        XCTAssertEqual(try valid.logRewards(latents: [[1, 2]], context: context)[0], [0, 1, -8])
        let minLen = try CombinedReward(.minimumLength(length, minimum: 2, substitute: -99))
        XCTAssertEqual(try minLen.logRewards(latents: [[1, 2, 3]], context: context)[0], [-99, -99, 3, 5])
        XCTAssertThrowsError(try CombinedReward(.sum([])))
        XCTAssertThrowsError(try CombinedReward(.clamped(length, low: 1, high: 0)))
    }
}
