// History file, progress bar text, inline-image escape sequences, `;` detection and help lookup.

import Foundation
import Scripting
import XCTest
@testable import Console

final class SupportTests: XCTestCase {
    func testHistoryIsDeduplicatedAndEscaped() throws {
        let dir = try makeTemporaryDirectory()
        let file = HistoryFile(path: dir + "/sub/history", limit: 3)
        for entry in ["a = 1", "b = \"x\\ny\"", "a = 1", "line\nbreak", "c"] { try file.append(entry) }
        XCTAssertEqual(file.load(), ["a = 1", "line\nbreak", "c"])
        // Loading compacted the file.
        XCTAssertEqual(HistoryFile(path: dir + "/sub/history", limit: 10).load(), ["a = 1", "line\nbreak", "c"])
        XCTAssertEqual(HistoryFile.defaultPath(environment: ["GFN_HISTORY": "/x/h", "XDG_STATE_HOME": "/s"]), "/x/h")
        XCTAssertEqual(HistoryFile.defaultPath(environment: ["XDG_STATE_HOME": "/s", "HOME": "/home/u"]), "/s/gfn/history")
        XCTAssertEqual(HistoryFile.defaultPath(environment: ["HOME": "/home/u"]), "/home/u/.local/state/gfn/history")
    }

    func testProgressLine() {
        var s = ProgressState(id: 1, title: "training", done: 50, total: 200, metricName: "loss", metricValue: 0.41234,
                              elapsed: 10, finished: false)
        XCTAssertEqual(ProgressBar.line(s, width: 200), "training  [█████░░░░░░░░░░░░░░░]  50/200  5.0/s  ETA 0:30  loss 0.4123")
        s.done = 200
        s.finished = true
        s.elapsed = 3725
        XCTAssertTrue(ProgressBar.line(s, width: 200).contains("in 1:02:05"))
        let unknown = ProgressState(id: 2, title: "sampling", done: 7, total: nil, metricName: nil, metricValue: nil, elapsed: 2, finished: false)
        XCTAssertEqual(ProgressBar.line(unknown, width: 200), "sampling  7  3.5/s")
        var bar = ProgressBar()
        XCTAssertTrue(bar.render(unknown).hasPrefix("\r\u{1B}[2K"))
        XCTAssertTrue(bar.render(unknown).isEmpty, "redraws are throttled")
    }

    func testProgressReachesTheSinkAndChecksInterrupts() throws {
        final class Recorder: OutputSink, ProgressSink {
            var states: [ProgressState] = []
            func write(_ text: String) {}
            func progress(_ state: ProgressState) { states.append(state) }
        }
        let recorder = Recorder()
        let interpreter = Interpreter(output: recorder)
        let reporter = ProgressReporter(interpreter, title: "eval", total: 3)
        try reporter.step(metric: "reward", value: 1.5)
        interpreter.interrupt.request()
        XCTAssertThrowsError(try reporter.step())
        reporter.finish()
        XCTAssertEqual(recorder.states.map(\.done), [0, 1, 2, 2])
        XCTAssertEqual(recorder.states.last?.finished, true)
        XCTAssertTrue(recorder.states[1].metricName == "reward" && recorder.states[1].metricValue == 1.5)
    }

    func testInlineImageProtocols() {
        XCTAssertEqual(InlineImage.detect(["TERM": "xterm-kitty"]), .kitty)
        XCTAssertEqual(InlineImage.detect(["TERM_PROGRAM": "iTerm.app"]), .iterm2)
        XCTAssertNil(InlineImage.detect(["TERM": "xterm-kitty", "TMUX": "/tmp/x"]))
        XCTAssertNil(InlineImage.detect(["TERM": "xterm-256color"]))
        XCTAssertEqual(InlineImage.detect(["TERM": "xterm", "GFN_IMAGES": "iterm2"]), .iterm2)
        let png = [UInt8](repeating: 7, count: 5000)
        let kitty = InlineImage.sequence(for: png, using: .kitty)
        XCTAssertTrue(kitty.hasPrefix("\u{1B}_Ga=T,f=100,m=1;"))
        XCTAssertEqual(kitty.components(separatedBy: "\u{1B}_G").count, 3, "5000 bytes → 6668 base64 chars → two chunks")
        XCTAssertTrue(kitty.contains("\u{1B}_Gm=0;"))
        let iterm = InlineImage.sequence(for: [1, 2, 3], using: .iterm2, name: "f.png")
        XCTAssertEqual(iterm, "\u{1B}]1337;File=name=Zi5wbmc=;size=3;inline=1;preserveAspectRatio=1:AQID\u{07}\n")
    }

    func testSemicolonSuppression() {
        XCTAssertTrue(REPL.endsWithSemicolon("f(1);"))
        XCTAssertTrue(REPL.endsWithSemicolon("f(1);   # note"))
        XCTAssertFalse(REPL.endsWithSemicolon("f(\";\")"))
        XCTAssertFalse(REPL.endsWithSemicolon("x # ;"))
    }

    func testHelpForValuesMembersAndUserFunctions() throws {
        let interpreter = Interpreter(output: CapturedOutput())
        try interpreter.evaluate("xs = [1]\n## Doubles a number.\nfn double(x) { x * 2 }")
        let terminal = Terminal(stdinIsTTY: false, stdoutIsTTY: false, stderrIsTTY: false, colorErrors: false, imageProtocol: nil)
        let repl = REPL(interpreter: interpreter, terminal: terminal, output: TerminalOutput(terminal: terminal, quiet: true), historyPath: nil, banner: "")
        XCTAssertEqual(repl.helpText("xs.append")?.hasPrefix("list.append(x)"), true)
        XCTAssertEqual(repl.helpText("double")?.contains("Doubles a number."), true)
        XCTAssertNil(repl.helpText("nonexistent"))
        XCTAssertEqual(Suggest.nearest("lenn", ["len", "list"]), "len")
    }
}
