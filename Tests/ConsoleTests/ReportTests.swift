// Notebook reports of scripts that draw figures: images reach the report through the
// ImageRenderable hook (embedded in HTML, written beside Markdown), output is captured per cell.

import Foundation
import Plotting
import Scripting
import XCTest
@testable import Console

/// A figure object as the plot bindings will provide one: a real Plotting figure, rendered to PNG.
final class TestFigure: ImageRenderable {
    let figure: Figure
    init() throws {
        figure = try Figure(width: 120, height: 80)
        try figure.axes.line([0, 1, 4], x: [0, 1, 2])
    }
    var typeName: String { "Figure" }
    func pngData() throws -> [UInt8] { try PNGCodec.encode(try figure.render()) }
}

final class ReportTests: XCTestCase {
    func interpreterWithFigures() -> Interpreter {
        let interpreter = Interpreter(output: CapturedOutput())
        interpreter.register(NativeFunction("draw(path=nil)", summary: "Draws a test figure (saved when path is given).") { args in
            let figure = try TestFigure()
            let path = try args.optionalString("path")
            if let path { try Data(try figure.pngData()).write(to: URL(fileURLWithPath: path)) }
            try args.interpreter.display(figure, savedAt: path)
            return .null
        })
        return interpreter
    }

    func testCellsCaptureOutputFiguresAndErrors() throws {
        let dir = try makeTemporaryDirectory()
        let source = """
        print("preamble")
        # %% First plot
        draw()
        print("drawn")
        # %% Saved plot
        draw("\(dir)/saved.png")
        # %% Fails
        x = [1][5]
        """
        let cells = NotebookRun(interpreter: interpreterWithFigures(), echo: nil).run(source: source, path: "fig.gfn", overrides: [:])
        XCTAssertEqual(cells.count, 4)
        XCTAssertTrue(cells[0].output == "preamble\n" && cells[0].title.isEmpty)
        XCTAssertTrue(cells[1].title == "First plot" && cells[1].output == "drawn\n" && cells[1].images.count == 1)
        XCTAssertTrue(cells[1].images[0].png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        XCTAssertEqual(cells[2].images.first?.savedPath, "\(dir)/saved.png")
        XCTAssertTrue(cells[3].error?.contains("fig.gfn:8:") == true && cells[3].error?.contains("out of range") == true)

        let document = ReportDocument(scriptPath: "fig.gfn", commandLine: "gfn run fig.gfn", cells: cells)
        try document.write(to: dir + "/out.html")
        let html = try String(contentsOfFile: dir + "/out.html", encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,iVBORw0KGgo").count, 3, "both figures embedded")
        XCTAssertTrue(html.contains("First plot") && html.contains("drawn") && html.contains("x = [1][5]"))

        try document.write(to: dir + "/out.md")
        let md = try String(contentsOfFile: dir + "/out.md", encoding: .utf8)
        XCTAssertTrue(md.contains("](out_files/cell2-1.png)"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out_files/cell2-1.png"))
        XCTAssertTrue(md.contains("](saved.png)"), "a saved figure is linked where the script saved it:\n\(md)")
        XCTAssertTrue(md.contains("```gfn\ndraw()\nprint(\"drawn\")\n```"))
        XCTAssertTrue(md.contains("**Error:**"))
    }

    func testOverridesApplyToTheCellThatDeclaresTheParam() {
        let source = "# %% a\nprint(1)\n# %% b\nparam k = 1\nprint(k)\n"
        let cells = NotebookRun(interpreter: Interpreter(output: CapturedOutput()), echo: nil).run(source: source, path: "p.gfn", overrides: ["k": "5"])
        XCTAssertEqual(cells.map(\.output), ["1\n", "5\n"])
        XCTAssertTrue(cells.allSatisfy { $0.error == nil })
    }

    func testProseCellsAreMarkdownRenderedInHTMLAndPassedThroughInMarkdown() throws {
        let dir = try makeTemporaryDirectory()
        let source = """
        # %% [markdown] Why sample?
        # A **GFlowNet** samples *in proportion* to R, as `gflownet(...)` does; $P_F(s' | s)$ is
        # the forward policy and snake_case_names stay plain.
        #
        # - first point
        # - second point with `code`
        #
        # 1. one
        # 2. two <b>
        # %% Code
        print("ran")
        """
        let cells = NotebookRun(interpreter: Interpreter(output: CapturedOutput()), echo: nil).run(source: source, path: "p.gfn", overrides: [:])
        XCTAssertEqual(cells.count, 2)
        XCTAssertTrue(cells[0].isProse && cells[0].title == "Why sample?" && cells[0].output.isEmpty)
        XCTAssertTrue(!cells[1].isProse && cells[1].output == "ran\n")

        let document = ReportDocument(scriptPath: "p.gfn", commandLine: "gfn run p.gfn", cells: cells)
        let html = document.html()
        XCTAssertTrue(html.contains("<h2>Why sample?</h2>"))
        XCTAssertTrue(html.contains("<p>A <strong>GFlowNet</strong> samples <em>in proportion</em> to R, as <code>gflownet(...)</code> does; "
            + "$P_F(s' | s)$ is\nthe forward policy and snake_case_names stay plain.</p>"), "\(html)")
        XCTAssertTrue(html.contains("<ul>\n<li>first point</li>\n<li>second point with <code>code</code></li>\n</ul>"))
        XCTAssertTrue(html.contains("<ol>\n<li>one</li>\n<li>two &lt;b&gt;</li>\n</ol>"), "raw HTML in prose is escaped")
        XCTAssertFalse(html.contains("# A **GFlowNet**"), "the comment source of a prose cell is not shown")

        try document.write(to: dir + "/out.md")
        let md = try String(contentsOfFile: dir + "/out.md", encoding: .utf8)
        XCTAssertTrue(md.contains("## Why sample?\n\nA **GFlowNet** samples *in proportion* to R, as `gflownet(...)` does; $P_F(s' | s)$ is\n"), "\(md)")
        XCTAssertTrue(md.contains("\n- first point\n- second point with `code`\n\n1. one\n2. two <b>\n"))
        XCTAssertTrue(md.contains("## 1. Code"), "code cells are numbered without the prose cells")
        XCTAssertTrue(md.contains("1 cell, "), "the summary counts code cells")
    }

    func testAFigureThatEndsACellIsShownUnlessASemicolonHidesIt() throws {
        let interpreter = Interpreter(output: CapturedOutput())
        interpreter.register(NativeFunction("make()", summary: "Returns a test figure.") { _ in .native(try TestFigure()) })
        let source = "# %% shown\nf = make()\nf\n# %% hidden\nf;\n# %% not a figure\n1 + 1\n"
        let cells = NotebookRun(interpreter: interpreter, echo: nil).run(source: source, path: "f.gfn", overrides: [:])
        XCTAssertEqual(cells.map(\.images.count), [1, 0, 0])
        XCTAssertTrue(cells.allSatisfy { $0.error == nil && $0.output.isEmpty })
    }
}
