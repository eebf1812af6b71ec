// The metric bindings from gfn scripts: every function's and Embedder method's help example runs and
// prints what its `# expect:` comments say, values agree with hand computation, and bad arguments
// give script errors that name the argument.
import Foundation
import XCTest
import Scripting
@testable import Bindings

final class MetricBindingsTests: XCTestCase {
    func interpreter(_ out: CapturedOutput = CapturedOutput()) -> Interpreter {
        let interpreter = Interpreter(output: out)
        Bindings.install(into: interpreter)
        return interpreter
    }

    func run(_ source: String) throws -> String {
        let out = CapturedOutput()
        _ = try interpreter(out).evaluate(source, file: "test.gfn")
        return out.text
    }

    func testEveryMetricHasHelpAndARunningExample() throws {
        let probe = interpreter()
        for f in MetricBindings.functions + EmbedderObject.methods {
            if MetricBindings.functions.contains(where: { $0 === f }) {
                let page = probe.help(for: f.qualifiedName)
                XCTAssertTrue(page?.contains(f.signature.text) ?? false, "help(\"\(f.qualifiedName)\") lacks the signature")
            }
            XCTAssertFalse(f.help.summary.isEmpty, "\(f.qualifiedName) has no summary")
            let expected = f.help.example.split(separator: "\n").compactMap { line -> String? in
                guard let r = line.range(of: "# expect: ") else { return nil }
                return String(line[r.upperBound...])
            }
            XCTAssertFalse(expected.isEmpty, "\(f.qualifiedName): its example shows no expected output")
            let out = CapturedOutput()
            do { try interpreter(out).evaluate(f.help.example, file: "<example \(f.qualifiedName)>") } catch {
                XCTFail("example of \(f.qualifiedName):\n" + error.render(color: false)); continue
            }
            XCTAssertEqual(out.text.split(separator: "\n").map(String.init), expected, "example of \(f.qualifiedName)")
        }
        XCTAssertTrue(probe.help(for: "embedder")?.contains("all-MiniLM-L6-v2") ?? false)
    }

    /// The script-level numbers are the engine's: hand-computed cases from the GFlowNets tests.
    func testValuesFromScripts() throws {
        let out = try run("""
        print(round(kl_divergence({"a": 3, "b": 1}, {"a": 5, "b": 5}), 6))
        print(round(distribution_stats([0, 0, 1, nil], [0, 1])["js"], 6))
        print(kl_divergence([0, 0, 1], [0, 1], invalid=1), round(kl_divergence([0, 0, 1], [0, 1], invalid=1, valid_only=true), 6))
        print(round(total_variation([7.0, 7], range(100)), 12))
        print(distinct_n(["a b", "a b", "a b"], n=2), distinct_n(["a"], n=1), edit_diversity([]))
        print(round(edit_diversity(["a b", "a b", "c"]), 4), round(edit_diversity(["a b", "a b", "c"], normalized=false), 4))
        e = embedder()
        v = e.embed(["The cat sits on the mat.", "A feline is resting on a rug.", "Stock markets fell sharply on Monday."])
        d = diversity(["The cat sits on the mat.", "A feline is resting on a rug.", "Stock markets fell sharply on Monday."], embedder=e)
        mean = (e.similarity(v[0], v[1]) + e.similarity(v[0], v[2]) + e.similarity(v[1], v[2])) / 3
        print(abs(d - (1 - mean)) < 1e-6, round(e.similarity(v[0], "The cat sits on the mat."), 5))
        print(diversity(["a", "b"], embedder="all-MiniLM-L6-v2") == diversity(["a", "b"]))
        """)
        // KL(¾,¼ ‖ ½,½) = 0.130812; JS with the invalid bin = 0.107881; KL over the valid (⅔, ⅓) = 0.056633;
        // TV of a point mass on one of 100 values = 0.99.
        XCTAssertEqual(out, "0.130812\n0.107881\ninf 0.056633\n0.99\n0.3333333333333333 nil nil\n0.6667 1.3333\ntrue 1.0\ntrue\n")
    }

    func testBadArgumentsNameTheArgument() {
        let cases: [(String, String)] = [
            ("distinct_n(\"not a list\")", "'texts'"),
            ("distinct_n([\"a\", 3])", "element 1 is int"),
            ("distinct_n([\"a b\"], n=0)", "'n'"),
            ("edit_diversity([\"a\", \"b\"], unit=\"letters\")", "'unit'"),
            ("diversity([\"a\", \"b\"], embedder=3)", "'embedder'"),
            ("diversity([\"a\", \"b\"], embedder=\"no-such-encoder\")", "scripts/setup"),
            ("embedder(\"/no/such/folder\")", "scripts/setup"),
            ("kl_divergence([1, [2]], [1, 2])", "'samples'"),
            ("kl_divergence({1: -2}, [1, 2])", "'samples'"),
            ("kl_divergence(5, [1, 2])", "'samples'"),
            ("kl_divergence([1], {1: -1.0})", "'target'"),
            ("kl_divergence([1], [])", "'target'"),
            ("kl_divergence([1], \"abc\")", "'target'"),
            ("kl_divergence([1], [1], invalid=-1)", "'invalid'"),
            ("kl_divergence([], [1])", "no samples"),
            ("total_variation([nil, nil], [1], valid_only=true)", "no valid samples"),
            ("embedder().similarity([1, 0], [1, 0, 0])", "'b'"),
            ("embedder().similarity(\"a\", 3)", "'b'"),
            ("embedder().embed(3)", "'texts'"),
        ]
        for (source, needle) in cases {
            XCTAssertThrowsError(try run(source), source) { error in
                let text = (error as? ScriptError)?.render(color: false) ?? "\(error)"
                XCTAssertTrue(text.contains(needle), "\(source): \(text)")
            }
        }
    }
}
