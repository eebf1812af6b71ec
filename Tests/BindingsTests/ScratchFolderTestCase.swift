import Foundation
import XCTest
import TestFixtures

/// A test case whose every test runs in its own empty scratch folder (the current directory while it
/// runs), so that the runs/ and plots/ a script writes land there and vanish afterwards.
class ScratchFolderTestCase: XCTestCase {
    /// The scratch folder of the running test.
    var dir = ""
    private var previous = ""

    /// The start of the scratch folder's name, to tell the suites' folders apart.
    class var scratchPrefix: String { "gfn-test" }

    override func setUpWithError() throws {
        dir = try TestPaths.scratchDirectory(scratchName(Self.scratchPrefix)).path
        previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
    }

    override func tearDown() {
        _ = FileManager.default.changeCurrentDirectoryPath(previous)
        try? FileManager.default.removeItem(atPath: dir)
    }
}

extension XCTestCase {
    /// A folder name for the running test: `prefix` and the test's name, letters and digits only.
    func scratchName(_ prefix: String) -> String {
        prefix + "-" + String(name.filter { $0.isLetter || $0.isNumber })
    }
}
