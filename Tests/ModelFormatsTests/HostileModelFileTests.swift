import Foundation
import XCTest
import ModelFormats

/// Model files damaged the way a fault campaign damaged them: each one is refused with an error
/// naming the file and the field (or both tensors) at fault, never a trap or a silent load.
final class HostileModelFileTests: XCTestCase {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = TestPaths.scratchFile(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func ggufError(_ bytes: [UInt8], _ name: String) throws -> ModelFormatError? {
        let path = try write(bytes, name)
        do { _ = try GGUFFile(path: path) } catch let error as ModelFormatError {
            XCTAssertEqual(error.file, path)
            return error
        }
        return nil
    }

    /// Two F32 tensors of 8 elements, "a" at data offset 0 and "b" at 32, with a's type and b's offset settable.
    static func twoTensorFile(typeOfA: UInt32 = 0, offsetOfB: UInt64 = 32) -> [UInt8] {
        var w = GGUFWriter()
        w.u32(0x4655_4747); w.u32(3); w.u64(2); w.u64(1)
        w.string("general.architecture"); w.u32(8); w.string("llama")
        w.string("a"); w.u32(1); w.u64(8); w.u32(typeOfA); w.u64(0)
        w.string("b"); w.u32(1); w.u64(8); w.u32(0); w.u64(offsetOfB)
        w.pad(to: 32)
        for i in 0..<16 { w.f32(Float(i)) }
        return w.bytes
    }

    func testGgufOffsetNearTwoToTheSixtyFourIsAnErrorNotATrap() throws {
        let error = try XCTUnwrap(try ggufError(GGUFWriter.validFile(q8Offset: UInt64.max - 31), "offset-2^64.gguf"))
        XCTAssertTrue(error.kind == .outOfBounds && error.field == "tensor 'q8' offset")
        XCTAssertTrue(error.detail.contains("\(UInt64.max - 31)"))
    }

    func testGgufDimensionBeyondIntAfterAZeroDimensionIsAnError() throws {
        let error = try XCTUnwrap(try ggufError(GGUFWriter.validFile(q8Dims: [32, 0, UInt64.max]), "dims-zero-huge.gguf"))
        XCTAssertTrue(error.kind == .implausibleSize && error.field == "tensor 'q8' dimension 2")
    }

    func testGgufTensorsSharingBytesAreAnErrorNamingBoth() throws {
        XCTAssertEqual(try GGUFFile(path: write(Self.twoTensorFile(), "two-tensors.gguf")).tensors.count, 2)
        let overlap = try XCTUnwrap(try ggufError(Self.twoTensorFile(offsetOfB: 0), "overlap.gguf"))
        XCTAssertTrue(overlap.kind == .outOfBounds && overlap.field == "tensors 'a' and 'b'")
        XCTAssertEqual(overlap.detail, "their data overlap: bytes 0..<32 and 0..<32 of the data section")
    }

    /// F32 → F64 doubles a's size, so it reads b's bytes as its own.
    func testGgufTypeChangedToOneReadingTheNeighbourIsAnError() throws {
        let error = try XCTUnwrap(try ggufError(Self.twoTensorFile(typeOfA: 28), "type-f64.gguf"))
        XCTAssertTrue(error.field == "tensors 'a' and 'b'" && error.detail.contains("0..<64 and 32..<64"))
    }

    func safetensors(_ header: String, dataBytes: Int, _ name: String) throws -> String {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
        return try write(bytes, name)
    }

    func safetensorsError(_ header: String, dataBytes: Int, _ name: String) throws -> ModelFormatError? {
        do { _ = try SafetensorsFile(path: safetensors(header, dataBytes: dataBytes, name)) } catch let error as ModelFormatError {
            return error
        }
        return nil
    }

    func testSafetensorsTensorsSharingBytesAreAnErrorNamingBoth() throws {
        let error = try XCTUnwrap(try safetensorsError(
            #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
            dataBytes: 16, "overlap.safetensors"))
        XCTAssertTrue(error.kind == .outOfBounds && error.field == "tensors 'x' and 'y'")
        XCTAssertEqual(error.detail, "their data overlap: bytes 0..<16 and 8..<16 of the data section")
    }

    func testSafetensorsFieldOfTheWrongTypeIsNotCalledMissing() throws {
        let dtype = try XCTUnwrap(try safetensorsError(#"{"x":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4, "dtype5.safetensors"))
        XCTAssertTrue(dtype.kind == .invalidValue && dtype.field == "tensor 'x' dtype" && dtype.detail.contains("found 5"))
        let shape = try XCTUnwrap(try safetensorsError(#"{"x":{"dtype":"F32","shape":"4","data_offsets":[0,4]}}"#, dataBytes: 4, "shape-string.safetensors"))
        XCTAssertTrue(shape.kind == .invalidValue && shape.field == "tensor 'x' shape")
        let missing = try XCTUnwrap(try safetensorsError(#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4, "no-dtype.safetensors"))
        XCTAssertTrue(missing.kind == .missingField && missing.field == "tensor 'x' dtype")
        let boolSize = try XCTUnwrap(try safetensorsError(#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, dataBytes: 4, "shape-true.safetensors"))
        XCTAssertEqual(boolSize.field, "tensor 'x' shape")
    }

    // MARK: - config.json

    static var gpt2: [String: Any] { ["model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_layer": 2, "vocab_size": 256,
                                      "n_positions": 64, "bos_token_id": 0, "eos_token_id": 0] }

    func configError(_ change: (inout [String: Any]) -> Void) -> ModelFormatError? {
        var json = Self.gpt2
        change(&json)
        // Through JSONSerialization, as a file on disk is read: Foundation's own numbers and booleans.
        guard let data = try? JSONSerialization.data(withJSONObject: json),
              let parsed = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        do { _ = try HuggingFaceConfig(json: parsed, file: "config.json") } catch let error as ModelFormatError { return error } catch {
            return nil
        }
        return nil
    }

    func testConfigValuesOfTheWrongJSONTypeAreErrorsNamingTheKey() throws {
        XCTAssertNil(configError { _ in })
        for key in ["n_layer", "n_head", "vocab_size"] {
            let error = try XCTUnwrap(configError { $0[key] = true }, "\(key) = true was accepted")
            XCTAssertTrue(error.field == key && error.kind == .invalidValue && error.detail.contains("found true"))
        }
        XCTAssertEqual(configError { $0["n_embd"] = 32.5 }?.field, "n_embd")
        XCTAssertEqual(configError { $0["layer_norm_epsilon"] = "small" }?.field, "layer_norm_epsilon")
        XCTAssertEqual(configError { $0["tie_word_embeddings"] = "no" }?.field, "tie_word_embeddings")
        XCTAssertEqual(configError { $0["tie_word_embeddings"] = 0 }?.field, "tie_word_embeddings")
        XCTAssertEqual(configError { $0["activation_function"] = 7 }?.field, "activation_function")
        XCTAssertEqual(configError { $0["model_type"] = 2 }?.field, "model_type")
    }

    func testSpecialTokenIDsMustBeTokensOfTheVocabulary() throws {
        let huge = try XCTUnwrap(configError { $0["bos_token_id"] = 1 << 40 })
        XCTAssertTrue(huge.field == "bos_token_id" && huge.detail.contains("below vocab_size 256"))
        XCTAssertEqual(configError { $0["eos_token_id"] = 5.5 }?.field, "eos_token_id")
        XCTAssertEqual(configError { $0["eos_token_id"] = -1 }?.field, "eos_token_id")
        XCTAssertEqual(configError { $0["bos_token_id"] = true }?.field, "bos_token_id")
        XCTAssertNil(configError { $0["eos_token_id"] = [3, 4] })
        XCTAssertNil(configError { $0["eos_token_id"] = NSNull() })
    }
}

/// SHA-256 against the FIPS 180-4 examples, fed whole and in uneven pieces.
final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPiecesGiveTheSameDigestAsTheWhole() {
        let data = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var hasher = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 0, 200, 7] + [Int](repeating: 100, count: 6) where start < data.count {
            let end = min(data.count, start + size)
            hasher.update(data[start..<end])
            start = end
        }
        hasher.update(data[start...])
        XCTAssertEqual(hasher.finalize().map { String(format: "%02x", $0) }.joined(), SHA256.hex(data))
    }
}
