import Foundation
import XCTest
import ModelFormats

final class SafetensorsTests: XCTestCase {
    let tinyGPT2 = TestPaths.fixtures.appendingPathComponent("tiny_gpt2").path
    let tinyGPT2Sharded = TestPaths.fixtures.appendingPathComponent("tiny_gpt2_sharded").path

    /// The tiny GPT-2 that transformers saved: every tensor with the name and shape safetensors reports.
    func testTinyGPT2NamesAndShapes() throws {
        let fixture = try TestPaths.fixtureJSON("tiny_gpt2_logits.json")
        let shapes = try XCTUnwrap(fixture["tensor_shapes"] as? [String: [Int]])
        let checkpoint = try SafetensorsCheckpoint(path: tinyGPT2)
        XCTAssertEqual(checkpoint.tensorNames, shapes.keys.sorted())
        for (name, shape) in shapes {
            let info = try XCTUnwrap(checkpoint.tensorInfo(name))
            XCTAssertEqual(info.shape, shape, "\(name)")
            XCTAssertEqual(info.dtype, .f32)
        }
        XCTAssertEqual(checkpoint.tensorInfo("transformer.h.0.attn.c_attn.weight")?.shape, [32, 96])  // Conv1D: [in, out]
        XCTAssertEqual(try checkpoint.floats("transformer.wte.weight").count, 256 * 32)

        let config = try HuggingFaceConfig(path: tinyGPT2)
        XCTAssertTrue(config.modelType == "gpt2" && config.activation == "gelu_new")
        let h = config.hyperparameters
        XCTAssertTrue(h.family == .gpt2 && h.layerCount == 2 && h.headCount == 4 && h.embeddingLength == 32)
        XCTAssertTrue(h.feedForwardLength == 128 && h.vocabularySize == 256 && h.contextLength == 64 && h.tiedEmbeddings)
    }

    func testShardedCheckpointMatchesSingleFile() throws {
        let single = try SafetensorsCheckpoint(path: tinyGPT2)
        let sharded = try SafetensorsCheckpoint(path: tinyGPT2Sharded)
        XCTAssertEqual(sharded.shards.count, 3)
        XCTAssertEqual(sharded.tensorNames, single.tensorNames)
        for name in single.tensorNames {
            XCTAssertEqual(try sharded.floats(name), try single.floats(name), "\(name)")
        }
        XCTAssertThrowsError(try sharded.floats("lm_head.weight")) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
    }

    func testWriterRoundTripAndHalfTypes() throws {
        let path = TestPaths.scratchFile("rt.safetensors")
        try SafetensorsWriter.write([.init(name: "a", shape: [2, 3], values: [1, 2, 3, 4, 5, -6.5]),
                                     .init(name: "b.weight", shape: [1], values: [0.25])],
                                    metadata: ["format": "pt"], to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertTrue(try file.floats("a") == [1, 2, 3, 4, 5, -6.5] && file.tensorInfo("a")?.shape == [2, 3])
        XCTAssertEqual(try file.floats("b.weight"), [0.25])

        // F16 1.0, -2.0 and BF16 0.5, 3.0 written by hand.
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0], bf16: [UInt8] = [0x00, 0x3F, 0x40, 0x40]
        let half = try write(header: #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#,
                             data: f16 + bf16, "half.safetensors")
        let halfFile = try SafetensorsFile(path: half)
        XCTAssertTrue(try halfFile.floats("h") == [1, -2] && halfFile.floats("b") == [0.5, 3])
    }

    /// Opening the 90 MB MiniLM checkpoint reads its header only.
    func testRealCheckpointHeader() throws {
        let path = TestPaths.models.appendingPathComponent("all-MiniLM-L6-v2/model.safetensors").path
        let file = try SafetensorsFile(path: path)
        XCTAssertGreaterThan(file.tensors.count, 90)
        XCTAssertEqual(file.tensorInfo("embeddings.word_embeddings.weight")?.shape, [30522, 384])
    }

    func write(header: String, data: [UInt8], _ name: String, claimedLength: UInt64? = nil) throws -> String {
        try write(rawHeader: Array(header.utf8), data: data, name, claimedLength: claimedLength)
    }

