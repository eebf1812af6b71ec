// An HTML report as a student's browser shows it: headless Chromium (Debian's `chromium`, installed by
// scripts/setup) loads a report with prose, figures wider than the page and long output lines, and a
// probe script added to a copy of it reports what the browser laid out: every figure decoded
// (natural width > 0) and nothing wider than the window.

import Foundation
import Plotting
import Scripting
import XCTest
@testable import Console

/// A figure of a given size, drawn by Plotting.
final class SizedFigure: ImageRenderable {
    let figure: Figure
    init(width: Int, height: Int) throws {
        figure = try Figure(width: width, height: height)
        try figure.axes.line([0, 1, 4, 9], x: [0, 1, 2, 3])
    }
    var typeName: String { "Figure" }
    func pngData() throws -> [UInt8] { try PNGCodec.encode(try figure.render()) }
}

/// The Chromium binary on PATH, if any.
func chromiumPath() -> String? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    for name in ["chromium", "chromium-browser"] {
        for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
    }
    return nil
}

final class ReportBrowserTests: XCTestCase {
    /// Appended to a copy of the report: after load, writes what the layout shows into the page.
    static let probe = """
    <script>
    window.addEventListener('load', () => {
      const width = document.documentElement.clientWidth;
      const overflowing = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 0.5 && !e.closest('pre'))
        .map(e => e.tagName + (e.id ? '#' + e.id : ''));
      const out = document.createElement('pre');
      out.id = 'gfn-probe';
      out.textContent = JSON.stringify({images: [...document.images].map(i => i.naturalWidth), width,
        scrollWidth: document.documentElement.scrollWidth, overflowing});
      document.body.appendChild(out);
    });
    </script>
    """

    /// scripts/setup installs Debian's chromium, so its absence is a failure, not a reason to skip.
    func testEveryFigureDecodesAndNothingOverflowsThePage() throws {
        guard chromiumPath() != nil else {
            XCTFail("no chromium on PATH: run scripts/setup (it installs Debian's chromium)")
            return
        }
        let dir = try makeTemporaryDirectory()
        let interpreter = Interpreter(output: CapturedOutput())
        interpreter.register(NativeFunction("draw(width, height)", summary: "Shows a test figure of this size.") { args in
            try args.interpreter.display(try SizedFigure(width: try args.int("width"), height: try args.int("height")), savedAt: nil)
            return .null
        })
        let source = """
        # %% [markdown] Prose
        # A paragraph with **strong** text, `a_very_long_identifier_that_does_not_break_anywhere_at_all_in_this_paragraph_of_prose` and $P_F(s' | s)$.
        #
        # - a list item
        # %% A figure wider than the page, and a small one
        draw(1800, 500)
        draw(200, 150)
        # %% A long line of output
        print("x" * 400)
        """
        let cells = NotebookRun(interpreter: interpreter, echo: nil).run(source: source, path: "wide.gfn", overrides: [:])
        XCTAssertTrue(cells.allSatisfy { $0.error == nil })
        try ReportDocument(scriptPath: "wide.gfn", commandLine: "gfn run wide.gfn", cells: cells).write(to: dir + "/report.html")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        let probed = dir + "/probed.html"
        try Data(html.replacingOccurrences(of: "</body>", with: Self.probe + "\n</body>").utf8).write(to: URL(fileURLWithPath: probed))

        let dom = try runChromium(chromiumPath()!, url: URL(fileURLWithPath: probed).absoluteString)
        guard let start = dom.range(of: "<pre id=\"gfn-probe\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            XCTFail("the probe did not run; Chromium's DOM:\n\(dom.prefix(2000))")
            return
        }
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"")
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let images = report["images"] as? [Int] ?? []
        XCTAssertTrue(images.count == 2 && images.allSatisfy { $0 > 0 }, "every figure decoded: \(report)")
        let width = report["width"] as? Int ?? 0, scrollWidth = report["scrollWidth"] as? Int ?? .max
        XCTAssertTrue(width > 700 && scrollWidth <= width, "the page does not scroll sideways (an 800-pixel window less its scroll bar): \(report)")
        XCTAssertTrue((report["overflowing"] as? [String] ?? ["?"]).isEmpty, "elements wider than the window: \(report)")
    }

    /// The page's DOM after load, from headless Chromium in an 800-pixel-wide window.
    func runChromium(_ path: String, url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=800,1000",
                             "--virtual-time-budget=5000", "--dump-dom", url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
