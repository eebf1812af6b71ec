// The gfn command as a user runs it: piped input, -e, check, run with settings and arguments,
// exit statuses, help, --version and notebook reports.

import Foundation
import Testing

@Suite("gfn command")
struct GFNCommandTests {
    @Test("piped input runs without prompts or escape codes")
    func pipedInput() throws {
        let r = try runGFN([], input: "print(1 + 1)\nfn f(x) {\n  x * 10\n}\nf(4)\nf(5);\n\"text\"\n")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "2\n40\n\"text\"\n")
        #expect(!r.stdout.contains("\u{1B}") && !r.stderr.contains("\u{1B}"))
        #expect(!r.stdout.contains("gfn>"))
    }

    @Test("an error in piped input does not end the session, but the status is 65")
    func pipedError() throws {
        let r = try runGFN([], input: "x = 1\nprint(y_undefined)\nprint(x + 1)\n")
        #expect(r.status == 65)
        #expect(r.stdout == "2\n")
        #expect(r.stderr.contains("unknown name 'y_undefined'"))
        #expect(!r.stderr.contains("\u{1B}"))
    }

    @Test("REPL commands work on piped input")
    func pipedCommands() throws {
        let dir = try makeTemporaryDirectory()
        let r = try runGFN([], input: "alpha = 3\nbeta = [alpha]\n:vars\n:save \(dir)/s.gfn\n:reset\n:vars\n:time 2 ** 10\n")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("alpha: int = 3\nbeta: list = [3]\n"))
        #expect(r.stdout.contains("(no variables yet)"))
        #expect(r.stdout.contains("1024\ntime: "))
        let saved = try String(contentsOfFile: dir + "/s.gfn", encoding: .utf8)
        #expect(saved.contains("# %% In [1]\nalpha = 3\n") && saved.contains("# %% In [2]\nbeta = [alpha]\n"))
        let rerun = try runGFN(["run", dir + "/s.gfn"])
        #expect(rerun.status == 0, "the saved session should run: \(rerun.stderr)")
    }

    @Test("-e runs code and prints a trailing value")
    func evalOption() throws {
        let r = try runGFN(["-e", "xs = [1, 2, 3]\nsum(xs) * 2"])
        #expect(r.status == 0)
        #expect(r.stdout == "12\n")
        let bad = try runGFN(["-e", "1 +"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("<-e>:1:"))
    }

    @Test("run: settings override params, words after -- become args, a bare path runs too")
    func runWithSettings() throws {
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
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "steps=50 lr=0.0003 name=tuned args=[\"a\", \"--b\"]\n")
        let bare = try runGFN([script, "steps=7"])
        #expect(bare.stdout == "steps=7 lr=0.0001 name=base args=[]\n")
        let unknown = try runGFN(["run", script, "stpes=5"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown setting 'stpes'") && unknown.stderr.contains("did you mean 'steps'?"))
        let malformed = try runGFN(["run", script, "steps"])
        #expect(malformed.status == 64)
        let wrongType = try runGFN(["run", script, "steps=fast"])
        #expect(wrongType.status == 65, "stderr: \(wrongType.stderr)")
    }

    @Test("exit statuses: missing input 66, script error 65, usage 64")
    func exitStatuses() throws {
        let dir = try makeTemporaryDirectory()
        #expect(try runGFN(["run", dir + "/absent.gfn"]).status == 66)
        #expect(try runGFN([dir + "/absent.gfn"]).status == 66)
        try "assert 1 == 2, \"broken\"\n".write(toFile: dir + "/fail.gfn", atomically: true, encoding: .utf8)
        let failing = try runGFN(["run", dir + "/fail.gfn"])
        #expect(failing.status == 65)
        #expect(failing.stderr.contains("assertion failed: broken"))
        #expect(try runGFN(["--no-such-option"]).status == 64)
        #expect(try runGFN(["check"]).status == 64)
        #expect(try runGFN(["run", dir + "/fail.gfn", "--report", dir + "/r.pdf"]).status == 64)
    }

    @Test("check reports every error without running")
    func check() throws {
        let dir = try makeTemporaryDirectory()
        try "print(\"ran\")\nx = undefined_one\ny = undefined_two + 1\n".write(toFile: dir + "/c.gfn", atomically: true, encoding: .utf8)
        let r = try runGFN(["check", dir + "/c.gfn"])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty, "check must not run the script")
        #expect(r.stderr.contains("c.gfn:2:5: error: unknown name 'undefined_one'"))
        #expect(r.stderr.contains("c.gfn:3:5: error: unknown name 'undefined_two'"))
        try "print(1)\n".write(toFile: dir + "/ok.gfn", atomically: true, encoding: .utf8)
        let ok = try runGFN(["check", dir + "/ok.gfn"])
        #expect(ok.status == 0)
        #expect(ok.stdout == "\(dir)/ok.gfn: ok\n")
    }

    @Test("help and --version")
    func helpAndVersion() throws {
        let len = try runGFN(["help", "len"])
        #expect(len.status == 0)
        #expect(len.stdout.hasPrefix("len(x)\n"))
        let all = try runGFN(["help"])
        #expect(all.stdout.contains("print(") && all.stdout.contains("sorted("))
        #expect(try runGFN(["help", "no_such_builtin"]).status == 64)
        let version = try runGFN(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("gfn "))
        #expect(version.stdout.contains("BLAS: OpenBLAS (") && version.stdout.contains(" threads, "))
        // OpenBLAS's idle workers sleep at once (CKernels' blas_threads.c) unless the user set a timeout.
        #expect(version.stdout.contains("idle workers sleep after 2^4 cycles)"))
    }

    @Test("--report writes Markdown and HTML with every cell's source and output")
    func reports() throws {
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
            #expect(r.status == 65, "a failing cell makes the run fail; stderr: \(r.stderr)")
            #expect(r.stdout.contains("squares [0, 1, 4, 9]"), "output is also shown while running")
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let escaped = { (s: String) in ext == "html" ? s.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;") : s }
            for piece in ["xs = list(range(n)).map(i => i * i)", "print(\"squares\", xs)", "print(\"total\", sum(xs))",
                          "error(\"this cell fails\")", "print(\"unreachable\")",
                          "squares [0, 1, 4, 9]", "total 14", "before the error", "this cell fails",
                          "Setup", "Totals <b>", "Broken cell", "Never reached"] {
                #expect(text.contains(escaped(piece)), "\(ext) report lacks \(piece):\n\(text)")
            }
            #expect(text.contains("nb.gfn:11:1"), "errors carry the script's own line numbers")
            #expect(text.contains("not run"))
        }
    }
}
