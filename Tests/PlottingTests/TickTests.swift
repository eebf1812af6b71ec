import XCTest
import TestFixtures
@testable import Plotting

final class TickTests: XCTestCase {
    /// (lo, hi, max intervals) → the ticks matplotlib's MaxNLocator(steps=[1, 2, 2.5, 5, 10]) picks.
    static let table: [(Double, Double, Int, [Double])] = [
        (0, 10, 9, [0, 2, 4, 6, 8, 10]),
        (-0.5, 10.5, 9, [0, 2, 4, 6, 8, 10]),
        (0, 1, 9, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 1, 4, [0, 0.25, 0.5, 0.75, 1.0]),
        (-3.7, 12.1, 9, [-2, 0, 2, 4, 6, 8, 10, 12]),
        (1e6, 5e6, 5, [1e6, 2e6, 3e6, 4e6, 5e6]),
        (0.95, 1.05, 9, [0.96, 0.98, 1.0, 1.02, 1.04]),
        (-1.05, 1.05, 9, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1.0]),
        (0, 0.003, 6, [0, 0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003]),
        (-105, -95, 9, [-104, -102, -100, -98, -96]),
        (3, 3.5, 9, [3.0, 3.1, 3.2, 3.3, 3.4, 3.5]),
    ]

    func testNiceLinearTicks() {
        for (lo, hi, n, want) in Self.table {
            let got = TickLocator.linear(lo: lo, hi: hi, maxIntervals: n)
            XCTAssertEqual(got.count, want.count, "range \(lo)…\(hi) max \(n): got \(got), want \(want)")
            let maxDiff = maxAbsDifference(got, want)
            XCTAssertLessThan(maxDiff, 1e-9 * max(1, abs(hi)), "range \(lo)…\(hi): got \(got), want \(want), max diff \(maxDiff)")
            XCTAssertLessThanOrEqual(got.count - 1, n, "too many intervals for \(lo)…\(hi)")
        }
    }

    /// Data ranges plotted on the default 640×480 figure → the ticks drawn, as matplotlib picks them.
    static let figureTable: [(ClosedRange<Double>, [Double], [String])] = [
        (0...10, [0, 2, 4, 6, 8, 10], ["0", "2", "4", "6", "8", "10"]),
        (0...1, [0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
        (0...100, [0, 20, 40, 60, 80, 100], ["0", "20", "40", "60", "80", "100"]),
        (1000...5000, stride(from: 1000.0, through: 5000, by: 500).map { $0 }, stride(from: 1000, through: 5000, by: 500).map { "\($0)" }),
        (-1...1, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1],
         ["\u{2212}1.00", "\u{2212}0.75", "\u{2212}0.50", "\u{2212}0.25", "0.00", "0.25", "0.50", "0.75", "1.00"]),
    ]

    func testTicksDrawnForDataRanges() throws {
        for (range, values, labels) in Self.figureTable {
            let fig = try Figure()
            try fig.line([range.lowerBound, range.upperBound], x: [range.lowerBound, range.upperBound])
            let (_, frames) = try fig.prepare()
            for ticks in [frames[0].xTicks, frames[0].yTicks] {
                XCTAssertEqual(ticks.ticks.map(\.value), values, "range \(range): \(ticks.ticks.map(\.value))")
                XCTAssertEqual(ticks.ticks.map { $0.label.map(\.text).joined() }, labels, "range \(range)")
            }
        }
    }

    func testLabelsUseTheFewestDecimalsThatTellTicksApart() {
        XCTAssertEqual(TickLocator.labels(for: [0, 2, 4]).labels, ["0", "2", "4"])
        XCTAssertEqual(TickLocator.labels(for: [0, 0.25, 0.5]).labels, ["0.00", "0.25", "0.50"])
        XCTAssertEqual(TickLocator.labels(for: [-1, -0.5, 0, 0.5]).labels, ["\u{2212}1.0", "\u{2212}0.5", "0.0", "0.5"])
        let big = TickLocator.labels(for: [0, 5e5, 1e6, 1.5e6])
        XCTAssertEqual(big.exponent, 6)
        XCTAssertEqual(big.labels, ["0.0", "0.5", "1.0", "1.5"])
        let steps = TickLocator.labels(for: [0, 50_000, 100_000])
        XCTAssertTrue(steps.exponent == nil && steps.labels == ["0", "50000", "100000"])
        let tiny = TickLocator.labels(for: [0, 2e-5, 4e-5])
        XCTAssertEqual(tiny.exponent, -5)
        XCTAssertEqual(tiny.labels, ["0", "2", "4"])
    }

    func testLogTicksAreDecadesWithMinorTicks() {
        let t = TickLocator.log(lo: 1, hi: 1000, maxIntervals: 9)
        XCTAssertEqual(t.filter(\.major).map(\.value), [1, 10, 100, 1000])
        XCTAssertEqual(t.filter { !$0.major }.count, 24)
        let wide = TickLocator.log(lo: 1e-10, hi: 1e10, maxIntervals: 5)
        XCTAssertLessThanOrEqual(wide.filter(\.major).map(\.value).count, 6)
        // Within one decade: the 1…9 × 10ᵏ ticks carry plain labels instead.
        let narrow = TickLocator.log(lo: 2, hi: 9, maxIntervals: 9)
        XCTAssertEqual(narrow.map(\.value), [2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(narrow.first?.label.first?.text, "2")
    }

    func testTickLabelsNeverOverlapOnANarrowAxis() throws {
        // A 200-px-wide figure with long labels: the locator must thin the ticks until they fit.
        let fig = try Figure(width: 200, height: 150)
        try fig.line([123_456.5, 123_457.25], x: [1_000_000.123, 1_000_000.987])
        let text = try TextRenderer()
        let ctx = RenderContext(text: text, width: 200, height: 150, pixelsPerPoint: 100.0 / 72)
        for length in [60.0, 120, 200, 400] {
            let t = Axes.ticks(range: AxisRange(lo: 1_000_000.1, hi: 1_000_001.0), scale: .linear, explicit: nil,
                               length: length, horizontal: true, ctx: ctx)
            let map = AxisMap(range: AxisRange(lo: 1_000_000.1, hi: 1_000_001.0), scale: .linear, p0: 0, p1: length)
            let spans = t.ticks.map { tick -> (Double, Double) in
                let w = text.measure(tick.label, size: ctx.fontSize).width
                return (map(tick.value) - w / 2, map(tick.value) + w / 2)
            }
            for i in spans.indices.dropFirst() {
                XCTAssertGreaterThan(spans[i].0, spans[i - 1].1, "labels overlap at length \(length): \(spans)")
            }
        }
        _ = try fig.render()
    }
}
