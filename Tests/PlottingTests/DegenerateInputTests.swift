import Foundation
import XCTest
@testable import Plotting

/// Odd but legal data must render (or throw a PlotError), never trap.
final class DegenerateInputTests: XCTestCase {
    static let cases: [(String, [Double], [Double]?)] = [
        ("one point", [3], nil),
        ("constant", [2, 2, 2], nil),
        ("zero constant", [0, 0], nil),
        ("huge", [-1e300, 1e300], nil),
        ("max magnitude", [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude], nil),
        ("tiny span", [1, 1 + 1e-13], nil),
        ("subnormal", [0, Double.leastNonzeroMagnitude], nil),
        ("huge x", [1, 2], [1e308, -1e308]),
    ]

    func testLinesRender() throws {
        for i in Self.cases.indices {
            let (name, y, x) = Self.cases[i]
            let fig = try Figure(width: 160, height: 120)
            try fig.line(y, x: x, LineOptions(label: name, marker: .circle))
            try fig.scatter(x: x ?? y.indices.map(Double.init), y: y)
            let img = try TestImage.decodePNG(of: fig)
            XCTAssertEqual(img.width, 160, "\(name)")
        }
    }

    func testHistogramsAndBarsOfOddData() throws {
        let fig = try Figure(width: 160, height: 120, rows: 1, cols: 2)
        try fig.subplots[0].hist([7])
        try fig.subplots[0].hist([1e300, -1e300], HistogramOptions(bins: .count(3)))
        try fig.subplots[1].bar([-2, 3, 0], BarOptions(label: "mixed signs"))
        fig.subplots[1].yScale = .log
        _ = try fig.render()
        fig.subplots[1].yScale = .linear
        _ = try fig.render()
    }

    func testLogAxisOverManyDecades() throws {
        let fig = try Figure(width: 200, height: 150)
        try fig.line([1e-300, 1, 1e300])
        fig.axes.yScale = .log
        _ = try fig.render()
        fig.axes.yLimits = 5...5.0000001
        _ = try fig.render()
    }

    func testManyCategoriesThinOut() throws {
        let fig = try Figure(width: 200, height: 150)
        let m = (0..<30).map { r in (0..<200).map { c in Double(r * c) } }
        try fig.axes.heatmap(m, HeatmapOptions(xLabels: (0..<200).map { "token\($0)" }, yLabels: (0..<30).map { "row \($0)" }))
        _ = try fig.render()
        let c = try Figure(width: 200, height: 150)
        try c.axes.heatmap([[1, 1], [1, 1]])
        _ = try c.render()
    }
}
