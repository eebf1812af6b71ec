import Foundation
import XCTest
@testable import Plotting
import TestFixtures

final class RenderTests: XCTestCase {
    func testPngHasTheFigureSizeAndDefaults() throws {
        let fig = try Figure()
        try fig.line([1, 3, 2])
        let png = try fig.pngData()
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let img = try PNGCodec.decode(png)
        XCTAssertTrue(img.width == 640 && img.height == 480)
        let hi = try Figure(width: 200, height: 100, scale: 2)
        try hi.line([1, 2])
        let img2 = try TestImage.decodePNG(of: hi)
        XCTAssertTrue(img2.width == 400 && img2.height == 200)
        // The raw buffer for inline display is the same image the PNG holds.
        XCTAssertEqual(try hi.render(), img2)
    }

    func testLineRunsThroughItsDataPoints() throws {
        let fig = try Figure(width: 320, height: 240)
        let red = Color(rgb: 0xff0000)
        try fig.line([0, 10, 4], x: [0, 5, 10], LineOptions(color: red, width: 2))
        fig.axes.grid = false
        let img = try TestImage.decodePNG(of: fig)
        // Points on each segment (not only the vertices) must be drawn in the line's colour.
        for (x, y) in [(2.5, 5.0), (5, 10), (7.5, 7.0), (9, 5.2)] {
            let p = try fig.pixelPosition(x: x, y: y)
            let c = img[Int(p.x), Int(p.y)]
            XCTAssertTrue(c.red > 0.8 && c.green < 0.35 && c.blue < 0.35, "pixel (\(Int(p.x)), \(Int(p.y))) for data (\(x), \(y)) is \(c)")
        }
        // And a point well away from the line is background.
        let off = try fig.pixelPosition(x: 2.5, y: 0.5)
        XCTAssertTrue(TestImage.isBackground(img, Int(off.x), Int(off.y)))
    }

    func testScatterMarkersAndBarsLandWhereTheDataIs() throws {
        let fig = try Figure(width: 320, height: 240)
        try fig.scatter(x: [1, 2, 3], y: [3, 1, 2], ScatterOptions(color: Color(rgb: 0x00aa00), size: 8))
        let img = try TestImage.decodePNG(of: fig)
        for (x, y) in [(1.0, 3.0), (2, 1), (3, 2)] {
            let p = try fig.pixelPosition(x: x, y: y)
            let c = img[Int(p.x), Int(p.y)]
            XCTAssertTrue(c.green > 0.5 && c.red < 0.2, "marker at (\(x), \(y)) → \(c)")
        }
        let bars = try Figure(width: 320, height: 240)
        try bars.axes.bar([2, 4], categories: ["a", "b"], BarOptions(color: Color(rgb: 0x0000ff)))
        let b = try TestImage.decodePNG(of: bars)
        let inside = try bars.pixelPosition(x: 1, y: 2)
        let above = try bars.pixelPosition(x: 0, y: 3)
        XCTAssertTrue(b[Int(inside.x), Int(inside.y)].blue > 0.9 && b[Int(inside.x), Int(inside.y)].red < 0.1)
        XCTAssertTrue(TestImage.isBackground(b, Int(above.x), Int(above.y)) || b[Int(above.x), Int(above.y)].blue < 0.9)
        // Bars start at 0: the bottom of the plot area is y = 0 (a sticky edge, no margin below).
        let zero = try bars.pixelPosition(x: 0, y: 0)
        let area = try bars.plotArea()
        XCTAssertLessThan(abs(zero.y - area.y1), 0.01)
    }

    func testTextIsRenderedInsideItsLabelBox() throws {
        func image(title: String?, xLabel: String?) throws -> (Raster, (x0: Double, y0: Double, x1: Double, y1: Double)) {
            let fig = try Figure(width: 320, height: 240, title: nil)
            try fig.line([1, 2, 3])
            fig.axes.title = title
            fig.axes.xLabel = xLabel
            return (try TestImage.decodePNG(of: fig), try fig.plotArea())
        }
        let (with, box) = try image(title: "Loss curve", xLabel: "training step")
        let (without, box2) = try image(title: nil, xLabel: nil)
        let cx = Int((box.x0 + box.x1) / 2)
        // Title: centred above the plot area.
        let titleInk = TestImage.inkCount(with, x0: cx - 40, y0: 0, x1: cx + 40, y1: Int(box.y0) - 2)
        let noTitle = TestImage.inkCount(without, x0: cx - 40, y0: 0, x1: cx + 40, y1: Int(box2.y0) - 2)
        XCTAssertGreaterThan(titleInk, 60, "title pixels: \(titleInk)")
        XCTAssertEqual(noTitle, 0, "ink above an untitled plot: \(noTitle)")
        // The x label sits below the tick labels; its box holds many grey levels (anti-aliased).
        let lo = Int(box.y1) + 22
        let labelInk = TestImage.inkCount(with, x0: cx - 45, y0: lo, x1: cx + 45, y1: with.height)
        XCTAssertGreaterThan(labelInk, 60, "x label pixels: \(labelInk)")
        var levels = Set<UInt8>()
        for y in lo..<with.height { for x in (cx - 45)..<(cx + 45) { levels.insert(with.pixels[(y * with.width + x) * 4]) } }
        XCTAssertGreaterThan(levels.count, 20, "only \(levels.count) grey levels: text is not anti-aliased")
        // The tighter layout without labels gives the plot area more room.
        XCTAssertGreaterThan(box2.y1 - box2.y0, box.y1 - box.y0)
    }

