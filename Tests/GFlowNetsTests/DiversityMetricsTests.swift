import XCTest
@testable import GFlowNets

/// Diversity measures on cases small enough to compute by hand (the arithmetic is in the comments).
final class DiversityMetricsTests: XCTestCase {
    /// Embedding diversity is 1 − the mean cosine over pairs i < j (self-pairs excluded).
    func testEmbeddingDiversityAveragesTheUpperTriangle() throws {
        // e₀ = (1, 0), e₁ = (0, 1), e₂ = (1, 1): cos(0,1) = 0, cos(0,2) = cos(1,2) = 1/√2.
        // mean = (0 + 2/√2) / 3 = √2/3 ≈ 0.47140 → diversity 1 − √2/3 ≈ 0.52860.
        let d = try XCTUnwrap(try DiversityMetrics.embeddingDiversity([[1, 0], [0, 1], [1, 1]]))
        XCTAssertEqual(d, 1 - 2.0.squareRoot() / 3, accuracy: 1e-6)
        // Identical texts: every cosine is 1 → 0 (including the self-pairs would not change this one).
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.embeddingDiversity([[0.6, 0.8], [0.6, 0.8], [3, 4]])), 0, accuracy: 1e-6)
        // Two opposite vectors: cos = −1 → 2 (with the diagonal it would be 1 − (1 + 1 − 1 − 1)/4 = 1).
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.embeddingDiversity([[1, 0], [-1, 0]])), 2, accuracy: 1e-9)
    }

    func testEmbeddingDiversityNeedsTwoEqualSizedEmbeddings() {
        XCTAssertNil(try DiversityMetrics.embeddingDiversity([[1, 0]]))
        XCTAssertNil(try DiversityMetrics.embeddingDiversity([[Float]]()))
        XCTAssertThrowsError(try DiversityMetrics.embeddingDiversity([[1, 0], [1, 0, 0]]))
    }

    /// distinct-n pools n-grams over texts: distinct / total.
    func testDistinctN() throws {
        let texts = ["the cat sat", "the cat ran"]
        // Unigrams: the cat sat the cat ran → 6, of which {the, cat, sat, ran} distinct → 4/6.
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(texts, n: 1)), 4.0 / 6, accuracy: 1e-12)
        // Bigrams: (the cat) (cat sat) (the cat) (cat ran) → 3/4.
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(texts, n: 2)), 0.75, accuracy: 1e-12)
        // N-grams never span texts: "sat the" is not a bigram, so 2 trigrams, both distinct.
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(texts, n: 3)), 1, accuracy: 1e-12)
        XCTAssertNil(try DiversityMetrics.distinctN(texts, n: 4), "no text has 4 words")
        // k copies of one text → 1/k.
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(Array(repeating: "a b c", count: 3), n: 2)), 1.0 / 3, accuracy: 1e-12)
        // Exact comparison: case and attached punctuation make different words; any whitespace separates.
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(["Cat cat", "cat."], n: 1)), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(try DiversityMetrics.distinctN(["a\tb\n c", "  a  "], n: 1)), 3.0 / 4, accuracy: 1e-12)
        XCTAssertNil(try DiversityMetrics.distinctN(["only one"], n: 1))
        XCTAssertThrowsError(try DiversityMetrics.distinctN(texts, n: 0))
    }

    /// Edit diversity: mean over pairs of Levenshtein distance / longer length.
    func testEditDiversityOnWords() throws {
        // One substitution in 3 words → 1/3.
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["the cat sat", "the cat ran"])), 1.0 / 3, accuracy: 1e-12)
        // Pairs: ("a b", "a b") = 0; ("a b", "c") = 2 edits / 2 words = 1, twice → (0 + 1 + 1)/3.
        let texts = ["a b", "a b", "c"]
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(texts)), 2.0 / 3, accuracy: 1e-12)
        // Raw edit counts: (0 + 2 + 2)/3.
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(texts, normalized: false)), 4.0 / 3, accuracy: 1e-12)
        XCTAssertNil(DiversityMetrics.editDiversity(["alone"]))
    }

    func testEditDiversityOnCharacters() throws {
        // kitten → sitting: 3 edits, longer text 7 characters.
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["kitten", "sitting"], unit: .characters)), 3.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["kitten", "sitting"], unit: .characters, normalized: false)), 3, accuracy: 1e-12)
        // Two empty texts are identical; "" vs "ab" is entirely different.
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["", ""], unit: .characters)), 0)
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["", "ab"], unit: .characters)), 1)
        // Characters are user-perceived: precomposed é equals e + combining acute; 👍🏽 is one character.
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["caf\u{E9}", "cafe\u{301}"], unit: .characters)), 0)
        XCTAssertEqual(try XCTUnwrap(DiversityMetrics.editDiversity(["👍🏽", "👍"], unit: .characters)), 1)
    }
}
