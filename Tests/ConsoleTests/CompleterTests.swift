import Foundation
import Scripting
import Testing
@testable import Console

@Suite("Tab completion")
struct CompleterTests {
    let interpreter = Interpreter(output: CapturedOutput())

    init() throws {
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

    @Test func globalsKeywordsAndBuiltins() {
        #expect(complete("learning_").candidates == ["learning_rate", "learning_steps"])
        #expect(complete("learning_").commonPrefix == "learning_")
        #expect(complete("learning_").replaceCount == 9)
        #expect(complete("x = whi").candidates == ["while"])
        #expect(complete("print(sor").candidates.contains("sorted"))
        #expect(complete("print(sor").replaceCount == 3)
    }

    @Test func membersFromTheValuesType() {
        #expect(complete("words.app").candidates == ["append("])
        #expect(complete("words.app").replaceCount == 3)
        #expect(complete("config.ke").candidates == ["keys("])
        #expect(complete("\"abc\".upp").candidates == ["upper("])
        #expect(complete("[1, 2].so").candidates == ["sort(", "sorted("])
        #expect(complete("learning_rate.x").candidates.isEmpty)
        // Calls are never run to find a value.
        #expect(complete("score(\"a\").x").candidates.isEmpty)
    }

    @Test func namedArgumentsInsideACall() {
        #expect(Array(complete("score(\"abc\", te").candidates.prefix(2)) == ["text=", "temperature="])
        #expect(complete("score(\"abc\", sc").candidates.first == "scale=")
        #expect(complete("sorted(words, rev").candidates.first == "reverse=")
        #expect(complete("words.sort(ke").candidates.first == "key=")
    }

    @Test func pathsInsideStrings() throws {
        let dir = try makeTemporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir + "/data-train.jsonl", contents: Data())
        try FileManager.default.createDirectory(atPath: dir + "/data-dir", withIntermediateDirectories: true)
        let c = complete("rows = read_jsonl(\"\(dir)/data-")
        #expect(c.candidates == ["\(dir)/data-dir/", "\(dir)/data-train.jsonl"])
        #expect(c.replaceCount == "\(dir)/data-".unicodeScalars.count)
        #expect(complete(":load \(dir)/data-t").candidates == ["\(dir)/data-train.jsonl"])
    }

    @Test func commandsAndHelpNames() {
        #expect(complete(":re").candidates == [":reset"])
        #expect(complete(":").candidates == REPL.commandNames)
        #expect(complete("?learning_r").candidates == ["learning_rate"])
        #expect(complete("?words.ex").candidates == ["extend"])
    }
}
