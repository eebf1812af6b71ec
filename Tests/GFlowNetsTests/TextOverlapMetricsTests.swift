import XCTest
import Foundation
import TestFixtures
@testable import GFlowNets

/// BLEU-4 (smoothing method 1) and GLEU against the values NLTK printed for the same cases
/// (Tests/Fixtures/text_overlap.json, from scripts/fixtures/text_overlap.py).
final class TextOverlapMetricsTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let hypothesis: String
            let references: [String]
            let bleu4_method1: Double
            let gleu: Double
        }
        let nltk: String
        let cases: [Case]
    }

    func testAgreesWithNLTK() throws {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("text_overlap.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 10)
        var worst = 0.0
        for c in fixture.cases {
            let bleu = try TextOverlapMetrics.bleu(hypothesis: c.hypothesis, references: c.references)
            let gleu = try TextOverlapMetrics.gleu(hypothesis: c.hypothesis, references: c.references)
            XCTAssertEqual(bleu, c.bleu4_method1, accuracy: 1e-12, "BLEU of \"\(c.hypothesis)\"")
            XCTAssertEqual(gleu, c.gleu, accuracy: 1e-12, "GLEU of \"\(c.hypothesis)\"")
            worst = max(worst, abs(bleu - c.bleu4_method1), abs(gleu - c.gleu))
        }
        print("BLEU/GLEU vs NLTK \(fixture.nltk) on \(fixture.cases.count) cases: max |Δ| = \(worst)")
    }

    func testBadInputsAreErrors() {
        XCTAssertThrowsError(try TextOverlapMetrics.bleu(hypothesis: "a", references: []))
        XCTAssertThrowsError(try TextOverlapMetrics.gleu(hypothesis: "a", references: []))
        XCTAssertThrowsError(try TextOverlapMetrics.bleu(hypothesis: "a", references: ["a"], maxOrder: 0))
        XCTAssertThrowsError(try TextOverlapMetrics.gleu(hypothesis: "a", references: ["a"], minOrder: 3, maxOrder: 2))
    }
}
