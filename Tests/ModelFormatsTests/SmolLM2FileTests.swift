import Foundation
import XCTest
import ModelFormats

/// The default model file, read and dequantised against numbers from the `gguf` Python package
/// (scripts/fixtures/make_gguf_fixtures.py → Tests/Fixtures/gguf_dequant.json).
final class SmolLM2FileTests: XCTestCase {
    var fixture: [String: Any] = [:]
    var file: GGUFFile!

    override func setUpWithError() throws {
        try super.setUpWithError()
        fixture = try TestPaths.fixtureJSON("gguf_dequant.json")
        file = try GGUFFile(path: TestPaths.smollm2)
    }

    func testTensorTableMatchesGGUFPackage() throws {
        let tensors = try XCTUnwrap(fixture["tensors"] as? [[String: Any]])
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.tensors.count, tensors.count)
        for (ours, theirs) in zip(file.tensors, tensors) {
            XCTAssertEqual(ours.name, theirs["name"] as? String)
            XCTAssertEqual(ours.dimensions, theirs["dims"] as? [Int], "\(ours.name)")
            XCTAssertEqual(ours.type.description, theirs["type"] as? String, "\(ours.name)")
            XCTAssertEqual(ours.fileOffset, theirs["offset"] as? Int, "\(ours.name)")
        }
        var types: [String: Int] = [:]
        for t in file.tensors { types[t.type.description, default: 0] += 1 }
        XCTAssertEqual(types, ["F32": 61, "Q4_1": 210, "Q8_0": 1])
    }

    func testHyperparameters() throws {
        let h = try file.hyperparameters()
        XCTAssertEqual(h.family, .llama)
        XCTAssertTrue(h.layerCount == 30 && h.headCount == 9 && h.keyValueHeadCount == 3)
        XCTAssertTrue(h.embeddingLength == 576 && h.feedForwardLength == 1536 && h.headDimension == 64)
        XCTAssertTrue(h.vocabularySize == 49152 && h.contextLength == 8192 && h.ropeDimensionCount == 64)
        XCTAssertTrue(h.ropeBase == 100_000 && h.normEpsilon == Float(1e-5))
        XCTAssertTrue(h.tiedEmbeddings)
    }

    func testTokenizerMetadata() throws {
        let t = try file.tokenizerMetadata()
        XCTAssertTrue(t.model == "gpt2" && t.preTokenizer == "smollm")
        XCTAssertTrue(t.tokens.count == 49152 && t.tokenTypes.count == 49152 && t.merges.count == 48900)
        XCTAssertTrue(t.tokens[1] == "<|im_start|>" && t.tokens[2] == "<|im_end|>")
        XCTAssertEqual(t.merges[0], "Ġ t")
        XCTAssertTrue(t.bosTokenID == 1 && t.eosTokenID == 2 && t.unknownTokenID == 0 && t.paddingTokenID == 2)
        XCTAssertFalse(t.addBOS)
        XCTAssertEqual(t.chatTemplate?.contains("<|im_start|>"), true)
    }

    func testDequantisedRowsMatchGGUFPackage() throws {
        let slices = try XCTUnwrap(fixture["slices"] as? [[String: Any]])
        for slice in slices {
            let name = try XCTUnwrap(slice["name"] as? String), row = try XCTUnwrap(slice["row"] as? Int)
            let expected = try XCTUnwrap(slice["values"] as? [Double]).map(Float.init)
            let ours = try file.dequantizeRows(name, row..<(row + 1))
            let diff = maxAbsDifference(ours, expected)
            print("\(name) row \(row): max |diff| = \(diff)")
            XCTAssertLessThanOrEqual(diff, 1e-6, "\(name) row \(row): max |diff| = \(diff)")
        }
    }
}

