// The public API the REPL and the bindings build on.

import Foundation
import XCTest
@testable import Scripting

/// A native type as a binding would write it.
final class Counter: PropertyTableObject {
    var n = 0
    var typeName: String { "Counter" }
    var summary: String { "Counter: counts" }
    static let properties: [NativeProperty<Counter>] = [
        NativeProperty("n", "the count", get: { .int($0.n) }, set: { me, value in
            guard let i = value.intValue else { throw RuntimeError("n must be an int") }
            me.n = i
        }),
        NativeProperty("doubled", "twice the count (read-only)") { .int(2 * $0.n) },
    ]
    static let methods = [
        NativeFunction("Counter.add(by=1)", summary: "Adds to the count.") { args in
            let me = try args.receiver(Counter.self)
            me.n += try args.int("by")
            return .int(me.n)
        },
    ]
}

final class InterpreterAPITests: XCTestCase {
    func testTrailingExpressionValueAndPersistentGlobals() throws {
        let interp = Interpreter(output: CapturedOutput())
        XCTAssertEqual(try interp.evaluate("x = 40").repr, "nil")
        XCTAssertEqual(try interp.evaluate("x + 2").repr, "42")
        XCTAssertEqual(try interp.evaluate("fn f(a) { a * x }\nf(2)").repr, "80")
        XCTAssertEqual(try interp.evaluate("if x > 1 { \"big\" } else { \"small\" }").repr, "\"big\"")
        XCTAssertEqual(interp.global("x")?.intValue, 40)
        XCTAssertTrue(interp.userGlobals.map(\.name).contains("f"))
    }

    func testReprOfAStringReadsBackAsTheSameString() throws {
        let interp = Interpreter(output: CapturedOutput())
        interp.setGlobal("x", .int(7))   // an interpolation that leaked through would read x
        for text in ["{x}", "a {{x}} c", "}{", "{", "}", "{x:.2f}", "q\"b\\s\n\t\r\u{1}é\u{7f}{x}"] {
            let literal = Value.string(text).repr
            XCTAssertEqual(try interp.evaluate(literal).stringValue, text, "repr wrote \(literal)")
        }
        XCTAssertEqual(Value.string("{x}").repr, "\"{{x}}\"")
    }

    func testErrorLeavesStateIntact() throws {
        let interp = Interpreter(output: CapturedOutput())
        try interp.evaluate("a = 1")
        XCTAssertThrowsError(try interp.evaluate("a = 2\nb = 1 / 0"))
        XCTAssertEqual(try interp.evaluate("a").intValue, 2)
        XCTAssertEqual(try interp.evaluate("fn r(n) { r(n + 1) }\ntry { r(0) } catch e { e.message }").stringValue,
                       "recursion depth limit (4000) exceeded")
        XCTAssertEqual(try interp.evaluate("a + 1").intValue, 3)
    }

    func testResetForgetsPlainGlobalFunctions() throws {
        // Calls of plain global functions go through a side table next to the globals; a
        // reset must clear it along with the values.
        let interp = Interpreter(output: CapturedOutput())
        try interp.evaluate("fn twice(x) { x * 2 }\nfn use(v) { twice(v) }")
        XCTAssertEqual(try interp.evaluate("use(4)").intValue, 8)
        interp.reset()
        XCTAssertThrowsError(try interp.evaluate("twice(4)")) { error in
            XCTAssertTrue("\(error)".contains("twice"), "\(error)")
        }
        try interp.evaluate("fn twice(x) { x * 3 }")
        XCTAssertEqual(try interp.evaluate("twice(4)").intValue, 12)
        interp.setGlobal("twice", .int(1))
        XCTAssertThrowsError(try interp.evaluate("twice(4)"))
    }

    func testCheckReportsAllErrors() {
        let interp = Interpreter(output: CapturedOutput())
        let diags = interp.check("x = nosuch1\ny = nosuch2\nfn f() { break }\n", file: "t.gfn")
        XCTAssertEqual(diags.count, 3, diags.map(\.message).description)
        XCTAssertEqual(diags.first?.location?.line, 1)
        let syntax = interp.check("x = 1 +* 2\ny = )\nz = 3 3\n")
        XCTAssertEqual(syntax.count, 3, syntax.map(\.message).description)
        XCTAssertNil(interp.global("x"), "check runs nothing")
    }

