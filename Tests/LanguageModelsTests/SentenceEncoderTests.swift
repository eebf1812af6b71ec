import Foundation
import XCTest
import Tensors
@testable import LanguageModels

/// all-MiniLM-L6-v2 against sentence-transformers (Tests/Fixtures/minilm_embeddings.json, made by
/// scripts/fixtures/make_lm_fixtures.py minilm): ten sentences of 2 to 14 tokens, accents, Japanese
/// and the empty string, embedded in one padded batch.
final class SentenceEncoderTests: XCTestCase {
    static let encoder: Result<SentenceEncoder, Error> = Result { try SentenceEncoder.load(TestPaths.models.appendingPathComponent("all-MiniLM-L6-v2").path) }

    static func cases() throws -> [(text: String, ids: [Int], embedding: [Float])] {
        let fixture = try TestPaths.fixtureJSON("minilm_embeddings.json")
        let cases = try XCTUnwrap(fixture["cases"] as? [[String: Any]])
        return try cases.map { c in
            (try XCTUnwrap(c["text"] as? String), try XCTUnwrap(c["ids"] as? [Int]),
             try XCTUnwrap(c["embedding"] as? [Double]).map(Float.init))
        }
    }

    func testEmbeddingsMatchSentenceTransformersInOnePaddedBatch() throws {
        let encoder = try Self.encoder.get()
        let cases = try Self.cases()
        XCTAssertEqual(cases.count, 10)
        XCTAssertGreaterThanOrEqual(Set(cases.map(\.ids.count)).count, 6, "the fixture should mix lengths so the batch is padded")
        XCTAssertEqual(encoder.dimension, 384)
        XCTAssertEqual(encoder.maxSequenceLength, 256)
        let ours = try encoder.embed(cases.map(\.text))
        var worstDiff: Float = 0, worstCosine = 1.0
        for (c, e) in zip(cases, ours) {
            XCTAssertEqual(encoder.tokenize(c.text), c.ids, "\(c.text.debugDescription)")
            XCTAssertEqual(e.count, 384)
            let cosine = try SentenceEncoder.cosineSimilarity(e, c.embedding)
            let diff = maxAbsDifference(e, c.embedding)
            print("  \(c.text.debugDescription.padding(toLength: 72, withPad: " ", startingAt: 0)) \(c.ids.count) tokens  "
                  + String(format: "cos %.7f  max|Δ| %.2e", cosine, diff))
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, "\(c.text.debugDescription): cosine \(cosine)")
            worstDiff = max(worstDiff, diff)
            worstCosine = min(worstCosine, cosine)
        }
        print("MiniLM embeddings vs sentence-transformers: min cosine \(worstCosine), max |Δ| = \(worstDiff) (tolerance 1e-5)")
        XCTAssertLessThan(worstDiff, 1e-5)
    }

    func testEmbeddingsAreUnitVectorsIndependentOfBatchingAndOrder() throws {
        let encoder = try Self.encoder.get()
        let texts = try Self.cases().map(\.text)
        let together = try encoder.embed(texts)
        let inThrees = try encoder.embed(texts, batchSize: 3)
        let alone = try encoder.embed(texts[8])
        var worst: Float = 0
        for (a, b) in zip(together, inThrees) { worst = max(worst, maxAbsDifference(a, b)) }
        worst = max(worst, maxAbsDifference(alone, together[8]))
        print("MiniLM: batching changes embeddings by at most \(worst) (tolerance 1e-5)")
        XCTAssertLessThan(worst, 1e-5)
        for e in together {
            let norm = e.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertLessThan(abs(norm - 1), 1e-5)
        }
        XCTAssertTrue(try encoder.embed([String]()).isEmpty)
    }

    /// Paraphrases are closer than unrelated sentences: the property the diversity metric relies on.
    func testParaphrasesAreCloserThanUnrelatedSentences() throws {
        let encoder = try Self.encoder.get()
        let e = try encoder.embed(["The cat sits on the mat.", "A feline is resting on a rug.", "Stock markets fell sharply on Monday."])
        let close = try SentenceEncoder.cosineSimilarity(e[0], e[1])
        let far = try SentenceEncoder.cosineSimilarity(e[0], e[2])
        XCTAssertGreaterThan(close, far + 0.3, "paraphrase \(close), unrelated \(far)")
    }

    func testLongTextsAreCutToTheModelsLimit() throws {
        let encoder = try Self.encoder.get()
        let long = Array(repeating: "word", count: 400).joined(separator: " ")
        XCTAssertEqual(encoder.tokenize(long).count, 256)
        let e = try encoder.embed([long, "short"])
        XCTAssertEqual(e.map(\.count), [384, 384])
    }

    func testBadInputsAreErrors() throws {
        XCTAssertThrowsError(try SentenceEncoder.load("/no/such/encoder")) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        do {
            _ = try SentenceEncoder.load("/no/such/encoder")
        } catch let error as LanguageModelError {
            XCTAssertEqual(error.hint?.contains("scripts/setup"), true)
        }
        XCTAssertThrowsError(try SentenceEncoder.cosineSimilarity([1, 0], [1, 0, 0])) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        XCTAssertEqual(try SentenceEncoder.cosineSimilarity([0, 0], [1, 0]), 0)
        let encoder = try Self.encoder.get()
        XCTAssertThrowsError(try encoder.embed(["a"], batchSize: 0)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
        // A GPT-2 folder is not a BERT encoder.
        XCTAssertThrowsError(try BertEncoder.load(directory: TestPaths.fixtures.appendingPathComponent("tiny_gpt2").path)) { XCTAssertTrue($0 is LanguageModelError, "\($0)") }
    }

    /// The SIMD erf against libm's erff on a fine grid, and the GELU kernel on a size with a tail
    /// and two threads' chunks against the scalar formula.
    func testErfAndGeluMatchLibm() throws {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            let v = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0001 })
            let e = BertLayer.erf(v)
            worst = max(worst, maxAbsDifference((0..<16).map { e[$0] }, (0..<16).map { erff(v[$0]) }))
            x += 0.0016
        }
        print("erf vs erff on [-6, 6]: max |Δ| = \(worst) (tolerance 5e-7)")
        XCTAssertLessThan(worst, 5e-7)
        let n = 70_001
        let input = (0..<n).map { Float($0 % 997) / 83 - 6 }
        let out = try BertLayer.gelu(try Tensor(shape: [n], scalars: input)).scalars
        let reference = input.map { 0.5 * $0 * (1 + erff($0 * 0.70710678118654752)) }
        let geluWorst = maxAbsDifference(out, reference)
        print("GELU kernel vs 0.5x(1 + erff(x/√2)): max |Δ| = \(geluWorst) (tolerance 2e-6)")
        XCTAssertLessThan(geluWorst, 2e-6)
    }
}