/// transformers undoes llama.cpp's q/k row permutation when it loads the GGUF; our un-permute of the
/// dequantised rows must give exactly its q_proj/k_proj rows (Tests/Fixtures/smollm2_hf_qk_rows.json).
final class RotaryPermutationAgainstTransformersTests: XCTestCase {
    func testUnpermutedRowsMatchTransformers() throws {
        let fixture = try TestPaths.fixtureJSON("smollm2_hf_qk_rows.json")
        let rows = try XCTUnwrap(fixture["rows"] as? [[String: Any]])
        let headDim = try XCTUnwrap(fixture["head_dim"] as? Int)
        let file = try GGUFFile(path: TestPaths.smollm2)
        let h = try file.hyperparameters()
        XCTAssertTrue(headDim == h.headDimension && fixture["heads"] as? Int == h.headCount && fixture["kv_heads"] as? Int == h.keyValueHeadCount)
        var unpermuted: [String: [Float]] = [:]
        var movedRows = 0
        for entry in rows {
            let name = try XCTUnwrap(entry["gguf_tensor"] as? String)
            let row = try XCTUnwrap(entry["row"] as? Int)
            let expected = try XCTUnwrap(entry["values"] as? [Double]).map(Float.init)
            let info = try XCTUnwrap(file.tensorInfo(name))
            let heads = name.hasSuffix("attn_q.weight") ? h.headCount : h.keyValueHeadCount
            if unpermuted[name] == nil {
                unpermuted[name] = RotaryPermutation.toHuggingFaceOrder(try file.dequantize(name), heads: heads,
                                                                        headDimension: headDim, columns: info.rowLength)
            }
            let ours = Array(try XCTUnwrap(unpermuted[name])[(row * info.rowLength)..<((row + 1) * info.rowLength)])
            let diff = maxAbsDifference(ours, expected)
            XCTAssertEqual(diff, 0, "\(name) HF row \(row): max |diff| = \(diff)")
            // The stored (GGUF-order) row differs wherever the permutation moves it.
            let stored = try file.dequantizeRows(name, row..<(row + 1))
            if RotaryPermutation.huggingFaceRow(ofGGUFRow: row % headDim, headDimension: headDim) != row % headDim {
                movedRows += 1
                XCTAssertGreaterThan(maxAbsDifference(stored, expected), 0, "\(name) row \(row) should be permuted in the file")
            }
        }
        XCTAssertGreaterThanOrEqual(movedRows, 8)
    }
}

final class DequantizerTests: XCTestCase {
    /// Random blocks of every supported type, dequantised by gguf.quants.dequantize.
    func testEveryTypeMatchesGGUFPackage() throws {
        let fixture = try TestPaths.fixtureJSON("gguf_dequant.json")
        let blocks = try XCTUnwrap(fixture["blocks"] as? [String: [String: Any]])
        XCTAssertEqual(blocks.count, 13)
        for (name, entry) in blocks.sorted(by: { $0.key < $1.key }) {
            let code = try XCTUnwrap(entry["type"] as? Int)
            let type = try XCTUnwrap(GGMLType(rawValue: UInt32(code)))
            XCTAssertEqual(type.description, name)
            let bytes = hexBytes(try XCTUnwrap(entry["hex"] as? String))
            let expected = try XCTUnwrap(entry["values"] as? [Double]).map(Float.init)
            XCTAssertEqual(type.byteCount(elements: expected.count), bytes.count, "\(name)")
            var ours = [Float](repeating: .nan, count: expected.count)
            bytes.withUnsafeBytes { src in
                ours.withUnsafeMutableBufferPointer { Dequantizer.dequantize(type, from: src, into: $0) }
            }
            let scale = expected.map(abs).max() ?? 1
            let diff = maxAbsDifference(ours, expected)
            print("\(name): max |diff| = \(diff) (values up to \(scale))")
            XCTAssertLessThanOrEqual(diff, 1e-6 * max(1, scale), "\(name): max |diff| = \(diff)")
        }
    }
}

final class RotaryPermutationTests: XCTestCase {
    func testRoundTripAndPairing() {
        let heads = 2, d = 4, columns = 3
        let hf = (0..<(heads * d * columns)).map(Float.init)
        let gguf = RotaryPermutation.toGGUFOrder(hf, heads: heads, headDimension: d, columns: columns)
        // Head 0 in GGUF order holds HF rows 0, 2, 1, 3 (pairs (0, 2) and (1, 3) become adjacent).
        XCTAssertEqual(Array(gguf[0..<12]), [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
        XCTAssertEqual(RotaryPermutation.toHuggingFaceOrder(gguf, heads: heads, headDimension: d, columns: columns), hf)
        XCTAssertEqual((0..<4).map { RotaryPermutation.huggingFaceRow(ofGGUFRow: $0, headDimension: 4) }, [0, 2, 1, 3])
    }
}
