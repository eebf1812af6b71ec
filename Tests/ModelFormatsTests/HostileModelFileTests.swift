import Foundation
import Testing
import ModelFormats

/// Model files damaged the way a fault campaign damaged them: each one is refused with an error
/// naming the file and the field (or both tensors) at fault, never a trap or a silent load.
@Suite struct HostileModelFileTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = TestPaths.scratchFile(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func ggufError(_ bytes: [UInt8], _ name: String) throws -> ModelFormatError? {
        let path = try write(bytes, name)
        do { _ = try GGUFFile(path: path) } catch let error as ModelFormatError {
            #expect(error.file == path)
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

    @Test func ggufOffsetNearTwoToTheSixtyFourIsAnErrorNotATrap() throws {
        let error = try #require(try ggufError(GGUFWriter.validFile(q8Offset: UInt64.max - 31), "offset-2^64.gguf"))
        #expect(error.kind == .outOfBounds && error.field == "tensor 'q8' offset")
        #expect(error.detail.contains("\(UInt64.max - 31)"))
    }

    @Test func ggufDimensionBeyondIntAfterAZeroDimensionIsAnError() throws {
        let error = try #require(try ggufError(GGUFWriter.validFile(q8Dims: [32, 0, UInt64.max]), "dims-zero-huge.gguf"))
        #expect(error.kind == .implausibleSize && error.field == "tensor 'q8' dimension 2")
    }

    @Test func ggufTensorsSharingBytesAreAnErrorNamingBoth() throws {
        #expect(try GGUFFile(path: write(Self.twoTensorFile(), "two-tensors.gguf")).tensors.count == 2)
        let overlap = try #require(try ggufError(Self.twoTensorFile(offsetOfB: 0), "overlap.gguf"))
        #expect(overlap.kind == .outOfBounds && overlap.field == "tensors 'a' and 'b'")
        #expect(overlap.detail == "their data overlap: bytes 0..<32 and 0..<32 of the data section")
    }

    /// F32 → F64 doubles a's size, so it reads b's bytes as its own.
    @Test func ggufTypeChangedToOneReadingTheNeighbourIsAnError() throws {
        let error = try #require(try ggufError(Self.twoTensorFile(typeOfA: 28), "type-f64.gguf"))
        #expect(error.field == "tensors 'a' and 'b'" && error.detail.contains("0..<64 and 32..<64"))
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

    @Test func safetensorsTensorsSharingBytesAreAnErrorNamingBoth() throws {
        let error = try #require(try safetensorsError(
            #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
            dataBytes: 16, "overlap.safetensors"))
        #expect(error.kind == .outOfBounds && error.field == "tensors 'x' and 'y'")
        #expect(error.detail == "their data overlap: bytes 0..<16 and 8..<16 of the data section")
    }

    @Test func safetensorsFieldOfTheWrongTypeIsNotCalledMissing() throws {
        let dtype = try #require(try safetensorsError(#"{"x":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4, "dtype5.safetensors"))
        #expect(dtype.kind == .invalidValue && dtype.field == "tensor 'x' dtype" && dtype.detail.contains("found 5"))
        let shape = try #require(try safetensorsError(#"{"x":{"dtype":"F32","shape":"4","data_offsets":[0,4]}}"#, dataBytes: 4, "shape-string.safetensors"))
        #expect(shape.kind == .invalidValue && shape.field == "tensor 'x' shape")
        let missing = try #require(try safetensorsError(#"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4, "no-dtype.safetensors"))
        #expect(missing.kind == .missingField && missing.field == "tensor 'x' dtype")
        let boolSize = try #require(try safetensorsError(#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, dataBytes: 4, "shape-true.safetensors"))
        #expect(boolSize.field == "tensor 'x' shape")
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

    @Test func configValuesOfTheWrongJSONTypeAreErrorsNamingTheKey() throws {
        #expect(configError { _ in } == nil)
        for key in ["n_layer", "n_head", "vocab_size"] {
            let error = try #require(configError { $0[key] = true }, "\(key) = true was accepted")
            #expect(error.field == key && error.kind == .invalidValue && error.detail.contains("found true"))
        }
        #expect(configError { $0["n_embd"] = 32.5 }?.field == "n_embd")
        #expect(configError { $0["layer_norm_epsilon"] = "small" }?.field == "layer_norm_epsilon")
        #expect(configError { $0["tie_word_embeddings"] = "no" }?.field == "tie_word_embeddings")
        #expect(configError { $0["tie_word_embeddings"] = 0 }?.field == "tie_word_embeddings")
        #expect(configError { $0["activation_function"] = 7 }?.field == "activation_function")
        #expect(configError { $0["model_type"] = 2 }?.field == "model_type")
    }

    @Test func specialTokenIDsMustBeTokensOfTheVocabulary() throws {
        let huge = try #require(configError { $0["bos_token_id"] = 1 << 40 })
        #expect(huge.field == "bos_token_id" && huge.detail.contains("below vocab_size 256"))
        #expect(configError { $0["eos_token_id"] = 5.5 }?.field == "eos_token_id")
        #expect(configError { $0["eos_token_id"] = -1 }?.field == "eos_token_id")
        #expect(configError { $0["bos_token_id"] = true }?.field == "bos_token_id")
        #expect(configError { $0["eos_token_id"] = [3, 4] } == nil)
        #expect(configError { $0["eos_token_id"] = NSNull() } == nil)
    }
}

/// SHA-256 against the FIPS 180-4 examples, fed whole and in uneven pieces.
@Suite struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func piecesGiveTheSameDigestAsTheWhole() {
        let data = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var hasher = SHA256()
        var start = 0
        for size in [1, 63, 64, 65, 0, 200, 7] + [Int](repeating: 100, count: 6) where start < data.count {
            let end = min(data.count, start + size)
            hasher.update(data[start..<end])
            start = end
        }
        hasher.update(data[start...])
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == SHA256.hex(data))
    }
}
