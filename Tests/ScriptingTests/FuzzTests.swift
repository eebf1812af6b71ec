// Randomized robustness: mutated programs (from the conformance suite and the builtin
// examples) go through the lexer, parser, compiler and interpreter, and only clean
// `ScriptError`s may come back: no crash, trap or hang. A watchdog interrupts any run that takes
// longer than 200 ms (the interrupt is itself a clean error). Fixed seed, so a failure reproduces.

import Foundation
import XCTest
import Randomness
@testable import Scripting
import TestFixtures

final class FuzzTests: XCTestCase {

    static let fragments = ["{", "}", "(", ")", "[", "]", ",", "\"", "'", "\"\"\"", "fn", "fn(x) { x }", "x => x", "while true { }",
                            "for i in range(3) { }", "if", "else", "return", "break", "continue", "**", "9223372036854775807",
                            "-9223372036854775808", "-", "+", "*", "/", "//", "%", ".", "=", "==", "=>", "#", "\n", ";", "nil",
                            "1e308", "0", "0.0", "[1, 2]", "{\"a\": 1}", "{x}", "{x:.2f}", "\\", "try {", "catch e {", "error(\"x\")",
                            "assert false", "global g", "param p = 1", "import \"x.gfn\"", "range(1000000000)", "* 100000000",
                            "len(", ".map(f)", "[::-1]", "not", "and", "or", "in", "é", "\u{1F600}", "\t", "args", "_"]

    func mutate(_ src: String, _ rng: inout SplitMix64, donors: [String]) -> String {
        var chars = Array(src)
        let steps = 1 + rng.below(3)
        for _ in 0..<steps {
            switch rng.below(6) {
            case 0 where !chars.isEmpty: // delete a span
                let a = rng.below(chars.count), n = 1 + rng.below(8)
                chars.removeSubrange(a..<min(chars.count, a + n))
            case 1: // insert a fragment
                let f = Self.fragments[rng.below(Self.fragments.count)]
                chars.insert(contentsOf: Array(f), at: rng.below(chars.count + 1))
            case 2 where chars.count > 2: // duplicate a span
                let a = rng.below(chars.count), n = 1 + rng.below(20)
                let span = Array(chars[a..<min(chars.count, a + n)])
                chars.insert(contentsOf: span, at: rng.below(chars.count + 1))
            case 3: // splice a line from another program
                let donor = donors[rng.below(donors.count)].split(separator: "\n", omittingEmptySubsequences: false)
                if let line = donor.isEmpty ? nil : donor[rng.below(donor.count)] {
                    chars.insert(contentsOf: Array(String(line) + "\n"), at: rng.below(chars.count + 1))
                }
            case 4 where !chars.isEmpty: // replace one character
                let pool = Array("(){}[]\"',.:;=+-*/%<>!#\n 0123456789xyz")
                chars[rng.below(chars.count)] = pool[rng.below(pool.count)]
            default: // swap two lines
                var lines = String(chars).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.count > 1 { lines.swapAt(rng.below(lines.count), rng.below(lines.count)) }
                chars = Array(lines.joined(separator: "\n"))
            }
        }
        return String(chars)
    }

    func testMutatedProgramsFailCleanly() throws {
        var seeds: [String] = []
        for url in try ConformanceTests.caseFiles() { seeds.append(try String(contentsOf: url, encoding: .utf8)) }
        seeds += Library.standard.allEntries.map(\.help.example).filter { !$0.isEmpty }
        var rng = SplitMix64(seed: 20261127)
        var limits = Limits()
        limits.maxCallDepth = 200
        limits.maxElements = 100_000
        limits.maxStringBytes = 1 << 20
        let generation = Atomic(0)
        var outcomes = [String: Int]()
        let count = 800
        for n in 0..<count {
            let source = mutate(seeds[rng.below(seeds.count)], &rng, donors: seeds)
            let interp = Interpreter(limits: limits, output: CapturedOutput())
            // No file writes from mutated programs.
            for name in ["write_text", "write_json", "write_jsonl", "write_csv"] {
                interp.register(NativeFunction("\(name)(*args, **named)", summary: "disabled while fuzzing") { _ in
                    throw RuntimeError("file writing is disabled while fuzzing")
                })
            }
            _ = Interpreter.inputStatus(source)
            for d in interp.check(source, file: "fuzz.gfn") { _ = d.render(color: true) }
            generation.value = n
            let flag = interp.interrupt
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { if generation.value == n { flag.request() } }
            do {
                let v = try interp.evaluate(source, file: "fuzz.gfn")
                _ = v.repr
                outcomes["ok", default: 0] += 1
            } catch {
                XCTAssertFalse(error.diagnostics.isEmpty, "an error without diagnostics for:\n\(source)")
                _ = error.render(color: false)
                outcomes["\(error.kind)", default: 0] += 1
            }
            generation.value = -1
        }
        print("fuzz: \(count) mutated programs: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        XCTAssertGreaterThan(outcomes["ok", default: 0], 0)
        XCTAssertGreaterThan(outcomes["runtime", default: 0], 0)
        XCTAssertGreaterThan(outcomes["invalidInput", default: 0], 0)
    }

    func testInvalidUTF8FileIsAnError() throws {
        let path = TestPaths.scratchFile("invalid-utf8.gfn")
        try Data([0x70, 0x72, 0x69, 0x6E, 0x74, 0x28, 0x22, 0xFF, 0xFE, 0x22, 0x29]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let interp = Interpreter(output: CapturedOutput())
        XCTAssertThrowsError(try interp.evaluateFile(path)) { e in
            XCTAssertTrue("\(e)".contains("is not valid UTF-8"), "\(e)")
        }
        XCTAssertThrowsError(try interp.evaluate("read_text(\"\(path)\")")) { e in
            XCTAssertTrue("\(e)".contains("is not valid UTF-8"), "\(e)")
        }
    }

    func testHugeAllocationsAreErrors() {
        let interp = Interpreter(output: CapturedOutput())
        for (code, message) in [("[0] * 1000000000000", "list too large (1000000000000 elements; limit is 50000000)"),
                                ("\"ab\" * 1000000000000", "string too large (2000000000000 bytes; limit is 1073741824)"),
                                ("list(range(1000000000000))", "list too large (1000000000000 elements; limit is 50000000)"),
                                ("[1, 2] * 9223372036854775807", "list too large (18446744073709551614 elements; limit is 50000000)"),
                                ("x = [1]\nwhile true { x = x + x }", "list too large (67108864 elements; limit is 50000000)")] {
            XCTAssertThrowsError(try interp.evaluate(code), code) { e in
                XCTAssertTrue("\(e)".contains(message), "\(code): \(e)")
            }
        }
    }
}

/// A tiny lock-protected box for the watchdog's generation counter.
final class Atomic<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}