    func testMultiLineTitlesStackTheirLines() throws {
        let one = try Figure(width: 320, height: 240)
        try one.line([1, 2])
        one.axes.title = "Loss"
        let two = try Figure(width: 320, height: 240)
        try two.line([1, 2])
        two.axes.title = "Loss\nlr = 0.001"
        let b1 = try one.plotArea(), b2 = try two.plotArea()
        // The second line pushes the plot area down by about one line (14 px at 12 pt, 100 dpi).
        XCTAssertGreaterThan(b2.y0 - b1.y0, 12, "plot top \(b1.y0) → \(b2.y0)")
        let img = try TestImage.decodePNG(of: two)
        let cx = Int((b2.x0 + b2.x1) / 2)
        let line2Top = Int(b2.y0) - 22
        XCTAssertGreaterThan(TestImage.inkCount(img, x0: cx - 40, y0: line2Top, x1: cx + 40, y1: Int(b2.y0) - 3), 40)
        XCTAssertGreaterThan(TestImage.inkCount(img, x0: cx - 40, y0: 0, x1: cx + 40, y1: line2Top), 20)
    }

    func testIdenticalInputGivesIdenticalBytes() throws {
        func make(_ last: Double) throws -> [UInt8] {
            let fig = try Figure(width: 240, height: 180, title: "same")
            try fig.line([1, 4, 2, last], LineOptions(label: "a", marker: .circle))
            try fig.hist([1, 2, 2, 3, 3, 3], HistogramOptions(label: "h"))
            return try fig.pngData()
        }
        let a = try make(5), b = try make(5), c = try make(5.5)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        // Files written twice are identical too: no timestamp chunk.
        let dir = try TestPaths.scratchDirectory("identical-files").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fig = try Figure(width: 240, height: 180)
        try fig.line([1, 2])
        try fig.save(dir + "/sub/a.png")
        try fig.save(dir + "/sub/b.png")
        let fa = FileManager.default.contents(atPath: dir + "/sub/a.png")
        XCTAssertTrue(fa != nil && fa == FileManager.default.contents(atPath: dir + "/sub/b.png"))
        let read = try PNGCodec.read(path: dir + "/sub/a.png")
        XCTAssertEqual(read.width, 240)
    }

    func testLinesAreAntiAliasedAndDashesHaveGaps() throws {
        let fig = try Figure(width: 320, height: 240)
        fig.axes.grid = false
        try fig.line([0, 1], x: [0, 1], LineOptions(color: .black, width: 1))
        try fig.line([0.3, 0.3], x: [0, 1], LineOptions(color: .black, width: 1.5, dash: .dashed))
        let img = try TestImage.decodePNG(of: fig)
        // Along the diagonal, pixels next to the line take intermediate greys.
        var levels = Set<UInt8>()
        for t in stride(from: 0.1, through: 0.9, by: 0.01) {
            let p = try fig.pixelPosition(x: t, y: t)
            for dx in -2...2 { levels.insert(img.pixels[(Int(p.y) * img.width + Int(p.x) + dx) * 4]) }
        }
        XCTAssertGreaterThan(levels.count, 20, "diagonal has \(levels.count) grey levels")
        // The dashed line alternates ink and gaps along its row.
        let a = try fig.pixelPosition(x: 0.05, y: 0.3), b = try fig.pixelPosition(x: 0.95, y: 0.3)
        let row = Int(a.y)
        var runs = 0
        var inked = false
        for x in Int(a.x)..<Int(b.x) {
            let ink = img[x, row].red < 0.5
            if ink != inked { runs += 1; inked = ink }
        }
        XCTAssertGreaterThanOrEqual(runs, 10, "dashed line has \(runs) ink/gap changes")
    }

