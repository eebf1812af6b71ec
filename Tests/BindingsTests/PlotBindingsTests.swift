// Plots drawn from gfn scripts: the PNGs they write are decoded and checked (size, ink, a data
// point's pixel, identical bytes), every plotting function's help example runs, and bad arguments
// give script errors that name the argument.

import Foundation
import XCTest
import Plotting
import Scripting
@testable import Bindings
import TestFixtures

final class PlotBindingsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try TestPaths.scratchDirectory(scratchName("bindings")).path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func interpreter(_ out: CapturedOutput = CapturedOutput()) -> Interpreter {
        let interp = Interpreter(output: out)
        Bindings.install(into: interp)
        return interp
    }

    /// Runs a script; fails the test with the rendered error if it throws.
    @discardableResult
    func run(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> (Interpreter, String) {
        let out = CapturedOutput()
        let interp = interpreter(out)
        do { try interp.evaluate(source) } catch { XCTFail(error.render(color: false), file: file, line: line) }
        return (interp, out.text)
    }

    /// The message of the error a script raises, or nil if it succeeds.
    func errorMessage(_ source: String) -> String? {
        do { try interpreter().evaluate(source); return nil } catch { return error.message }
    }

    /// Pixels that are not (near) white.
    func ink(_ r: Raster) -> Int {
        var n = 0
        for y in 0..<r.height { for x in 0..<r.width where r[x, y].red + r[x, y].green + r[x, y].blue < 2.9 { n += 1 } }
        return n
    }

    func testLineFigureIsSavedAndTheLinePassesThroughItsDataPoint() throws {
        let path = dir + "/plots/loss.png"
        let (interp, out) = run("""
            fig = figure(title="Training")
            fig.line([4, 3, 2.5, 2.2, 2], x=[0, 1, 2, 3, 4], label="loss", color="C3", width=3)
            fig.xlabel = "step"
            fig.set(ylabel="loss", legend="upper right")
            print(fig.save("\(path)"))
            """)
        XCTAssertEqual(out, path + "\n")
        let raster = try PNGCodec.read(path: path)
        XCTAssertEqual(raster.width, 640)
        XCTAssertEqual(raster.height, 480)
        XCTAssertGreaterThan(ink(raster), 2000)
        guard case .native(let o)? = interp.global("fig"), let fig = o as? FigureObject else { return XCTFail("fig is not a Figure") }
        XCTAssertEqual(fig.figure.axes.xLabel, "step")
        XCTAssertEqual(fig.figure.axes.yLabel, "loss")
        XCTAssertEqual(fig.figure.axes.legend, .upperRight)
        // The pixel where (2, 2.5) lies is drawn in C3 (tab10 red, #d62728).
        let p = try fig.figure.pixelPosition(x: 2, y: 2.5)
        let c = raster[Int(p.x), Int(p.y)]
        let want = try Color(parsing: "C3")
        let diff = max(abs(c.red - want.red), abs(c.green - want.green), abs(c.blue - want.blue))
        XCTAssertLessThan(diff, 0.1, "pixel \(p) is \(c), want \(want) (max channel difference \(diff))")
    }

    func testOneLinersSubplotsAndScale() throws {
        let (_, out) = run("""
            p1 = plot.hist([1, 2, 2, 3, 3, 3], bins=3, density=true, title="h").save("\(dir)/h.png")
            fig = figure(rows=2, cols=2, scale=2)
            fig.axes(0, 0).line([1, 2, 3])
            ax = fig.axes(1, 1)
            ax.heatmap([[1, 2], [3, 4]], colormap="magma")
            ax.title = "heat"
            print(fig.width, fig.height, ax.title, fig.axes(1, 1) == ax)
            fig.save("\(dir)/grid.png")
            """)
        XCTAssertEqual(out, "1280 960 heat true\n")
        let h = try PNGCodec.read(path: dir + "/h.png")
        XCTAssertEqual([h.width, h.height], [640, 480])
        XCTAssertGreaterThan(ink(h), 2000)
        let grid = try PNGCodec.read(path: dir + "/grid.png")
        XCTAssertEqual([grid.width, grid.height], [1280, 960])
        // The top-right subplot was never drawn on: only its (empty) frame and ticks, little ink.
        var topRight = 0, bottomRight = 0
        for y in 0..<480 { for x in 640..<1280 where grid[x, y].red < 0.9 { topRight += 1 } }
        for y in 480..<960 { for x in 640..<1280 where grid[x, y].red < 0.9 { bottomRight += 1 } }
        XCTAssertGreaterThan(bottomRight, topRight * 5, "the heatmap subplot should hold far more ink")
    }

    func testIdenticalScriptsGiveIdenticalBytes() throws {
        let script = { (name: String) in "plot.scatter([1, 2, 3], [3, 1, 2], values=[0.1, 0.5, 0.9], title=\"s\").save(\"\(self.dir)/\(name).png\")" }
        run(script("a"))
        run(script("b"))
        let a = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.png"))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir + "/b.png"))
        XCTAssertEqual(a, b)
    }

    func testEveryPlotFunctionHasHelpAndARunningExample() throws {
        var functions = [PlotBindings.figureFunction] + Array(PlotBindings.figureMethods.values)
        functions += Array(PlotBindings.axesMethods.values) + Array(PlotBindings.plotFunctions.values)
        XCTAssertEqual(PlotBindings.figureMethods.count, PlotKind.all.count + 3)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let probe = interpreter()
        for f in functions.sorted(by: { $0.qualifiedName < $1.qualifiedName }) {
            let page = probe.help(for: f.qualifiedName)
            XCTAssertNotNil(page, "help(\"\(f.qualifiedName)\") finds nothing")
            XCTAssertTrue(page?.contains(f.signature.text) ?? false, "\(f.qualifiedName): the help page lacks the signature")
            XCTAssertFalse(f.help.summary.isEmpty, "\(f.qualifiedName) has no summary")
            let expected = f.help.example.split(separator: "\n").compactMap { line -> String? in
                guard let r = line.range(of: "# expect: ") else { return nil }
                return String(line[r.upperBound...])
            }
            XCTAssertFalse(expected.isEmpty, "\(f.qualifiedName): its example shows no expected output")
            let out = CapturedOutput()
            do { try interpreter(out).evaluate(f.help.example, file: "<example \(f.qualifiedName)>") } catch {
                XCTFail("example of \(f.qualifiedName):\n" + error.render(color: false)); continue
            }
            XCTAssertEqual(out.text.split(separator: "\n").map(String.init), expected, "example of \(f.qualifiedName)")
        }
        XCTAssertNotNil(probe.help(for: "plot"))
        // Every saved example is a real PNG with something drawn.
        let examples = try FileManager.default.contentsOfDirectory(atPath: dir + "/plots/examples")
        XCTAssertGreaterThanOrEqual(examples.count, PlotKind.all.count + 10)
        for name in examples {
            let r = try PNGCodec.read(path: dir + "/plots/examples/" + name)
            XCTAssertGreaterThan(ink(r), 1000, name)
        }
    }

    func testObjectsDescribeThemselvesForHelpAndCompletion() {
        let (interp, out) = run("fig = figure()\nax = fig.axes()\nprint(type(fig), type(ax))")
        XCTAssertEqual(out, "Figure Axes\n")
        guard let fig = interp.global("fig"), let ax = interp.global("ax") else { return XCTFail("globals missing") }
        let names = Set(interp.members(of: fig).map(\.name))
        for n in ["line", "hist", "heatmap", "save", "axes", "set", "xlabel", "ylim", "width"] { XCTAssertTrue(names.contains(n), n) }
        XCTAssertTrue(Set(interp.members(of: ax).map(\.name)).isSuperset(of: ["scatter", "errorbar", "yscale"]))
        XCTAssertTrue(interp.help(for: "fig")?.contains("errorbar(") ?? false)
        // Every property help lists can be read, and every property a script reads is listed.
        for object in [fig, ax] {
            guard case .native(let native) = object else { return XCTFail("\(object) is not native") }
            for member in interp.members(of: object) where member.kind == .property {
                XCTAssertNotNil(try native.property(member.name), "\(native.typeName).\(member.name) is listed but cannot be read")
            }
        }
        XCTAssertTrue(Set(interp.members(of: ax).map(\.name)).isSuperset(of: ["row", "col", "figure"]))
    }

    func testBadArgumentsGiveScriptErrorsNamingTheArgument() {
        let cases: [(String, [String])] = [
            ("figure().line([])", ["'y'", "empty"]),
            ("figure().line([1, nan, 2])", ["'y'", "element 1", "nan"]),
            ("figure().line([1, 2, 3], x=[1, 2])", ["x", "2", "3"]),
            ("figure().line(\"abc\")", ["'y'", "list of numbers expected, got string"]),
            ("figure().line([1, \"a\"])", ["'y'", "element 1 is string"]),
            ("figure().line([1, 2], color=\"blurple\")", ["'color'", "blurple"]),
            ("figure().line([1, 2], dash=\"~~\")", ["'dash'"]),
            ("figure().line([1, 2], smoothing=1.5)", ["smoothing"]),
            ("figure().line([1, 2], alpha=2)", ["'alpha'", "between 0 and 1"]),
            ("figure().line([1, 2], labl=\"x\")", ["unknown argument 'labl'", "label"]),
            ("figure().scatter([1, 2], [1])", ["x", "y"]),
            ("figure().hist([1, 2], bins=0)", ["'bins'", "≥ 1"]),
            ("figure().hist([1, 2], bins=\"sturges\")", ["'bins'", "sturges"]),
            ("figure().hist([1, 2], range=[3, 1])", ["range"]),
            ("figure().heatmap([[1, 2], [3]])", ["'matrix'", "row 1"]),
            ("figure().band([1, 2], [0.1, -1])", ["std"]),
            ("figure().errorbar([1, 2], [1, 2], yerr=[1])", ["y"]),
            ("figure().grouped_bar([[1, 2]], [\"a\"])", ["grouped_bar"]),
            ("figure(width=-5)", ["figure"]),
            ("figure(rows=0)", ["figure"]),
            ("figure(width=\"big\")", ["'width'"]),
            ("figure().axes(1, 0)", ["'row'", "outside"]),
            ("fig = figure()\nfig.yscale = \"logg\"", ["yscale", "logg"]),
            ("fig = figure()\nfig.ylim = [1]", ["ylim", "[low, high]"]),
            ("fig = figure()\nfig.width = 3", ["width", "fixed"]),
            ("fig = figure()\nfig.set(legend=\"top\")", ["legend", "top"]),
            ("fig = figure()\nfig.set(xticklabels=[\"a\"])", ["xticklabels", "xticks"]),
            ("fig = figure()\nfig.line([1, 0, 2])\nfig.yscale = \"log\"\nfig.save(\"\(dir)/log.png\")", ["Figure.save", "log", "0"]),
            ("figure().save(\"\")", ["'path'"]),
            ("figure().text(\"hi\", 1, 2, align=\"middle\")", ["'align'", "middle"]),
            ("figure().step([1, 2], where=\"after\")", ["'where'", "after"]),
            ("plot.line([1, 2], xscale=3)", ["xscale", "string expected"]),
        ]
        for (source, fragments) in cases {
            guard let message = errorMessage(source) else { XCTFail("no error from: \(source)"); continue }
            for f in fragments {
                XCTAssertTrue(message.contains(f), "error of `\(source)` lacks '\(f)': \(message)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/log.png"))
    }
}

final class PlotGalleryScriptTests: XCTestCase {
    /// scripts/plots_gallery.gfn runs through the language and writes one inked PNG per plot kind.
    func testGalleryScriptDrawsEveryKind() throws {
        let root = TestPaths.root
        let dir = try TestPaths.scratchDirectory("gallery-script").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = CapturedOutput()
        let interp = Interpreter(output: out)
        Bindings.install(into: interp)
        interp.overrides["out"] = dir
        do { try interp.evaluateFile(root.appendingPathComponent("scripts/plots_gallery.gfn").path) } catch {
            return XCTFail(error.render(color: false))
        }
        XCTAssertEqual(out.text, "16 figures written to \(dir)\n")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names.count, 16)
        for name in names {
            let r = try PNGCodec.read(path: dir + "/" + name)
            var ink = 0
            for y in stride(from: 0, to: r.height, by: 2) { for x in stride(from: 0, to: r.width, by: 2) where r[x, y].red < 0.8 { ink += 1 } }
            XCTAssertGreaterThan(ink, 1000, name)
        }
        let hiRes = try PNGCodec.read(path: dir + "/high_resolution.png")
        XCTAssertEqual([hiRes.width, hiRes.height], [1280, 960])
    }
}

final class FigureImageTests: XCTestCase {
    /// Figures adopt the REPL's ImageRenderable: their PNG bytes decode to the figure's size.
    func testFigureIsImageRenderable() throws {
        let interp = Interpreter(output: CapturedOutput())
        Bindings.install(into: interp)
        _ = try interp.evaluate("fig = figure(width=320, height=200)\nfig.bar([1, 2, 3])")
        guard case .native(let o)? = interp.global("fig"), let image = o as? any ImageRenderable else { return XCTFail("a Figure is not ImageRenderable") }
        let r = try PNGCodec.decode(try image.pngData())
        XCTAssertEqual([r.width, r.height], [320, 200])
    }
}
