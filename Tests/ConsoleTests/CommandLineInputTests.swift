// Where a script comes from and where a report goes, as a new user tries them: devices, standard
// input, paths that cannot be written; every failure is a sentence, never a Foundation dump.

import Foundation
import XCTest

final class CommandLineInputTests: XCTestCase {
    func testDevNullIsAnEmptyScriptNotAPermissionProblem() throws {
        let r = try runGFN(["run", "/dev/null"])
        XCTAssertTrue(r.status == 0 && r.stderr.isEmpty, "stderr: \(r.stderr)")
    }

    func testGfnRunReadsTheScriptFromStandardInput() throws {
        let r = try runGFN(["run", "-", "n=3"], input: "param n = 1\nprint(n * 2)\n")
        XCTAssertTrue(r.status == 0 && r.stdout == "6\n", "stderr: \(r.stderr)")
        let bare = try runGFN(["-"], input: "print(\"bare\")\n")
        XCTAssertEqual(bare.stdout, "bare\n", "stderr: \(bare.stderr)")
        let broken = try runGFN(["run", "-"], input: "x = \n")
        XCTAssertTrue(broken.status == 65 && broken.stderr.contains("<stdin>:"), "stderr: \(broken.stderr)")
    }

    func testAReportPathThatCannotBeWrittenIsExplainedInWords() throws {
        let dir = try makeTemporaryDirectory()
        try "print(2)\n".write(toFile: dir + "/s.gfn", atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: dir + "/plain"))
        let r = try runGFN(["run", dir + "/s.gfn", "--report", dir + "/plain/r.md"])
        XCTAssertEqual(r.status, 73)
        XCTAssertTrue(r.stderr.hasPrefix("gfn: error: cannot write the report '\(dir)/plain/r.md': "), "stderr: \(r.stderr)")
        for raw in ["NSCocoaErrorDomain", "Error Domain", "UserInfo", "NSFilePath", "CocoaError"] {
            XCTAssertFalse(r.stderr.contains(raw), "stderr: \(r.stderr)")
        }
    }
}
