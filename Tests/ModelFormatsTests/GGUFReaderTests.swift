import Foundation
import Testing
import ModelFormats

@Suite struct GGUFReaderTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = TestPaths.scratchFile(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Opens `bytes` as a GGUF file and returns the error it must throw.
    func failure(_ bytes: [UInt8], _ name: String) throws -> ModelFormatError {
        let path = try write(bytes, name)
        do {
            _ = try GGUFFile(path: path)
        } catch let error as ModelFormatError {
            #expect(error.file == path)
            return error
        }
        Issue.record("\(name): the file was accepted")
        return ModelFormatError(.invalidValue, file: path, field: "", "accepted")
    }

    @Test func smallValidFileReadsEveryValueKind() throws {
        for version: UInt32 in [2, 3] {
            let path = try write(GGUFWriter.validFile(version: version), "valid-v\(version).gguf")
            let file = try GGUFFile(path: path)
            #expect(file.version == version)
            #expect(file.metadataKeys.count == 6)
            #expect(file.metadata["test.u8"] == .uint8(7))
            #expect(file.metadata["test.f32"] == .float32(0.5))
            #expect(file.metadata["test.bool"] == .bool(true))
            #expect(file.metadata["test.strings"] == .array(.string, [.string("a"), .string("ü")]))
            #expect(file.metadata["test.nested"] == .array(.array, [.array(.uint32, [.uint32(1), .uint32(2)])]))
            #expect(file.alignment == 32)
            #expect(file.dataOffset % 32 == 0)
            #expect(try file.dequantize("norm") == [1, 2, 3, 4])
            let q8 = try #require(file.tensorInfo("q8"))
            #expect(q8.dimensions == [32, 2] && q8.shape == [2, 32] && q8.type == .q8_0 && q8.byteCount == 68)
            let values = try file.dequantize("q8")
            #expect(values.count == 64)
            #expect(values[0] == -8 && values[31] == 7.5 && values[32] == -7.5)
            #expect(try file.dequantizeRows("q8", 1..<2) == Array(values[32...]))
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = GGUFWriter.validFile()
        for length in 0..<bytes.count {
            let path = try write(Array(bytes[..<length]), "truncated.gguf")
            do {
                _ = try GGUFFile(path: path)
                Issue.record("a file cut to \(length) of \(bytes.count) bytes was accepted")
            } catch let error as ModelFormatError {
                #expect([.truncated, .outOfBounds, .badMagic, .implausibleSize].contains(error.kind), "\(length): \(error)")
            }
        }
    }

    @Test func wrongMagicAndVersion() throws {
        var bytes = GGUFWriter.validFile()
        bytes[0] = 0x50
        let magic = try failure(bytes, "magic.gguf")
        #expect(magic.kind == .badMagic && magic.field == "magic")
        #expect(magic.description.contains("not a GGUF file"))
        let v1 = try failure(GGUFWriter.validFile(version: 1), "v1.gguf")
        #expect(v1.kind == .unsupportedVersion && v1.field == "version")
        let bigEndian = try failure(GGUFWriter.validFile(version: UInt32(3).byteSwapped), "be.gguf")
        #expect(bigEndian.description.contains("big-endian"))
    }

    @Test func headerClaimingGigabytes() throws {
        var bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(8..<16, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        let tensors = try failure(bytes, "tensor-count.gguf")
        #expect(tensors.kind == .implausibleSize && tensors.field == "tensor count")

        bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(16..<24, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        let keys = try failure(bytes, "kv-count.gguf")
        #expect(keys.kind == .implausibleSize && keys.field == "metadata count")

        bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(24..<32, with: withUnsafeBytes(of: UInt64(5 << 30).littleEndian) { Array($0) })
        let key = try failure(bytes, "key-length.gguf")
        #expect(key.kind == .truncated && key.field == "metadata key #0")

        let array = try failure(GGUFWriter.validFile(stringArrayCount: 1 << 33), "array-count.gguf")
        #expect(array.kind == .implausibleSize && array.field == "metadata 'test.strings' count")

        let dims = try failure(GGUFWriter.validFile(q8Dims: [32, 1 << 40]), "dims.gguf")
        #expect(dims.kind == .implausibleSize && dims.field == "tensor 'q8' dimension 1")
    }

    @Test func unknownTypesAndBadUTF8() throws {
        var bytes = GGUFWriter.validFile()
        let typeOffset = 24 + 8 + "general.architecture".utf8.count
        bytes[typeOffset] = 99
        let valueType = try failure(bytes, "value-type.gguf")
        #expect(valueType.kind == .unknownType && valueType.field == "metadata 'general.architecture' type")

        bytes = GGUFWriter.validFile()
        bytes[24 + 8 + 3] = 0xFF
        let utf8 = try failure(bytes, "utf8.gguf")
        #expect(utf8.kind == .badUTF8 && utf8.field == "metadata key #0")

        let tensorType = try failure(GGUFWriter.validFile(q8Type: 77), "tensor-type.gguf")
        #expect(tensorType.kind == .unknownType && tensorType.field == "tensor 'q8' type")

        // A known type without a known layout (IQ2_XXS) is refused by name.
        let iq = try failure(GGUFWriter.validFile(q8Type: 16, q8Dims: [256, 1]), "iq.gguf")
        #expect(iq.kind == .unknownType && iq.description.contains("IQ2_XXS"))
    }

    @Test func tensorOutsideTheFile() throws {
        let past = try failure(GGUFWriter.validFile(q8Offset: 1 << 20), "offset.gguf")
        #expect(past.kind == .outOfBounds && past.field == "tensor 'q8' offset")
        let overlong = try failure(GGUFWriter.validFile(q8Dims: [32, 3]), "size.gguf")
        #expect(overlong.kind == .outOfBounds && overlong.field == "tensor 'q8' offset")
        let misaligned = try failure(GGUFWriter.validFile(q8Offset: 33), "misaligned.gguf")
        #expect(misaligned.kind == .invalidValue && misaligned.field == "tensor 'q8' offset")
        let partialBlock = try failure(GGUFWriter.validFile(q8Dims: [16, 4]), "block.gguf")
        #expect(partialBlock.kind == .invalidValue && partialBlock.field == "tensor 'q8' dimensions")
        let alignment = try failure(GGUFWriter.validFile(alignment: 3), "alignment.gguf")
        #expect(alignment.kind == .invalidValue && alignment.field == "metadata 'general.alignment'")
        let missing = try #require(try? GGUFFile(path: try write(GGUFWriter.validFile(), "ok.gguf")))
        #expect(throws: ModelFormatError.self) { try missing.dequantize("absent") }
        #expect(throws: ModelFormatError.self) { try missing.dequantizeRows("q8", 1..<3) }
    }

    @Test func missingAndEmptyFiles() throws {
        #expect(throws: ModelFormatError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        let empty = try failure([], "empty.gguf")
        #expect(empty.kind == .truncated && empty.field == "magic")
    }
}
