// Notebook reports of scripts that draw figures: images reach the report through the
// ImageRenderable hook (embedded in HTML, written beside Markdown), output is captured per cell.

import Foundation
import Plotting
import Scripting
import Testing
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

@Suite("Notebook reports")
struct ReportTests {
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

    @Test func cellsCaptureOutputFiguresAndErrors() throws {
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
        #expect(cells.count == 4)
        #expect(cells[0].output == "preamble\n" && cells[0].title.isEmpty)
        #expect(cells[1].title == "First plot" && cells[1].output == "drawn\n" && cells[1].images.count == 1)
        #expect(cells[1].images[0].png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(cells[2].images.first?.savedPath == "\(dir)/saved.png")
        #expect(cells[3].error?.contains("fig.gfn:8:") == true && cells[3].error?.contains("out of range") == true)

        let document = ReportDocument(scriptPath: "fig.gfn", commandLine: "gfn run fig.gfn", cells: cells)
        try document.write(to: dir + "/out.html")
        let html = try String(contentsOfFile: dir + "/out.html", encoding: .utf8)
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,iVBORw0KGgo").count == 3, "both figures embedded")
        #expect(html.contains("First plot") && html.contains("drawn") && html.contains("x = [1][5]"))

        try document.write(to: dir + "/out.md")
        let md = try String(contentsOfFile: dir + "/out.md", encoding: .utf8)
        #expect(md.contains("](out_files/cell2-1.png)"))
        #expect(FileManager.default.fileExists(atPath: dir + "/out_files/cell2-1.png"))
        #expect(md.contains("](saved.png)"), "a saved figure is linked where the script saved it:\n\(md)")
        #expect(md.contains("```gfn\ndraw()\nprint(\"drawn\")\n```"))
        #expect(md.contains("**Error:**"))
    }

    @Test func overridesApplyToTheCellThatDeclaresTheParam() {
        let source = "# %% a\nprint(1)\n# %% b\nparam k = 1\nprint(k)\n"
        let cells = NotebookRun(interpreter: Interpreter(output: CapturedOutput()), echo: nil).run(source: source, path: "p.gfn", overrides: ["k": "5"])
        #expect(cells.map(\.output) == ["1\n", "5\n"])
        #expect(cells.allSatisfy { $0.error == nil })
    }
}
