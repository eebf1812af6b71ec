// Where a script comes from and where a report goes, as a new user tries them: devices, standard
// input, paths that cannot be written; every failure is a sentence, never a Foundation dump.

import Foundation
import Testing

@Suite("gfn command inputs and outputs")
struct CommandLineInputTests {
    @Test("/dev/null is an empty script, not a permission problem")
    func devNull() throws {
        let r = try runGFN(["run", "/dev/null"])
        #expect(r.status == 0 && r.stderr.isEmpty, "stderr: \(r.stderr)")
    }

    @Test("gfn run - reads the script from standard input")
    func standardInput() throws {
        let r = try runGFN(["run", "-", "n=3"], input: "param n = 1\nprint(n * 2)\n")
        #expect(r.status == 0 && r.stdout == "6\n", "stderr: \(r.stderr)")
        let bare = try runGFN(["-"], input: "print(\"bare\")\n")
        #expect(bare.stdout == "bare\n", "stderr: \(bare.stderr)")
        let broken = try runGFN(["run", "-"], input: "x = \n")
        #expect(broken.status == 65 && broken.stderr.contains("<stdin>:"), "stderr: \(broken.stderr)")
    }

    @Test("a report path that cannot be written is explained in words")
    func unwritableReport() throws {
        let dir = try makeTemporaryDirectory()
        try "print(2)\n".write(toFile: dir + "/s.gfn", atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: dir + "/plain"))
        let r = try runGFN(["run", dir + "/s.gfn", "--report", dir + "/plain/r.md"])
        #expect(r.status == 73)
        #expect(r.stderr.hasPrefix("gfn: error: cannot write the report '\(dir)/plain/r.md': "), "stderr: \(r.stderr)")
        for raw in ["NSCocoaErrorDomain", "Error Domain", "UserInfo", "NSFilePath", "CocoaError"] {
            #expect(!r.stderr.contains(raw), "stderr: \(r.stderr)")
        }
    }
}
