import Foundation
import Testing
@testable import Plotting
import TestFixtures

@Suite struct ErrorTests {
    @Test func badDataIsRejectedWithTheArgumentNamed() throws {
        let ax = Axes()
        #expect(throws: PlotError.emptyData("line: y")) { try ax.line([]) }
        #expect(throws: PlotError.nonFinite("line: y", index: 2, value: .infinity)) { try ax.line([1, 2, .infinity]) }
        #expect(throws: PlotError.lengthMismatch("line: x", 2, "line: y", 3)) { try ax.line([1, 2, 3], x: [1, 2]) }
        #expect(throws: PlotError.lengthMismatch("scatter: x", 1, "scatter: y", 2)) { try ax.scatter(x: [1], y: [1, 2]) }
        #expect(throws: PlotError.self) { try ax.line([1, 2], LineOptions(smoothing: 1)) }
        #expect(throws: PlotError.self) { try ax.bar([1, 2], categories: ["a"]) }
        #expect(throws: PlotError.self) { try ax.heatmap([[1, 2], [3]]) }
        #expect(throws: PlotError.self) { try ax.errorBar(x: [1], y: [1], yErr: [-1]) }
        #expect(throws: PlotError.self) { try ax.band(mean: [1, 2], std: [0.1]) }
        #expect(throws: PlotError.self) { try Figure(width: 0, height: 10) }
        #expect(throws: PlotError.self) { try Color(parsing: "#12345") }
        #expect(try Color(parsing: "C1") == Color.tab10[1])
        #expect(try LegendPlacement(parsing: "upper left") == .upperLeft)
        #expect(try LegendPlacement(parsing: "lower_right") == .lowerRight)
        #expect(try LegendPlacement(parsing: "none") == .hidden)
        #expect(throws: PlotError.self) { try LegendPlacement(parsing: "top") }
        #expect(try AxisScale(parsing: "LOG") == .log)
        #expect(throws: PlotError.self) { try AxisScale(parsing: "symlog") }
        #expect(try LineDash(parsing: "--") == .dashed)
        #expect(try Marker(parsing: "^") == .triangle)
        #expect(throws: PlotError.self) { try Marker(parsing: "*") }
        #expect(throws: PlotError.self) { try ax.hline(1, ReferenceLineOptions(width: -1)) }
        #expect(throws: PlotError.self) { try ax.errorBar(x: [1], y: [1], yErr: [1], ErrorBarOptions(capSize: .nan)) }
        #expect(throws: PlotError.self) { try ax.hist([1, 2], HistogramOptions(bins: .count(2_000_000_000))) }
        #expect(throws: PlotError.self) { try ax.text("big", x: 0, y: 0, TextOptions(size: 1e9)) }
        #expect(throws: PlotError.self) { try Figure(width: 16000, height: 16000) }
        #expect(throws: PlotError.self) { try ax.setXLimits(3, 1) }
        #expect(throws: PlotError.self) { try ax.setYLimits(.nan, 1) }
        try ax.setXLimits(1, 3)
        #expect(ax.xLimits == 1...3)
        #expect(ax.seriesCount == 0, "failed calls must add nothing")
        // Colours with out-of-range or NaN components are clamped, so they can always be drawn.
        #expect(Color(red: .nan, green: 2, blue: -1, alpha: 0.5) == Color(red: 0, green: 1, blue: 0, alpha: 0.5))
        // NaN is named by index and value.
        do {
            try ax.scatter(x: [1, .nan], y: [1, 2])
            Issue.record("NaN accepted")
        } catch let e as PlotError {
            #expect(e.description.contains("scatter: x[1] is nan"), "\(e)")
        }
    }

    @Test func nonPositiveValuesOnALogAxisFailAtRender() throws {
        let fig = try Figure(width: 200, height: 150)
        try fig.line([1, 0, 3], LineOptions(label: "loss"))
        fig.axes.yScale = .log
        #expect(throws: PlotError.nonPositiveOnLogAxis(axis: "y", series: "line 'loss'", value: 0)) { try fig.render() }
        fig.axes.yScale = .linear
        _ = try fig.render()
    }

    @Test func allEmptyBarsOnALogAxisDrawNothing() throws {
        let fig = try Figure(width: 200, height: 150)
        try fig.axes.bar([0, 0, 0])
        fig.axes.yScale = .log
        _ = try TestImage.decodePNG(of: fig)
    }

    @Test func missingFontNamesTheDebianPackage() throws {
        let fig = try Figure(FigureOptions(width: 100, height: 100, fontPath: "/nonexistent/DejaVuSans.ttf"))
        try fig.line([1, 2])
        do {
            _ = try fig.render()
            Issue.record("rendered without a font")
        } catch let e as PlotError {
            #expect(e == .fontMissing("/nonexistent/DejaVuSans.ttf"))
            #expect(e.description.contains("fonts-dejavu-core"))
        }
    }

    @Test func unwritablePathIsAThrownError() throws {
        let dir = try TestPaths.scratchDirectory("unwritable-path").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/plain-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
        let fig = try Figure(width: 100, height: 100)
        try fig.line([1, 2])
        #expect(throws: PlotError.self) { try fig.save(file + "/x.png") }
        #expect(throws: PlotError.self) { try PNGCodec.decode([1, 2, 3, 4, 5, 6, 7, 8, 9]) }
    }

    @Test func tooManySubplotsForTheSizeIsAnError() throws {
        let fig = try Figure(width: 64, height: 64, rows: 4, cols: 4)
        for a in fig.subplots { try a.line([1, 2]); a.yLabel = "a long y label"; a.title = "title" }
        #expect(throws: PlotError.self) { try fig.render() }
    }
}