    func testHeatmapCellsTakeColormapColours() throws {
        let fig = try Figure(width: 320, height: 240)
        try fig.axes.heatmap([[0, 1], [0.5, 0.25]])
        let img = try TestImage.decodePNG(of: fig)
        for (r, c, v) in [(0, 0, 0.0), (0, 1, 1.0), (1, 0, 0.5), (1, 1, 0.25)] {
            let p = try fig.pixelPosition(x: Double(c), y: Double(r))
            let want = Colormap.viridis.color(at: v)
            let got = img[Int(p.x), Int(p.y)]
            let d = max(abs(got.red - want.red), abs(got.green - want.green), abs(got.blue - want.blue))
            XCTAssertLessThan(d, 0.01, "cell (\(r), \(c)) is \(got), want \(want); max diff \(d)")
        }
        // Row 0 is at the top.
        XCTAssertLessThan(try fig.pixelPosition(x: 0, y: 0).y, try fig.pixelPosition(x: 0, y: 1).y)
        XCTAssertEqual(Colormap.viridis.color(at: 0).description, "#440154")
        XCTAssertEqual(Colormap.viridis.color(at: 1).description, "#fde725")
    }

    func testScatterColouredByValueUsesTheColormap() throws {
        let fig = try Figure(width: 320, height: 240)
        try fig.scatter(x: [0, 1, 2], y: [0, 1, 2], ScatterOptions(size: 10, values: [10, 20, 30]))
        let img = try TestImage.decodePNG(of: fig)
        for (i, t) in [(0, 0.0), (1, 0.5), (2, 1.0)] {
            let p = try fig.pixelPosition(x: Double(i), y: Double(i))
            let want = Colormap.viridis.color(at: t), got = img[Int(p.x), Int(p.y)]
            let d = max(abs(got.red - want.red), abs(got.green - want.green), abs(got.blue - want.blue))
            XCTAssertLessThan(d, 0.02, "point \(i): \(got) vs \(want), max diff \(d)")
        }
        // A colour bar right of the plot area: its top is the colormap's high end.
        let box = try fig.plotArea()
        let top = img[Int(box.x1) + 14, Int(box.y0) + 3]
        XCTAssertTrue(top.red > 0.8 && top.green > 0.8 && top.blue < 0.3, "colour bar top \(top)")
        XCTAssertThrowsError(try fig.scatter(x: [0, 1, 2], y: [0, 1, 2], ScatterOptions(values: [1]))) { XCTAssertEqual($0 as? PlotError, PlotError.lengthMismatch("scatter: values", 1, "scatter: x", 3)) }
    }

    func testExplicitTicksReplaceTheLocator() throws {
        let fig = try Figure(width: 320, height: 240)
        try fig.line([1, 2, 3, 4])
        try fig.axes.setXTicks([0, 3], labels: ["start", "end"])
        let text = try TextRenderer()
        let ctx = RenderContext(text: text, width: 320, height: 240, pixelsPerPoint: 100.0 / 72)
        let ranges = try fig.axes.resolveLimits()
        let frame = fig.axes.frame(box: Box(x0: 40, y0: 10, x1: 300, y1: 200), ranges: ranges, ctx: ctx)
        XCTAssertEqual(frame.xTicks.ticks.map(\.value), [0, 3])
        XCTAssertEqual(frame.xTicks.ticks.map { $0.label.first?.text ?? "" }, ["start", "end"])
        XCTAssertThrowsError(try fig.axes.setYTicks([1, 2], labels: ["a"])) { XCTAssertTrue($0 is PlotError, "\($0)") }
        _ = try fig.render()
    }

    func testLogAxisMapsDecadesEvenly() throws {
        let fig = try Figure(width: 320, height: 240)
        try fig.line([1, 10, 100, 1000])
        fig.axes.yScale = .log
        let p = try (0..<4).map { try fig.pixelPosition(x: Double($0), y: pow(10, Double($0))).y }
        XCTAssertLessThan(abs((p[0] - p[1]) - (p[2] - p[3])), 1e-6)
        _ = try fig.render()
    }

    func testLegendAvoidsTheData() throws {
        // Data fills the upper right; the legend must go elsewhere, and its label is drawn there.
        let fig = try Figure(width: 320, height: 240)
        fig.axes.grid = false
        try fig.scatter(x: [8, 9, 10, 8.5, 9.5, 0], y: [8, 9, 10, 9.5, 8.5, 0], ScatterOptions(label: "points", color: .black))
        let img = try TestImage.decodePNG(of: fig)
        let box = try fig.plotArea()
        let midX = Int((box.x0 + box.x1) / 2), midY = Int((box.y0 + box.y1) / 2)
        let upperLeft = TestImage.inkCount(img, x0: Int(box.x0) + 2, y0: Int(box.y0) + 2, x1: midX, y1: midY)
        XCTAssertGreaterThan(upperLeft, 100, "no legend in the upper left: \(upperLeft) ink pixels")
    }
}
