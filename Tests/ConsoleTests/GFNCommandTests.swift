// The gfn command as a user runs it: piped input, -e, check, run with settings and arguments,
// exit statuses, help, --version and notebook reports.

import Foundation
import XCTest

final class GFNCommandTests: XCTestCase {
    func testPipedInputRunsWithoutPromptsOrEscapeCodes() throws {
        let r = try runGFN([], input: "print(1 + 1)\nfn f(x) {\n  x * 10\n}\nf(4)\nf(5);\n\"text\"\n")
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, "2\n40\n\"text\"\n")
        XCTAssertTrue(!r.stdout.contains("\u{1B}") && !r.stderr.contains("\u{1B}"))
        XCTAssertFalse(r.stdout.contains("gfn>"))
    }

    func testAnErrorInPipedInputDoesNotEndTheSessionButTheStatusIs65() throws {
        let r = try runGFN([], input: "x = 1\nprint(y_undefined)\nprint(x + 1)\n")
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stdout, "2\n")
        XCTAssertTrue(r.stderr.contains("unknown name 'y_undefined'"))
        XCTAssertFalse(r.stderr.contains("\u{1B}"))
    }

    func testREPLCommandsWorkOnPipedInput() throws {
        let dir = try makeTemporaryDirectory()
        let r = try runGFN([], input: "alpha = 3\nbeta = [alpha]\n:vars\n:save \(dir)/s.gfn\n:reset\n:vars\n:time 2 ** 10\n")
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("alpha: int = 3\nbeta: list = [3]\n"))
        XCTAssertTrue(r.stdout.contains("(no variables yet)"))
        XCTAssertTrue(r.stdout.contains("1024\ntime: "))
        let saved = try String(contentsOfFile: dir + "/s.gfn", encoding: .utf8)
        XCTAssertTrue(saved.contains("# %% In [1]\nalpha = 3\n") && saved.contains("# %% In [2]\nbeta = [alpha]\n"))
        let rerun = try runGFN(["run", dir + "/s.gfn"])
        XCTAssertEqual(rerun.status, 0, "the saved session should run: \(rerun.stderr)")
    }

    func testASavedSessionImportsALoadedFileWhosePathHasBracesAndQuotes() throws {
        let dir = try makeTemporaryDirectory() + "/odd {name} \"q\""
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "gamma = 5\n".write(toFile: dir + "/lib.gfn", atomically: true, encoding: .utf8)
        let r = try runGFN([], input: ":load \(dir)/lib.gfn\nprint(gamma + 1)\n:save \(dir)/s.gfn\n")
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains("6\n"))
        let rerun = try runGFN(["run", dir + "/s.gfn"])
        XCTAssertEqual(rerun.status, 0, "the saved session should import the file by its exact path: \(rerun.stderr)")
        XCTAssertEqual(rerun.stdout, "6\n")
    }

    func testERunsCodeAndPrintsATrailingValue() throws {
        let r = try runGFN(["-e", "xs = [1, 2, 3]\nsum(xs) * 2"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "12\n")
        let bad = try runGFN(["-e", "1 +"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("<-e>:1:"))
    }

    func testRunSettingsOverrideParamsWordsAfterBecomeArgsABarePathRunsToo() throws {
        let dir = try makeTemporaryDirectory()
        let script = dir + "/train.gfn"
        try """
        ## Steps to take.
        param steps = 200
        param lr = 1e-4
        param name = "base"
        print("steps={steps} lr={lr} name={name} args={args}")
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let r = try runGFN(["run", script, "steps=50", "lr=3e-4", "name=tuned", "--", "a", "--b"])
        XCTAssertEqual(r.status, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, "steps=50 lr=0.0003 name=tuned args=[\"a\", \"--b\"]\n")
        let bare = try runGFN([script, "steps=7"])
        XCTAssertEqual(bare.stdout, "steps=7 lr=0.0001 name=base args=[]\n")
        let unknown = try runGFN(["run", script, "stpes=5"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown setting 'stpes'") && unknown.stderr.contains("did you mean 'steps'?"))
        let malformed = try runGFN(["run", script, "steps"])
        XCTAssertEqual(malformed.status, 64)
        let wrongType = try runGFN(["run", script, "steps=fast"])
        XCTAssertEqual(wrongType.status, 65, "stderr: \(wrongType.stderr)")
    }

    func testExitStatusesMissingInput66ScriptError65Usage64() throws {
        let dir = try makeTemporaryDirectory()
        XCTAssertEqual(try runGFN(["run", dir + "/absent.gfn"]).status, 66)
        XCTAssertEqual(try runGFN([dir + "/absent.gfn"]).status, 66)
        try "assert 1 == 2, \"broken\"\n".write(toFile: dir + "/fail.gfn", atomically: true, encoding: .utf8)
        let failing = try runGFN(["run", dir + "/fail.gfn"])
        XCTAssertEqual(failing.status, 65)
        XCTAssertTrue(failing.stderr.contains("assertion failed: broken"))
        XCTAssertEqual(try runGFN(["--no-such-option"]).status, 64)
        XCTAssertEqual(try runGFN(["check"]).status, 64)
        XCTAssertEqual(try runGFN(["run", dir + "/fail.gfn", "--report", dir + "/r.pdf"]).status, 64)
    }

    func testCheckReportsEveryErrorWithoutRunning() throws {
        let dir = try makeTemporaryDirectory()
        try "print(\"ran\")\nx = undefined_one\ny = undefined_two + 1\n".write(toFile: dir + "/c.gfn", atomically: true, encoding: .utf8)
        let r = try runGFN(["check", dir + "/c.gfn"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stdout.isEmpty, "check must not run the script")
        XCTAssertTrue(r.stderr.contains("c.gfn:2:5: error: unknown name 'undefined_one'"))
        XCTAssertTrue(r.stderr.contains("c.gfn:3:5: error: unknown name 'undefined_two'"))
        try "print(1)\n".write(toFile: dir + "/ok.gfn", atomically: true, encoding: .utf8)
        let ok = try runGFN(["check", dir + "/ok.gfn"])
        XCTAssertEqual(ok.status, 0)
        XCTAssertEqual(ok.stdout, "\(dir)/ok.gfn: ok\n")
    }

    func testHelpAndVersion() throws {
        let len = try runGFN(["help", "len"])
        XCTAssertEqual(len.status, 0)
        XCTAssertTrue(len.stdout.hasPrefix("len(x)\n"))
        let all = try runGFN(["help"])
        XCTAssertTrue(all.stdout.contains("print(") && all.stdout.contains("sorted("))
        XCTAssertEqual(try runGFN(["help", "no_such_builtin"]).status, 64)
        let version = try runGFN(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.hasPrefix("gfn "))
        XCTAssertTrue(version.stdout.contains("BLAS: OpenBLAS (") && version.stdout.contains(" threads, "))
        // OpenBLAS's idle workers sleep at once (CKernels' blas_threads.c) unless the user set a timeout.
        XCTAssertTrue(version.stdout.contains("idle workers sleep after 2^4 cycles)"))
    }

    func testReportWritesMarkdownAndHTMLWithEveryCellsSourceAndOutput() throws {
        let dir = try makeTemporaryDirectory()
        let script = dir + "/nb.gfn"
        try """
        # %% Setup
        param n = 3
        xs = list(range(n)).map(i => i * i)
        print("squares", xs)

        # %% Totals <b>
        print("total", sum(xs))

        # %% Broken cell
        print("before the error")
        error("this cell fails")

        # %% Never reached
        print("unreachable")
        """.write(toFile: script, atomically: true, encoding: .utf8)
        for ext in ["md", "html"] {
            let out = dir + "/report." + ext
            let r = try runGFN(["run", script, "n=4", "--report", out])
            XCTAssertEqual(r.status, 65, "a failing cell makes the run fail; stderr: \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("squares [0, 1, 4, 9]"), "output is also shown while running")
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let escaped = { (s: String) in ext == "html" ? s.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;") : s }
            for piece in ["xs = list(range(n)).map(i => i * i)", "print(\"squares\", xs)", "print(\"total\", sum(xs))",
                          "error(\"this cell fails\")", "print(\"unreachable\")",
                          "squares [0, 1, 4, 9]", "total 14", "before the error", "this cell fails",
                          "Setup", "Totals <b>", "Broken cell", "Never reached"] {
                XCTAssertTrue(text.contains(escaped(piece)), "\(ext) report lacks \(piece):\n\(text)")
            }
            XCTAssertTrue(text.contains("nb.gfn:11:1"), "errors carry the script's own line numbers")
            XCTAssertTrue(text.contains("not run"))
        }
    }
}
