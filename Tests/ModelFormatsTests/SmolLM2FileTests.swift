import Foundation
import Testing
import ModelFormats

/// The default model file, read and dequantised against numbers from the `gguf` Python package
/// (scripts/fixtures/make_gguf_fixtures.py → Tests/Fixtures/gguf_dequant.json).
@Suite struct SmolLM2FileTests {
    let fixture: [String: Any]
    let file: GGUFFile

    init() throws {
        fixture = try TestPaths.fixtureJSON("gguf_dequant.json")
        file = try GGUFFile(path: TestPaths.smollm2)
    }

    @Test func tensorTableMatchesGGUFPackage() throws {
        let tensors = try #require(fixture["tensors"] as? [[String: Any]])
        #expect(file.version == 3)
        #expect(file.tensors.count == tensors.count)
        for (ours, theirs) in zip(file.tensors, tensors) {
            #expect(ours.name == theirs["name"] as? String)
            #expect(ours.dimensions == theirs["dims"] as? [Int], "\(ours.name)")
            #expect(ours.type.description == theirs["type"] as? String, "\(ours.name)")
            #expect(ours.fileOffset == theirs["offset"] as? Int, "\(ours.name)")
        }
        var types: [String: Int] = [:]
        for t in file.tensors { types[t.type.description, default: 0] += 1 }
        #expect(types == ["F32": 61, "Q4_1": 210, "Q8_0": 1])
    }

    @Test func hyperparameters() throws {
        let h = try file.hyperparameters()
        #expect(h.family == .llama)
        #expect(h.layerCount == 30 && h.headCount == 9 && h.keyValueHeadCount == 3)
        #expect(h.embeddingLength == 576 && h.feedForwardLength == 1536 && h.headDimension == 64)
        #expect(h.vocabularySize == 49152 && h.contextLength == 8192 && h.ropeDimensionCount == 64)
        #expect(h.ropeBase == 100_000 && h.normEpsilon == Float(1e-5))
        #expect(h.tiedEmbeddings)
    }

    @Test func tokenizerMetadata() throws {
        let t = try file.tokenizerMetadata()
        #expect(t.model == "gpt2" && t.preTokenizer == "smollm")
        #expect(t.tokens.count == 49152 && t.tokenTypes.count == 49152 && t.merges.count == 48900)
        #expect(t.tokens[1] == "<|im_start|>" && t.tokens[2] == "<|im_end|>")
        #expect(t.merges[0] == "Ġ t")
        #expect(t.bosTokenID == 1 && t.eosTokenID == 2 && t.unknownTokenID == 0 && t.paddingTokenID == 2)
        #expect(!t.addBOS)
        #expect(t.chatTemplate?.contains("<|im_start|>") == true)
    }

    @Test func dequantisedRowsMatchGGUFPackage() throws {
        let slices = try #require(fixture["slices"] as? [[String: Any]])
        for slice in slices {
            let name = try #require(slice["name"] as? String), row = try #require(slice["row"] as? Int)
            let expected = try #require(slice["values"] as? [Double]).map(Float.init)
            let ours = try file.dequantizeRows(name, row..<(row + 1))
            let diff = maxAbsDifference(ours, expected)
            print("\(name) row \(row): max |diff| = \(diff)")
            #expect(diff <= 1e-6, "\(name) row \(row): max |diff| = \(diff)")
        }
    }
}