    func write(rawHeader h: [UInt8], data: [UInt8], _ name: String, claimedLength: UInt64? = nil) throws -> String {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (claimedLength ?? UInt64(h.count)).littleEndian) { bytes += $0 }
        bytes += h + data
        let path = TestPaths.scratchFile(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func failure(_ path: String) throws -> ModelFormatError {
        do {
            _ = try SafetensorsFile(path: path)
        } catch let error as ModelFormatError {
            XCTAssertEqual(error.file, path)
            return error
        }
        XCTFail("\(path) was accepted")
        return ModelFormatError(.invalidValue, file: path, field: "", "accepted")
    }

    func testCorruptedFilesGiveErrorsNamingTheField() throws {
        let good = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = [UInt8](repeating: 0, count: 8)

        let empty = try failure(try write(header: "", data: [], "empty-header.safetensors"))
        XCTAssertTrue(empty.kind == .badJSON && empty.field == "header")
        let truncatedPath = TestPaths.scratchFile("trunc.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: truncatedPath))
        let truncated = try failure(truncatedPath)
        XCTAssertTrue(truncated.kind == .truncated && truncated.field == "header length")

        let huge = try failure(try write(header: good, data: data, "huge.safetensors", claimedLength: 5 << 30))
        XCTAssertTrue(huge.kind == .implausibleSize && huge.field == "header length")
        let long = try failure(try write(header: good, data: data, "long.safetensors", claimedLength: 500))
        XCTAssertTrue(long.kind == .truncated && long.field == "header length")

        var badKey = Array(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        badKey[2] = 0xFF
        let utf8 = try failure(try write(rawHeader: badKey, data: data, "utf8.safetensors"))
        XCTAssertTrue(utf8.kind == .badUTF8 && utf8.field == "header")

        let json = try failure(try write(header: #"{"x": [1, 2"#, data: data, "json.safetensors"))
        XCTAssertEqual(json.kind, .badJSON)
        let dtype = try failure(try write(header: #"{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: data, "dtype.safetensors"))
        XCTAssertTrue(dtype.kind == .unknownType && dtype.field == "tensor 'x' dtype")
        let past = try failure(try write(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: data, "past.safetensors"))
        XCTAssertTrue(past.kind == .outOfBounds && past.field == "tensor 'x' data_offsets")
        let size = try failure(try write(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data, "size.safetensors"))
        XCTAssertTrue(size.kind == .invalidValue && size.field == "tensor 'x' data_offsets")
        let overflow = try failure(try write(header: #"{"x":{"dtype":"F32","shape":[4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4],"data_offsets":[0,8]}}"#,
                                             data: data, "overflow.safetensors"))
        XCTAssertTrue(overflow.kind == .implausibleSize && overflow.field == "tensor 'x' shape")
        let missing = try failure(try write(header: #"{"x":{"dtype":"F32","shape":[2]}}"#, data: data, "missing.safetensors"))
        XCTAssertTrue(missing.kind == .missingField && missing.field == "tensor 'x' data_offsets")
        let file = try SafetensorsFile(path: try write(header: good, data: data, "good.safetensors"))
        XCTAssertThrowsError(try file.floats("y")) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
    }

    func testMiniLMConfig() throws {
        let config = try HuggingFaceConfig(path: TestPaths.models.appendingPathComponent("all-MiniLM-L6-v2").path)
        let h = config.hyperparameters
        XCTAssertTrue(config.modelType == "bert" && h.family == .bert && config.activation == "gelu")
        XCTAssertTrue(h.layerCount == 6 && h.headCount == 12 && h.embeddingLength == 384 && h.feedForwardLength == 1536)
        XCTAssertTrue(h.vocabularySize == 30522 && h.contextLength == 512 && h.normEpsilon == Float(1e-12))
        XCTAssertEqual(config.integers["type_vocab_size"], 2)
    }

    func testConfigErrors() throws {
        let llama: [String: Any] = ["model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
                                    "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
                                    "max_position_embeddings": 8192, "rope_theta": 100000.0, "rms_norm_eps": 1e-5,
                                    "tie_word_embeddings": true]
        let h = try HuggingFaceConfig(json: llama, file: "config.json").hyperparameters
        XCTAssertTrue(h.family == .llama && h.keyValueHeadCount == 3 && h.headDimension == 64 && h.ropeBase == 100_000 && h.tiedEmbeddings)
        var bad = llama
        bad["num_key_value_heads"] = 4
        XCTAssertThrowsError(try HuggingFaceConfig(json: bad, file: "config.json")) { e in
            XCTAssertTrue((e as? ModelFormatError)?.field == "key/value head count", "\(e)")
        }
        bad = llama
        bad.removeValue(forKey: "hidden_size")
        XCTAssertThrowsError(try HuggingFaceConfig(json: bad, file: "config.json")) { e in
            XCTAssertTrue((e as? ModelFormatError)?.field == "hidden_size" && (e as? ModelFormatError)?.kind == .missingField, "\(e)")
        }
        bad = llama
        bad["model_type"] = "t5"
        XCTAssertThrowsError(try HuggingFaceConfig(json: bad, file: "config.json")) { e in
            XCTAssertTrue((e as? ModelFormatError)?.field == "model_type", "\(e)")
        }
        bad = llama
        bad["rope_scaling"] = ["type": "linear", "factor": 2.0]
        XCTAssertThrowsError(try HuggingFaceConfig(json: bad, file: "config.json")) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
    }
}

