import Foundation
import XCTest
@testable import Plotting
import TestFixtures

final class ErrorTests: XCTestCase {
    func testBadDataIsRejectedWithTheArgumentNamed() throws {
        let ax = Axes()
        XCTAssertThrowsError(try ax.line([])) { XCTAssertEqual($0 as? PlotError, PlotError.emptyData("line: y")) }
        XCTAssertThrowsError(try ax.line([1, 2, .infinity])) { XCTAssertEqual($0 as? PlotError, PlotError.nonFinite("line: y", index: 2, value: .infinity)) }
        XCTAssertThrowsError(try ax.line([1, 2, 3], x: [1, 2])) { XCTAssertEqual($0 as? PlotError, PlotError.lengthMismatch("line: x", 2, "line: y", 3)) }
        XCTAssertThrowsError(try ax.scatter(x: [1], y: [1, 2])) { XCTAssertEqual($0 as? PlotError, PlotError.lengthMismatch("scatter: x", 1, "scatter: y", 2)) }
        XCTAssertThrowsError(try ax.line([1, 2], LineOptions(smoothing: 1))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.bar([1, 2], categories: ["a"])) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.heatmap([[1, 2], [3]])) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.errorBar(x: [1], y: [1], yErr: [-1])) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.band(mean: [1, 2], std: [0.1])) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try Figure(width: 0, height: 10)) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try Color(parsing: "#12345")) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertEqual(try Color(parsing: "C1"), Color.tab10[1])
        XCTAssertEqual(try LegendPlacement(parsing: "upper left"), .upperLeft)
        XCTAssertEqual(try LegendPlacement(parsing: "lower_right"), .lowerRight)
        XCTAssertEqual(try LegendPlacement(parsing: "none"), .hidden)
        XCTAssertThrowsError(try LegendPlacement(parsing: "top")) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertEqual(try AxisScale(parsing: "LOG"), .log)
        XCTAssertThrowsError(try AxisScale(parsing: "symlog")) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertEqual(try LineDash(parsing: "--"), .dashed)
        XCTAssertEqual(try Marker(parsing: "^"), .triangle)
        XCTAssertThrowsError(try Marker(parsing: "*")) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.hline(1, ReferenceLineOptions(width: -1))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.errorBar(x: [1], y: [1], yErr: [1], ErrorBarOptions(capSize: .nan))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.hist([1, 2], HistogramOptions(bins: .count(2_000_000_000)))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.text("big", x: 0, y: 0, TextOptions(size: 1e9))) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try Figure(width: 16000, height: 16000)) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.setXLimits(3, 1)) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try ax.setYLimits(.nan, 1)) { XCTAssertTrue($0 is PlotError, "\($0)") }
        try ax.setXLimits(1, 3)
        XCTAssertEqual(ax.xLimits, 1...3)
        XCTAssertEqual(ax.seriesCount, 0, "failed calls must add nothing")
        // Colours with out-of-range or NaN components are clamped, so they can always be drawn.
        XCTAssertEqual(Color(red: .nan, green: 2, blue: -1, alpha: 0.5), Color(red: 0, green: 1, blue: 0, alpha: 0.5))
        // NaN is named by index and value.
        do {
            try ax.scatter(x: [1, .nan], y: [1, 2])
            XCTFail("NaN accepted")
        } catch let e as PlotError {
            XCTAssertTrue(e.description.contains("scatter: x[1] is nan"), "\(e)")
        }
    }

    func testNonPositiveValuesOnALogAxisFailAtRender() throws {
        let fig = try Figure(width: 200, height: 150)
        try fig.line([1, 0, 3], LineOptions(label: "loss"))
        fig.axes.yScale = .log
        XCTAssertThrowsError(try fig.render()) { XCTAssertEqual($0 as? PlotError, PlotError.nonPositiveOnLogAxis(axis: "y", series: "line 'loss'", value: 0)) }
        fig.axes.yScale = .linear
        _ = try fig.render()
    }

    func testAllEmptyBarsOnALogAxisDrawNothing() throws {
        let fig = try Figure(width: 200, height: 150)
        try fig.axes.bar([0, 0, 0])
        fig.axes.yScale = .log
        _ = try TestImage.decodePNG(of: fig)
    }

    func testMissingFontNamesTheDebianPackage() throws {
        let fig = try Figure(FigureOptions(width: 100, height: 100, fontPath: "/nonexistent/DejaVuSans.ttf"))
        try fig.line([1, 2])
        do {
            _ = try fig.render()
            XCTFail("rendered without a font")
        } catch let e as PlotError {
            XCTAssertEqual(e, .fontMissing("/nonexistent/DejaVuSans.ttf"))
            XCTAssertTrue(e.description.contains("fonts-dejavu-core"))
        }
    }

    func testUnwritablePathIsAThrownError() throws {
        let dir = try TestPaths.scratchDirectory("unwritable-path").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/plain-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
        let fig = try Figure(width: 100, height: 100)
        try fig.line([1, 2])
        XCTAssertThrowsError(try fig.save(file + "/x.png")) { XCTAssertTrue($0 is PlotError, "\($0)") }
        XCTAssertThrowsError(try PNGCodec.decode([1, 2, 3, 4, 5, 6, 7, 8, 9])) { XCTAssertTrue($0 is PlotError, "\($0)") }
    }

    func testTooManySubplotsForTheSizeIsAnError() throws {
        let fig = try Figure(width: 64, height: 64, rows: 4, cols: 4)
        for a in fig.subplots { try a.line([1, 2]); a.yLabel = "a long y label"; a.title = "title" }
        XCTAssertThrowsError(try fig.render()) { XCTAssertTrue($0 is PlotError, "\($0)") }
    }
}
