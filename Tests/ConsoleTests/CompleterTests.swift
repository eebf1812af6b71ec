import Foundation
import Scripting
import XCTest
@testable import Console

final class CompleterTests: XCTestCase {
    let interpreter = Interpreter(output: CapturedOutput())

    override func setUpWithError() throws {
        try super.setUpWithError()
        try interpreter.evaluate("""
        learning_rate = 0.1
        learning_steps = 10
        words = ["a", "b"]
        config = {"k": 1}
        ## Scores a text.
        fn score(text, scale = 1.0, *rest, temperature = 0.7) { len(text) * scale }
        """)
    }

    func complete(_ text: String) -> Completion { Completer(interpreter: interpreter).complete(text) }

    func testGlobalsKeywordsAndBuiltins() {
        XCTAssertEqual(complete("learning_").candidates, ["learning_rate", "learning_steps"])
        XCTAssertEqual(complete("learning_").commonPrefix, "learning_")
        XCTAssertEqual(complete("learning_").replaceCount, 9)
        XCTAssertEqual(complete("x = whi").candidates, ["while"])
        XCTAssertTrue(complete("print(sor").candidates.contains("sorted"))
        XCTAssertEqual(complete("print(sor").replaceCount, 3)
    }

    func testMembersFromTheValuesType() {
        XCTAssertEqual(complete("words.app").candidates, ["append("])
        XCTAssertEqual(complete("words.app").replaceCount, 3)
        XCTAssertEqual(complete("config.ke").candidates, ["keys("])
        XCTAssertEqual(complete("\"abc\".upp").candidates, ["upper("])
        XCTAssertEqual(complete("[1, 2].so").candidates, ["sort(", "sorted("])
        XCTAssertTrue(complete("learning_rate.x").candidates.isEmpty)
        // Calls are never run to find a value.
        XCTAssertTrue(complete("score(\"a\").x").candidates.isEmpty)
    }

    func testNamedArgumentsInsideACall() {
        XCTAssertEqual(Array(complete("score(\"abc\", te").candidates.prefix(2)), ["text=", "temperature="])
        XCTAssertEqual(complete("score(\"abc\", sc").candidates.first, "scale=")
        XCTAssertEqual(complete("sorted(words, rev").candidates.first, "reverse=")
        XCTAssertEqual(complete("words.sort(ke").candidates.first, "key=")
    }

    func testPathsInsideStrings() throws {
        let dir = try makeTemporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir + "/data-train.jsonl", contents: Data())
        try FileManager.default.createDirectory(atPath: dir + "/data-dir", withIntermediateDirectories: true)
        let c = complete("rows = read_jsonl(\"\(dir)/data-")
        XCTAssertEqual(c.candidates, ["\(dir)/data-dir/", "\(dir)/data-train.jsonl"])
        XCTAssertEqual(c.replaceCount, "\(dir)/data-".unicodeScalars.count)
        XCTAssertEqual(complete(":load \(dir)/data-t").candidates, ["\(dir)/data-train.jsonl"])
    }

    func testCommandsAndHelpNames() {
        XCTAssertEqual(complete(":re").candidates, [":reset"])
        XCTAssertEqual(complete(":").candidates, REPL.commandNames)
        XCTAssertEqual(complete("?learning_r").candidates, ["learning_rate"])
        XCTAssertEqual(complete("?words.ex").candidates, ["extend"])
    }
}
