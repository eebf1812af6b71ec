import XCTest
@testable import Tensors

/// RowMath's row reductions against the same sums in Double.
final class RowMathTests: XCTestCase {
    func testLogSumExpAndSoftmaxMatchDoublePrecision() {
        var rng = RandomGenerator(seed: 21)
        // 49,157: a vocabulary-sized row with a tail that is not a multiple of the vector width.
        var row = (0..<49_157).map { _ in rng.uniform(-30, 10) }
        row[7] = -.infinity  // a banned token
        let maxValue = Double(row.max()!)
        let expected = maxValue + log(row.reduce(0.0) { $0 + exp(Double($1) - maxValue) })
        let lse = row.withUnsafeBufferPointer { RowMath.logSumExp($0) }
        XCTAssertEqual(Double(lse), expected, accuracy: 1e-4 * abs(expected))
        let probabilities = row.withUnsafeBufferPointer { RowMath.softmax($0) }
        XCTAssertEqual(probabilities.count, row.count)
        XCTAssertEqual(probabilities[7], 0)
        XCTAssertEqual(probabilities.reduce(0.0) { $0 + Double($1) }, 1, accuracy: 1e-4)
        for i in [0, 1000, 49_156] {
            XCTAssertEqual(Double(probabilities[i]), exp(Double(row[i]) - expected), accuracy: 1e-6)
        }
    }

    func testRowsWithNoMass() {
        let banned = [Float](repeating: -.infinity, count: 37)
        XCTAssertEqual(banned.withUnsafeBufferPointer { RowMath.logSumExp($0) }, -.infinity)
        XCTAssertEqual([Float]().withUnsafeBufferPointer { RowMath.logSumExp($0) }, -.infinity)
        XCTAssertEqual(banned.withUnsafeBufferPointer { RowMath.softmax($0) }, [Float](repeating: 0, count: 37))
        XCTAssertEqual([Float]().withUnsafeBufferPointer { RowMath.softmax($0) }, [])
    }
}