    func testCheckRecoversInsideUnclosedBrackets() {
        // Newlines inside ( ) and [ ] are not tokens, so before recovery the first unclosed
        // bracket swallowed the rest of the file and hid every later error.
        let interp = Interpreter(output: CapturedOutput())
        let source = """
        x = max(1, 2
        y = [1, 2
        fn f(a) {
          z = a * (2 +
          w = 1 +* 2
          a
        }
        ok = f(3)
        v = )
        print(len([1, 2)
        """
        let diags = interp.check(source, file: "brackets.gfn")
        let places = diags.map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0)" }
        XCTAssertEqual(places, ["2:1", "3:1", "5:5", "5:10", "9:5", "10:16"], diags.map(\.message).description)
        XCTAssertTrue(diags[0].message.contains("expected"), diags[0].message)
        // Each one is rendered with its own source line and caret.
        let rendered = diags[3].render(color: false)
        XCTAssertTrue(rendered.hasPrefix("brackets.gfn:5:10: error:"), rendered)
        XCTAssertTrue(rendered.contains(" 5 |   w = 1 +* 2\n"), rendered)
        XCTAssertTrue(rendered.contains("   |          ^\n"), rendered)
        // The last bracket is still open at the end: that error is "incomplete", as before.
        XCTAssertEqual(Interpreter.inputStatus("x = max(1, 2\ny = 3"), .invalid)
        XCTAssertEqual(Interpreter.inputStatus("x = max(1,\n2"), .incomplete)
    }

    func testInputStatus() {
        XCTAssertEqual(Interpreter.inputStatus("print(1)"), .complete)
        XCTAssertEqual(Interpreter.inputStatus("fn f() {"), .incomplete)
        XCTAssertEqual(Interpreter.inputStatus("xs = [1,\n2,"), .incomplete)
        XCTAssertEqual(Interpreter.inputStatus("x = 1 +"), .incomplete)
        XCTAssertEqual(Interpreter.inputStatus("s = \"\"\"abc"), .incomplete)
        XCTAssertEqual(Interpreter.inputStatus("x = )"), .invalid)
        XCTAssertEqual(Interpreter.inputStatus("s = \"abc"), .invalid)
    }

    func testInterruptStopsAnEndlessLoop() throws {
        let interp = Interpreter(output: CapturedOutput())
        try interp.evaluate("keep = 7")
        let flag = interp.interrupt
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.request() }
        do {
            try interp.evaluate("i = 0\nwhile true { i += 1 }")
            XCTFail("the loop should have been interrupted")
        } catch {
            XCTAssertEqual(error.kind, .interrupted)
        }
        XCTAssertEqual(try interp.evaluate("keep").intValue, 7)
        XCTAssertGreaterThan(try interp.evaluate("i").intValue ?? 0, 0)
    }

    func testARequestWhileHoldingWaitsForTheHoldToEnd() throws {
        let interp = Interpreter(output: CapturedOutput())
        let flag = interp.interrupt
        // The request comes from inside the held work, as a signal arriving mid-step would.
        let total = try flag.holdingRequests { () throws -> Int? in
            flag.request()
            XCTAssertTrue(flag.isHeld)
            XCTAssertFalse(flag.isRequested)
            return try interp.evaluate("s = 0\nfor i in range(1000) { s += i }\ns").intValue
        }
        XCTAssertEqual(total, 499500, "script code inside the hold ran to the end")
        XCTAssertTrue(flag.isRequested, "the held request is an ordinary one once the hold ends")
        XCTAssertFalse(flag.isHeld)
        XCTAssertThrowsError(try interp.checkInterrupt())
        // Nested holds release only at the outermost end; clear() drops a held request.
        flag.holdingRequests {
            flag.holdingRequests { flag.request() }
            XCTAssertTrue(flag.isHeld)
            XCTAssertFalse(flag.isRequested)
            flag.clear()
        }
        XCTAssertFalse(flag.isRequested)
    }

    func testDictSizeLimitOnIntKeys() throws {
        // `d[i] = v` with an int key has a fast path; the element limit must still hold.
        var limits = Limits()
        limits.maxElements = 10
        let interp = Interpreter(limits: limits, output: CapturedOutput())
        let message = try interp.evaluate("fn fill(d, n) { for i in range(n) { d[i] = i } }\nd = {}\nfill(d, 10)\nd[3] = 30\ntry { fill(d, 11) } catch e { e.message }").stringValue
        XCTAssertTrue(message?.contains("dict too large") ?? false, message ?? "no error")
        XCTAssertEqual(try interp.evaluate("len(d)").intValue, 10)
        XCTAssertEqual(try interp.evaluate("d[3]").intValue, 3)
    }

    func testInterruptStopsAFusedRecursion() throws {
        // `f(n - 1) + f(n - 1)` runs as fused calls; 2^60 of them would never end.
        let interp = Interpreter(output: CapturedOutput())
        try interp.evaluate("fn f(n) { if n < 1 { return 0 }\n f(n - 1) + f(n - 1) }")
        let flag = interp.interrupt
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.request() }
        do {
            try interp.evaluate("f(60)")
            XCTFail("the recursion should have been interrupted")
        } catch {
            XCTAssertEqual(error.kind, .interrupted)
        }
        XCTAssertEqual(try interp.evaluate("f(3)").intValue, 0)
    }

    func testNativeObjectsAndRegistration() throws {
        let out = CapturedOutput()
        let interp = Interpreter(output: out)
        interp.register(NativeFunction("make_counter(start=0)", summary: "A counter.", example: "") { args in
            let c = Counter()
            c.n = try args.int("start")
            return .native(c)
        })
        XCTAssertEqual(try interp.evaluate("c = make_counter(start = 5)\nc.add()\nc.add(by = 10)").intValue, 16)
        XCTAssertEqual(try interp.evaluate("c.n = 2\nc.n").intValue, 2)
        XCTAssertEqual(try interp.evaluate("c.doubled").intValue, 4)
        XCTAssertThrowsError(try interp.evaluate("c.n = \"x\"")) { e in XCTAssertTrue("\(e)".contains("n must be an int"), "\(e)") }
        XCTAssertThrowsError(try interp.evaluate("c.doubled = 1")) { e in XCTAssertTrue("\(e)".contains("doubled"), "\(e)") }
        XCTAssertEqual(try interp.evaluate("c.n").intValue, 2)
        XCTAssertEqual(try interp.evaluate("type(c)").stringValue, "Counter")
        XCTAssertThrowsError(try interp.evaluate("c.ad()")) { e in
            XCTAssertTrue("\(e)".contains("Counter has no member 'ad' (did you mean 'add'?)"), "\(e)")
        }
        XCTAssertThrowsError(try interp.evaluate("c.add(by = \"x\")")) { e in
            XCTAssertTrue("\(e)".contains("bad argument 'by' to 'Counter.add' (int expected, got string)"), "\(e)")
        }
        XCTAssertEqual(interp.members(of: interp.global("c")!).map(\.name), ["add", "n", "doubled"])
        XCTAssertEqual(interp.members(of: interp.global("c")!).last?.summary, "twice the count (read-only)")
        XCTAssertNotNil(interp.help(for: "make_counter"))
        XCTAssertTrue(interp.completions(prefix: "make_").contains("make_counter"))
        // help(x) of a native object: its summary, its methods, its properties, and a line of its own.
        _ = out.take()
        _ = try interp.evaluate("help(c)\nprint(\"after\")")
        XCTAssertEqual(out.take(), "Counter: counts. Methods: Counter.add(by=1). Properties: n, doubled.\nafter\n")
    }

    func testHostCallsScriptFunction() throws {
        let interp = Interpreter(output: CapturedOutput())
        try interp.evaluate("fn reward(text, scale = 1) { len(text) * scale }")
        let f = interp.global("reward")!
        XCTAssertEqual(try interp.call(f, [.string("abcd")], named: [("scale", .int(3))]).intValue, 12)
    }

    func testParamsAndCells() throws {
        let src = "# %% Setup\n## Number of steps.\nparam steps = 200   # the budget\nparam lr = 1e-4\n# %% Train\nprint(steps)\n"
        let params = try Interpreter.params(source: src)
        XCTAssertEqual(params.map(\.name), ["steps", "lr"])
        XCTAssertEqual(params[0].defaultSource, "200")
        XCTAssertEqual(params[0].doc, "Number of steps.")
        let cells = Interpreter.cells(in: src)
        XCTAssertEqual(cells.map(\.title), ["Setup", "Train"])
        XCTAssertEqual(cells[1].firstLine, 5)
        let out = CapturedOutput()
        let interp = Interpreter(output: out)
        interp.overrides = ["steps": "3"]
        try interp.evaluate(src)
        XCTAssertEqual(out.text, "3\n")
    }

    func testDiagnosticRendering() {
        let interp = Interpreter(output: CapturedOutput())
        do {
            try interp.evaluate("fn f(x) {\n  x + nil\n}\nf(1)\n", file: "r.gfn")
            XCTFail("expected an error")
        } catch {
            let text = error.render(color: false)
            XCTAssertTrue(text.hasPrefix("r.gfn:2:5: error: unsupported operand types for +: int and nil\n"), text)
            XCTAssertTrue(text.contains(" 2 |   x + nil\n   |     ^\n"), text)
            XCTAssertTrue(text.contains("in f called at r.gfn:4:1"), text)
        }
    }
}
