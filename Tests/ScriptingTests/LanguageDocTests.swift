// docs/language.md is the specification: its grammar of error messages and its list of false
// values are read from the doc and checked against what scripts get, so the two cannot drift.

import Foundation
import XCTest
@testable import Scripting
import TestFixtures

final class LanguageDocTests: XCTestCase {
    static func languageDoc() throws -> String {
        try String(contentsOf: TestPaths.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
    }

    /// The backquoted forms in the list that follows "Errors follow a fixed grammar".
    static func errorForms(_ doc: String) -> [String] {
        guard let start = doc.range(of: "Errors follow a fixed grammar") else { return [] }
        let rest = doc[start.upperBound...]
        guard let listStart = rest.range(of: "\n- ") else { return [] }
        let list = rest[listStart.lowerBound...].components(separatedBy: "\n\n")[0]
        return list.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
    }

    /// A script that raises each form (`N` and `M` in a form stand for numbers).
    static let raising: [String: (code: String, limits: Limits)] = {
        var small = Limits()
        small.maxElements = 10
        small.maxStringBytes = 10
        return [
            "unknown name 'x' (did you mean 'xs'?)": ("xs = 1\nprint(x)", Limits()),
            "bad argument 'temperature' to 'sample' (number expected, got string)": ("sample(\"p\", temperature=\"hot\")", Limits()),
            "attempt to call an int value": ("x = 1\nx()", Limits()),
            "cannot index a float": ("x = 1.5\nx[0]", Limits()),
            "unsupported operand types for +: int and string": ("1 + \"a\"", Limits()),
            "unsupported operand type for unary -: string": ("-\"a\"", Limits()),
            "integer overflow in *": ("9223372036854775807 * 2", Limits()),
            "division by zero": ("1 / 0", Limits()),
            "index 5 out of range for list of length 3": ("[1, 2, 3][5]", Limits()),
            "recursion depth limit (N) exceeded": ("fn f(n) { f(n + 1) }\nf(0)", Limits()),
            "list too large (N elements; limit is M)": ("[1, 2, 3] * 4", small),
            "dict too large (N entries; limit is M)": ("d = {}\nfor i in range(20) { d[i] = i }", small),
            "string too large (N bytes; limit is M)": ("\"abcdef\" + \"ghijkl\"", small),
            "interrupted": ("stop()\nwhile true { }", Limits()),
        ]
    }()

    /// The message a script fails with, or nil.
    func message(_ code: String, _ limits: Limits) -> Diagnostic? {
        let interp = Interpreter(limits: limits, output: CapturedOutput())
        interp.register(NativeFunction("sample(prompt, temperature=1.0)", summary: "test", example: "") { args in
            .float(try args.double("temperature"))
        })
        interp.register(NativeFunction("stop()", summary: "test", example: "") { args in
            args.interpreter.interrupt.request()
            return .null
        })
        do {
            try interp.evaluate(code, file: "t.gfn")
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    func testEveryErrorFormInTheDocIsWhatScriptsGet() throws {
        let forms = Self.errorForms(try Self.languageDoc())
        XCTAssertGreaterThanOrEqual(forms.count, 12, "the grammar list in docs/language.md §6 was not found")
        for form in forms {
            guard let (code, limits) = Self.raising[form] else {
                XCTFail("docs/language.md §6 has the form '\(form)', which this test does not raise: add a script for it")
                continue
            }
            let pattern = "^" + NSRegularExpression.escapedPattern(for: form)
                .replacingOccurrences(of: "\\bN\\b", with: "[0-9]+", options: .regularExpression)
                .replacingOccurrences(of: "\\bM\\b", with: "[0-9]+", options: .regularExpression) + "$"
            guard let d = message(code, limits) else { XCTFail("'\(code)' raised nothing (expected '\(form)')"); continue }
            XCTAssertNotNil(d.message.range(of: pattern, options: .regularExpression),
                            "docs/language.md says '\(form)'; the script got '\(d.message)'")
        }
        for form in Self.raising.keys where !forms.contains(form) {
            XCTFail("'\(form)' is raised here but not in the grammar of docs/language.md §6")
        }
    }

    func testAdviceIsOnTheHintLine() throws {
        let doc = try Self.languageDoc()
        XCTAssertTrue(doc.contains("`hint: convert with str(x) or use \"{x}\"`"))
        let d = message("\"n = \" + 3", Limits())
        XCTAssertEqual(d?.message, "unsupported operand types for +: string and int")
        XCTAssertEqual(d?.hint, "convert with str(x) or use \"{x}\"")
    }

    /// The values the doc's truthiness rule lists are exactly the false ones among candidates.
    func testTheFalseValuesAreTheOnesTheDocLists() throws {
        let doc = try Self.languageDoc()
        guard let r = doc.range(of: "Truthiness: ") else { return XCTFail("no truthiness rule in docs/language.md") }
        let rule = doc[r.upperBound...].prefix { $0 != "\n" } + doc[r.upperBound...].drop { $0 != "\n" }.dropFirst().prefix { $0 != "\n" }
        let listed = Set(rule.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        let candidates = ["nil", "false", "true", "0", "0.0", "1", "-0.5", "\"\"", "\" \"", "[]", "[0]", "{}", "{\"a\": 0}",
                          "range(0)", "range(1)", "print"]
        for c in candidates {
            let interp = Interpreter(output: CapturedOutput())
            let v = try interp.evaluate("bool(\(c))")
            XCTAssertEqual(v.boolValue, !listed.contains(c), "bool(\(c)) is \(v) but docs/language.md \(listed.contains(c) ? "lists" : "does not list") it as false")
        }
        XCTAssertTrue(listed.contains("range(0)"))
    }
}
