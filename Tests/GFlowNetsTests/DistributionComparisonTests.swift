import Foundation
import XCTest
@testable import GFlowNets

/// KL, total variation and Jensen–Shannon against a target, computed by hand (natural logs).
final class DistributionComparisonTests: XCTestCase {
    func testMatchingTheTargetGivesZero() throws {
        let c = try DistributionComparison(counts: [0: 2, 1: 2], target: DistributionComparison.uniform(over: 0..<2))
        XCTAssertEqual(c.klDivergence, 0, accuracy: 1e-12)
        XCTAssertEqual(c.totalVariation, 0, accuracy: 1e-12)
        XCTAssertEqual(c.jensenShannon, 0, accuracy: 1e-12)
        XCTAssertEqual([c.sampleCount, c.invalidCount, c.outsideTargetCount, c.distinctCount], [4, 0, 0, 2])
    }

    func testSkewedSamplesAgainstAUniformTarget() throws {
        // p̂ = (3/4, 1/4), q = (1/2, 1/2); the target's weights (5, 5) are normalised.
        let c = try DistributionComparison(counts: ["a": 3, "b": 1], target: ["a": 5, "b": 5])
        // KL = ¾ ln(3/2) + ¼ ln(1/2) = 0.304099 − 0.173287
        XCTAssertEqual(c.klDivergence, 0.75 * log(1.5) + 0.25 * log(0.5), accuracy: 1e-12)
        XCTAssertEqual(c.klDivergence, 0.130812, accuracy: 1e-6)
        // TV = ½(¼ + ¼)
        XCTAssertEqual(c.totalVariation, 0.25, accuracy: 1e-12)
        // m = (5/8, 3/8): JS = ½[¾ ln(6/5) + ¼ ln(2/3)] + ½[½ ln(4/5) + ½ ln(4/3)] = 0.0338221
        XCTAssertEqual(c.jensenShannon, 0.033822, accuracy: 1e-6)
    }

    /// The paper's convention: invalid samples form a bin of target mass 0, so any makes KL infinite.
    func testInvalidSamplesMakeKLInfiniteUnlessLeftOut() throws {
        let target = DistributionComparison.uniform(over: [0, 1])
        let c = try DistributionComparison(counts: [0: 2, 1: 1], invalid: 1, target: target)
        XCTAssertEqual(c.klDivergence, .infinity)
        // p̂ = (½, ¼, invalid ¼), q = (½, ½, 0): TV = ½(0 + ¼ + ¼).
        XCTAssertEqual(c.totalVariation, 0.25, accuracy: 1e-12)
        XCTAssertEqual(c.jensenShannon, 0.1078808, accuracy: 1e-6)
        XCTAssertEqual([c.sampleCount, c.invalidCount], [4, 1])
        // Over the valid samples only: p̂ = (⅔, ⅓): KL = ⅔ ln(4/3) + ⅓ ln(2/3) = 0.0566330.
        let v = try DistributionComparison(counts: [0: 2, 1: 1], invalid: 1, target: target, validOnly: true)
        XCTAssertEqual(v.klDivergence, 2.0 / 3 * log(4.0 / 3) + 1.0 / 3 * log(2.0 / 3), accuracy: 1e-12)
        XCTAssertEqual(v.totalVariation, 1.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(v.invalidCount, 1)
    }

    func testCollapsedSamplesAndValuesOutsideTheTarget() throws {
        // Every sample says 7, target uniform on 0…99: KL = ln 100, TV = ½(0.99 + 99·0.01) = 0.99.
        let collapsed = try DistributionComparison(counts: [7: 10], target: DistributionComparison.uniform(over: 0..<100))
        XCTAssertEqual(collapsed.klDivergence, log(100), accuracy: 1e-12)
        XCTAssertEqual(collapsed.totalVariation, 0.99, accuracy: 1e-12)
        XCTAssertEqual(collapsed.distinctCount, 1)
        // 100 is a valid integer but has no target mass (docs/method.md §4.1: the reference rewards 0–99 only).
        let outside = try DistributionComparison(counts: [100: 1, 0: 1], target: DistributionComparison.uniform(over: 0..<100))
        XCTAssertEqual(outside.outsideTargetCount, 1)
        XCTAssertEqual(outside.klDivergence, .infinity)
        XCTAssertTrue(outside.jensenShannon.isFinite && outside.jensenShannon <= log(2))
    }

    func testBadInputsAreErrors() {
        let target = DistributionComparison.uniform(over: [0, 1])
        XCTAssertThrowsError(try DistributionComparison(counts: [0: -1], target: target))
        XCTAssertThrowsError(try DistributionComparison(counts: [0: 1], invalid: -1, target: target))
        XCTAssertThrowsError(try DistributionComparison(counts: [0: 1], target: [0: -1.0, 1: 2]))
        XCTAssertThrowsError(try DistributionComparison(counts: [0: 1], target: [0: Double.nan]))
        XCTAssertThrowsError(try DistributionComparison(counts: [0: 1], target: [0: 0.0]))
        XCTAssertThrowsError(try DistributionComparison(counts: [Int: Int](), target: target))
        XCTAssertThrowsError(try DistributionComparison(counts: [Int: Int](), invalid: 3, target: target, validOnly: true)) { error in
            XCTAssertTrue("\(error)".contains("no valid samples"), "\(error)")
        }
    }
}
