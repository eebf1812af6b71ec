// The conformance suite: every `.gfn` file under conformance/ (except conformance/lib, which
// holds files that cases import) is a case. Comments in the file say what must happen:
//   # expect: TEXT          the next line of output is TEXT
//   # expect error: TEXT    the run fails with an error whose first rendered line contains TEXT
//                           (the file is named by its base name, so "case.gfn:3:5" can be matched)
//   # expect kind: incomplete | invalid | runtime     the kind of that error
//   # expect hint: TEXT     that error's hint line is exactly TEXT
//   # expect stack: NAME    the runtime error's call stack names the function NAME
//   # args: a b c           script arguments
//   # setting: key=value    a param override
// Adding a test means adding a file.

import Foundation
import XCTest
@testable import Scripting
import TestFixtures

struct ConformanceCase {
    var expectedOutput: [String] = []
    var expectedError: String?
    var expectedKind: String?
    var expectedHint: String?
    var expectedStack: [String] = []
    var args: [String] = []
    var settings: [String: String] = [:]

    init(source: String) {
        for line in source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            func after(_ marker: String) -> String? {
                guard let r = line.range(of: marker) else { return nil }
                var s = String(line[r.upperBound...])
                if s.hasPrefix(" ") { s.removeFirst() }
                return s
            }
            if let e = after("# expect error:") { expectedError = e.trimmingCharacters(in: .whitespaces) }
            else if let h = after("# expect hint:") { expectedHint = h.trimmingCharacters(in: .whitespaces) }
            else if let k = after("# expect kind:") { expectedKind = k.trimmingCharacters(in: .whitespaces) }
            else if let s = after("# expect stack:") { expectedStack.append(s.trimmingCharacters(in: .whitespaces)) }
            else if let e = after("# expect:") { expectedOutput.append(e) }
            else if let a = after("# args:") { args = a.split(separator: " ").map(String.init) }
            else if let s = after("# setting:"), let eq = s.firstIndex(of: "=") {
                settings[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
        }
    }

    /// Runs the source in a fresh interpreter; returns a description of each mismatch.
    func run(source: String, path: String, limits: Limits = Limits(), specialised: Bool = true) -> [String] {
        let out = CapturedOutput()
        let interp = Interpreter(limits: limits, output: out)
        interp.specialised = specialised
        interp.arguments = args
        interp.overrides = settings
        var problems: [String] = []
        var error: ScriptError?
        do {
            try interp.evaluate(source, file: path)
        } catch let e {
            error = e
        }
        var lines = out.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if lines != expectedOutput {
            problems.append("output differs:\n--- expected\n" + expectedOutput.joined(separator: "\n") + "\n--- got\n" + lines.joined(separator: "\n"))
        }
        let base = (path as NSString).lastPathComponent
        switch (expectedError, error) {
        case (nil, nil): break
        case (nil, let e?): problems.append("unexpected error:\n" + e.render(color: false).replacingOccurrences(of: path, with: base))
        case (let want?, nil): problems.append("expected an error containing '\(want)', but the script succeeded")
        case (let want?, let e?):
            let rendered = e.render(color: false).replacingOccurrences(of: path, with: base)
            let firstLines = e.diagnostics.map { $0.render(color: false).replacingOccurrences(of: path, with: base).split(separator: "\n").first.map(String.init) ?? "" }
            if !firstLines.contains(where: { $0.contains(want) }) {
                problems.append("expected an error containing '\(want)', got:\n" + rendered)
            }
            if let kind = expectedKind {
                let actual: String
                switch e.kind {
                case .incompleteInput: actual = "incomplete"
                case .invalidInput: actual = "invalid"
                case .runtime: actual = "runtime"
                case .interrupted: actual = "interrupted"
                }
                if actual != kind { problems.append("expected error kind \(kind), got \(actual)") }
            }
            if let hint = expectedHint, e.diagnostics.first?.hint != hint {
                problems.append("expected the hint '\(hint)', got '\(e.diagnostics.first?.hint ?? "none")'")
            }
            for name in expectedStack where !(e.diagnostics.first?.stack.contains { $0.function == name } ?? false) {
                problems.append("expected '\(name)' in the call stack, got:\n" + rendered)
            }
        }
        return problems
    }
}

final class ConformanceTests: XCTestCase {
    static var directory: URL {
        TestPaths.root.appendingPathComponent("Tests/ScriptingTests/conformance")
    }

    static func caseFiles() throws -> [URL] {
        let dir = directory
        let names = try FileManager.default.subpathsOfDirectory(atPath: dir.path)
        return names.filter { $0.hasSuffix(".gfn") && !$0.hasPrefix("lib/") }.sorted().map { dir.appendingPathComponent($0) }
    }

    func testConformanceSuite() throws {
        try runSuite(specialised: true)
    }

    /// The same cases with only the compiler's general forms: a specialisation must never change
    /// what a program prints or which error it raises.
    func testConformanceSuiteWithoutSpecialisations() throws {
        try runSuite(specialised: false)
    }

    func runSuite(specialised: Bool) throws {
        let files = try Self.caseFiles()
        XCTAssertGreaterThanOrEqual(files.count, 150, "the suite should hold at least 150 cases")
        var failed = 0
        for url in files {
            let source = try String(contentsOf: url, encoding: .utf8)
            let c = ConformanceCase(source: source)
            let problems = c.run(source: source, path: url.path, specialised: specialised)
            if !problems.isEmpty {
                failed += 1
                XCTFail("\(url.lastPathComponent) (specialised: \(specialised)):\n" + problems.joined(separator: "\n"))
            }
        }
        print("conformance (specialised: \(specialised)): \(files.count - failed) of \(files.count) cases passed")
    }
}
