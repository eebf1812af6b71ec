// The REPL driven through a real pseudo-terminal (tmux): line editing, multi-line input, echo,
// history across sessions, completion, help, and Ctrl-C. Requires tmux (scripts/setup installs it).

import Foundation
import XCTest

final class TerminalREPLTests: XCTestCase {
    var directory = ""
    var environment: [String: String] = [:]

    override func setUpWithError() throws {
        try super.setUpWithError()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: TerminalSession.tmuxPath), "tmux is missing: run scripts/setup")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: GFNBinary.path), "no gfn binary at \(GFNBinary.path)")
        directory = try makeTemporaryDirectory()
        environment = ["GFN_HISTORY": directory + "/history", "HOME": directory, "NO_COLOR": "1", "LANG": "C.UTF-8"]
    }

    func testMultiLineInputValueEchoSemicolonAndUnderscore() throws {
        let t = try TerminalSession(environment: environment)
        try t.waitForPrompt(count: 1)
        try t.enter("fn square(v) {")
        try t.waitFor("...")
        try t.enter("v * v")
        try t.enter("}")
        try t.waitForPrompt(count: 2)
        try t.enter("square(7)")
        try t.waitUntil { $0.contains("gfn> square(7)\n49\n") }
        try t.enter("square(3);")
        try t.waitForPrompt(count: 4)
        try t.enter("_ + 1")
        let screen = try t.waitFor("50")
        XCTAssertFalse(screen.contains("\n9\n"), "`;` should suppress the echo:\n\(screen)")
    }

    func testHistoryIsRecalledAfterARestart() throws {
        do {
            let t = try TerminalSession(environment: environment)
            try t.waitForPrompt(count: 1)
            try t.enter("remembered = 6 * 7")
            try t.waitForPrompt(count: 2)
            try t.press("C-d")
            try t.waitFor("GFN-EXITED-0")
        }
        let history = try String(contentsOfFile: directory + "/history", encoding: .utf8)
        XCTAssertTrue(history.contains("remembered = 6 * 7"))
        let t = try TerminalSession(environment: environment)
        try t.waitForPrompt(count: 1)
        try t.press("Up")
        try t.waitFor("gfn> remembered = 6 * 7")
        try t.press("Enter")
        try t.waitForPrompt(count: 2)
        try t.enter("remembered")
        try t.waitUntil { $0.contains("gfn> remembered\n42\n") }
    }

    func testTabCompletesAGlobalAndAMethodAfterADot() throws {
        let t = try TerminalSession(environment: environment)
        try t.waitForPrompt(count: 1)
        try t.enter("learning_rate = 0.5")
        try t.waitForPrompt(count: 2)
        try t.type("learning_r")
        try t.press("Tab")
        try t.waitFor("gfn> learning_rate")
        try t.press("Enter")
        try t.waitUntil { $0.contains("gfn> learning_rate\n0.5\n") }
        try t.enter("xs = [3, 1]")
        try t.waitForPrompt(count: 4)
        try t.type("xs.app")
        try t.press("Tab")
        try t.waitFor("gfn> xs.append(")
        try t.type("2)")
        try t.press("Enter")
        try t.waitForPrompt(count: 5)
        try t.enter("xs")
        try t.waitFor("[3, 1, 2]")
    }

    func testQuestionMarkNamePrintsHelp() throws {
        let t = try TerminalSession(environment: environment)
        try t.waitForPrompt(count: 1)
        try t.enter("?len")
        try t.waitFor("The number of elements of a list")
        try t.enter("?xs_unknown_name")
        try t.waitFor("no help for 'xs_unknown_name'")
    }

    func testCtrlCStopsAnEndlessLoopAndKeepsTheVariablesCtrlCAtThePromptClearsTheLine() throws {
        let t = try TerminalSession(environment: environment)
        try t.waitForPrompt(count: 1)
        try t.enter("kept = 1234")
        try t.waitForPrompt(count: 2)
        try t.enter("n = 0")
        try t.waitForPrompt(count: 3)
        try t.enter("while true { n += 1 }")
        try t.waitFor("gfn> while true { n += 1 }")
        // The loop may not have started when the first ^C arrives (then the editor would read it as
        // a key later), so keep pressing until the interrupt shows.
        var interrupted = false
        for _ in 0..<10 where !interrupted {
            try t.press("C-c")
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline && !interrupted {
                interrupted = try t.screen().contains("error: interrupted")
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        let afterInterrupt = try t.screen()
        XCTAssertTrue(interrupted, "Ctrl-C did not interrupt the loop:\n\(afterInterrupt)")
        try t.waitUntil { $0.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "gfn>" }
        try t.enter("kept + 1")
        try t.waitUntil { $0.contains("gfn> kept + 1\n1235\n") }
        try t.enter("n > 0")
        try t.waitUntil { $0.contains("gfn> n > 0\ntrue\n") }
        try t.type("this line is dropped")
        try t.press("C-c")
        try t.waitFor("this line is dropped^C")
        try t.enter("kept")
        try t.waitUntil { $0.contains("gfn> kept\n1234\n") }
        try t.press("C-d")
        try t.waitFor("GFN-EXITED-0")
    }
}
