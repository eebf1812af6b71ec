// Very long lines and deep nesting are parsed in time linear in their length. When every token's
// column was counted from the start of its line, a 16,000-term line took 2.3 s (release build)
// and 100,000 `[` had not finished after 400 s (debug build); the cases below would take tens of
// seconds that way. Speed itself is measured by benchmarks; these check results on inputs of that
// shape, including freeing the deep tree a long `1 + 1 + …` line makes (on the caller's thread
// for the REPL).

import XCTest
@testable import Scripting

final class LongInputTests: XCTestCase {
    func testAOneLineListOf30000Numbers() throws {
        let source = "xs = [" + (0..<30_000).map(String.init).joined(separator: ", ") + "]\nlen(xs) + xs[29999]"
        let v = try Interpreter(output: CapturedOutput()).evaluate(source)
        XCTAssertEqual(v.intValue, 30_000 + 29_999)
    }

    func testASumOf30000TermsOnOneLine() throws {
        let source = "x = " + Array(repeating: "1", count: 30_000).joined(separator: " + ") + "\nx"
        XCTAssertEqual(try Interpreter(output: CapturedOutput()).evaluate(source).intValue, 30_000)
    }

    func test100000OpenBracketsAreNestedTooDeeply() {
        let source = "x = " + String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try Interpreter(output: CapturedOutput()).evaluate(source)) { e in
            XCTAssertTrue("\(e)".contains("nested too deeply"), "\(e)")
        }
    }

    /// A chain as long as 2,000,000 terms makes a tree too deep to compile or free safely: it is
    /// an error at the first operator past the limit, not a crash.
    func testAnOverlongChainIsAnError() {
        let source = "x = " + Array(repeating: "1", count: Parser.maxChain + 2).joined(separator: " + ")
        XCTAssertThrowsError(try Interpreter(output: CapturedOutput()).evaluate(source)) { e in
            XCTAssertTrue("\(e)".contains("expression too long (more than 100000 operators in a row)"), "\(e)")
        }
        XCTAssertEqual(Interpreter.inputStatus(source), .invalid)
    }

    func testTheREPLClassifiesALongLine() {
        let line = "x = " + Array(repeating: "1", count: 30_000).joined(separator: " + ")
        XCTAssertEqual(Interpreter.inputStatus(line), .complete)
        XCTAssertEqual(Interpreter.inputStatus(line + " +"), .incomplete)
    }

    func testColumnsStayRightAfterALongLineWithMultibyteText() {
        let source = "s = \"" + String(repeating: "é", count: 50_000) + "\" + 1"
        do {
            try Interpreter(output: CapturedOutput()).evaluate(source, file: "t.gfn")
            XCTFail("a string plus an int ran")
        } catch {
            XCTAssertEqual(error.diagnostics.first?.location?.column, 50_008)
        }
    }
}