/// transformers undoes llama.cpp's q/k row permutation when it loads the GGUF; our un-permute of the
/// dequantised rows must give exactly its q_proj/k_proj rows (Tests/Fixtures/smollm2_hf_qk_rows.json).
@Suite struct RotaryPermutationAgainstTransformersTests {
    @Test func unpermutedRowsMatchTransformers() throws {
        let fixture = try TestPaths.fixtureJSON("smollm2_hf_qk_rows.json")
        let rows = try #require(fixture["rows"] as? [[String: Any]])
        let headDim = try #require(fixture["head_dim"] as? Int)
        let file = try GGUFFile(path: TestPaths.smollm2)
        let h = try file.hyperparameters()
        #expect(headDim == h.headDimension && fixture["heads"] as? Int == h.headCount && fixture["kv_heads"] as? Int == h.keyValueHeadCount)
        var unpermuted: [String: [Float]] = [:]
        var movedRows = 0
        for entry in rows {
            let name = try #require(entry["gguf_tensor"] as? String)
            let row = try #require(entry["row"] as? Int)
            let expected = try #require(entry["values"] as? [Double]).map(Float.init)
            let info = try #require(file.tensorInfo(name))
            let heads = name.hasSuffix("attn_q.weight") ? h.headCount : h.keyValueHeadCount
            if unpermuted[name] == nil {
                unpermuted[name] = RotaryPermutation.toHuggingFaceOrder(try file.dequantize(name), heads: heads,
                                                                        headDimension: headDim, columns: info.rowLength)
            }
            let ours = Array(try #require(unpermuted[name])[(row * info.rowLength)..<((row + 1) * info.rowLength)])
            let diff = maxAbsDifference(ours, expected)
            #expect(diff == 0, "\(name) HF row \(row): max |diff| = \(diff)")
            // The stored (GGUF-order) row differs wherever the permutation moves it.
            let stored = try file.dequantizeRows(name, row..<(row + 1))
            if RotaryPermutation.huggingFaceRow(ofGGUFRow: row % headDim, headDimension: headDim) != row % headDim {
                movedRows += 1
                #expect(maxAbsDifference(stored, expected) > 0, "\(name) row \(row) should be permuted in the file")
            }
        }
        #expect(movedRows >= 8)
    }
}

@Suite struct DequantizerTests {
    /// Random blocks of every supported type, dequantised by gguf.quants.dequantize.
    @Test func everyTypeMatchesGGUFPackage() throws {
        let fixture = try TestPaths.fixtureJSON("gguf_dequant.json")
        let blocks = try #require(fixture["blocks"] as? [String: [String: Any]])
        #expect(blocks.count == 13)
        for (name, entry) in blocks.sorted(by: { $0.key < $1.key }) {
            let code = try #require(entry["type"] as? Int)
            let type = try #require(GGMLType(rawValue: UInt32(code)))
            #expect(type.description == name)
            let bytes = hexBytes(try #require(entry["hex"] as? String))
            let expected = try #require(entry["values"] as? [Double]).map(Float.init)
            #expect(type.byteCount(elements: expected.count) == bytes.count, "\(name)")
            var ours = [Float](repeating: .nan, count: expected.count)
            bytes.withUnsafeBytes { src in
                ours.withUnsafeMutableBufferPointer { Dequantizer.dequantize(type, from: src, into: $0) }
            }
            let scale = expected.map(abs).max() ?? 1
            let diff = maxAbsDifference(ours, expected)
            print("\(name): max |diff| = \(diff) (values up to \(scale))")
            #expect(diff <= 1e-6 * max(1, scale), "\(name): max |diff| = \(diff)")
        }
    }
}

@Suite struct RotaryPermutationTests {
    @Test func roundTripAndPairing() {
        let heads = 2, d = 4, columns = 3
        let hf = (0..<(heads * d * columns)).map(Float.init)
        let gguf = RotaryPermutation.toGGUFOrder(hf, heads: heads, headDimension: d, columns: columns)
        // Head 0 in GGUF order holds HF rows 0, 2, 1, 3 (pairs (0, 2) and (1, 3) become adjacent).
        #expect(Array(gguf[0..<12]) == [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
        #expect(RotaryPermutation.toHuggingFaceOrder(gguf, heads: heads, headDimension: d, columns: columns) == hf)
        #expect((0..<4).map { RotaryPermutation.huggingFaceRow(ofGGUFRow: $0, headDimension: 4) } == [0, 2, 1, 3])
    }
}
