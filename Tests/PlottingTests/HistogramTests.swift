import XCTest
@testable import Plotting

final class HistogramTests: XCTestCase {
    func testCountsEdgesAndDensity() throws {
        let h = try Histogram(values: [0, 0.5, 1, 1.5, 2, 2, 3, 4], bins: .count(4))
        XCTAssertEqual(h.edges, [0, 1, 2, 3, 4])
        // The last bin includes its right edge, like numpy.
        XCTAssertEqual(h.counts, [2, 2, 2, 2])
        let d = try Histogram(values: [0, 0.5, 1, 1.5, 2, 2, 3, 4], bins: .count(4), density: true)
        let area = zip(d.counts, zip(d.edges, d.edges.dropFirst())).map { $0 * ($1.1 - $1.0) }.reduce(0, +)
        XCTAssertLessThan(abs(area - 1), 1e-12, "density area \(area)")
        let e = try Histogram(values: [1, 2, 3, 10], bins: .edges([0, 2, 5, 10]))
        XCTAssertEqual(e.counts, [1, 2, 1])
    }

    func testAutoBinsFollowNumpy() throws {
        // numpy.histogram_bin_edges(np.arange(100), "auto") has 8 bins (Sturges' width is the smaller).
        let h = try Histogram(values: (0..<100).map(Double.init))
        XCTAssertEqual(h.counts.count, 8)
        XCTAssertEqual(h.counts.reduce(0, +), 100)
        // A constant sample gets one unit-wide range around the value.
        let c = try Histogram(values: [5, 5, 5], bins: .count(2))
        XCTAssertEqual(c.edges, [4.5, 5, 5.5])
        XCTAssertEqual(c.counts, [0, 3])
    }

    func testSelectionFindsTheKthSmallest() {
        var state: UInt64 = 1
        let values = (0..<501).map { _ -> Double in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 40).truncatingRemainder(dividingBy: 97)   // many ties
        }
        let sorted = values.sorted()
        for k in [0, 1, 125, 250, 375, 499, 500] {
            var a = values
            Histogram.select(&a, k)
            XCTAssertEqual(a[k], sorted[k], "k = \(k): \(a[k]) vs \(sorted[k])")
            XCTAssertTrue(a[..<k].allSatisfy { $0 <= a[k] } && a[(k + 1)...].allSatisfy { $0 >= a[k] })
        }
    }

    func testBadInputIsAnError() {
        XCTAssertThrowsError(try Histogram(values: [])) { XCTAssertEqual($0 as? PlotError, PlotError.emptyData("hist: values")) }
        XCTAssertThrowsError(try Histogram(values: [1, .infinity])) { XCTAssertEqual($0 as? PlotError, PlotError.nonFinite("hist: values", index: 1, value: .infinity)) }
        XCTAssertThrowsError(try Histogram(values: [1], bins: .count(0))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try Histogram(values: [1], bins: .edges([0, 2, 1]))) { XCTAssertTrue($0 is PlotError, "\($0)") }
    }

    func testDebiasedExponentialMovingAverage() {
        let s = Smoothing.exponentialMovingAverage([1, 2], weight: 0.5)
        XCTAssertEqual(s[0], 1)
        XCTAssertLessThan(abs(s[1] - 1.25 / 0.75), 1e-12)
        let flat = Smoothing.exponentialMovingAverage([3, 3, 3, 3], weight: 0.9)
        XCTAssertTrue(flat.allSatisfy { abs($0 - 3) < 1e-12 }, "a constant stays constant: \(flat)")
        XCTAssertEqual(Smoothing.exponentialMovingAverage([1, 5], weight: 0), [1, 5])
    }
}
