// Every builtin has help and an example, every example runs and prints what it says, and
// docs/language.md carries the reference generated from the same registry.

import Foundation
import XCTest
@testable import Scripting
import TestFixtures

final class LibraryTests: XCTestCase {
    func testEveryBuiltinHasHelpAndARunningExample() {
        let lib = Library.standard
        var examples: [(String, String)] = lib.allEntries.map { ($0.qualifiedName, $0.help.example) }
        examples += lib.constants.map { ($0.0, $0.2.example) }
        XCTAssertGreaterThan(examples.count, 100)
        for (name, example) in examples {
            let f = lib.allEntries.first { $0.qualifiedName == name }
            if let f { XCTAssertFalse(f.help.summary.isEmpty, "\(name) has no summary") }
            XCTAssertTrue(example.contains("# expect:"), "\(name): its example shows no expected output")
            let c = ConformanceCase(source: example)
            let problems = c.run(source: example, path: "<example \(name)>")
            XCTAssertTrue(problems.isEmpty, "example of \(name):\n" + problems.joined(separator: "\n"))
        }
    }

    func testDocsCarryTheGeneratedReference() throws {
        let docs = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let marker = "## 8. Builtin reference\n"
        let expected = Library.standard.referenceMarkdown()
        guard let r = docs.range(of: marker) else { return XCTFail("docs/language.md has no '\(marker)' section") }
        let actual = String(docs[r.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        if actual != expected.trimmingCharacters(in: .whitespacesAndNewlines) {
            let out = TestPaths.root.appendingPathComponent(".build/language-reference.md")
            try? expected.write(to: out, atomically: true, encoding: .utf8)
            XCTFail("docs/language.md section 8 is out of date; the generated text is in \(out.path): put it after '\(marker)'")
        }
    }

    func testSuggestions() {
        XCTAssertEqual(Suggest.nearest("log_rewrd", ["log_reward", "print"]), "log_reward")
        XCTAssertEqual(Suggest.nearest("lenght", ["len", "length"]), "length")
        XCTAssertNil(Suggest.nearest("zzzz", ["print", "len"]))
    }
}
