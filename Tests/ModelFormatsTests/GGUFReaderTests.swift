import Foundation
import XCTest
import ModelFormats

final class GGUFReaderTests: XCTestCase {
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
            XCTAssertEqual(error.file, path)
            return error
        }
        XCTFail("\(name): the file was accepted")
        return ModelFormatError(.invalidValue, file: path, field: "", "accepted")
    }

    func testSmallValidFileReadsEveryValueKind() throws {
        for version: UInt32 in [2, 3] {
            let path = try write(GGUFWriter.validFile(version: version), "valid-v\(version).gguf")
            let file = try GGUFFile(path: path)
            XCTAssertEqual(file.version, version)
            XCTAssertEqual(file.metadataKeys.count, 6)
            XCTAssertEqual(file.metadata["test.u8"], .uint8(7))
            XCTAssertEqual(file.metadata["test.f32"], .float32(0.5))
            XCTAssertEqual(file.metadata["test.bool"], .bool(true))
            XCTAssertEqual(file.metadata["test.strings"], .array(.string, [.string("a"), .string("ü")]))
            XCTAssertEqual(file.metadata["test.nested"], .array(.array, [.array(.uint32, [.uint32(1), .uint32(2)])]))
            XCTAssertEqual(file.alignment, 32)
            XCTAssertEqual(file.dataOffset % 32, 0)
            XCTAssertEqual(try file.dequantize("norm"), [1, 2, 3, 4])
            let q8 = try XCTUnwrap(file.tensorInfo("q8"))
            XCTAssertTrue(q8.dimensions == [32, 2] && q8.shape == [2, 32] && q8.type == .q8_0 && q8.byteCount == 68)
            let values = try file.dequantize("q8")
            XCTAssertEqual(values.count, 64)
            XCTAssertTrue(values[0] == -8 && values[31] == 7.5 && values[32] == -7.5)
            XCTAssertEqual(try file.dequantizeRows("q8", 1..<2), Array(values[32...]))
        }
    }

    func testEveryTruncationIsAnErrorNotACrash() throws {
        let bytes = GGUFWriter.validFile()
        for length in 0..<bytes.count {
            let path = try write(Array(bytes[..<length]), "truncated.gguf")
            do {
                _ = try GGUFFile(path: path)
                XCTFail("a file cut to \(length) of \(bytes.count) bytes was accepted")
            } catch let error as ModelFormatError {
                XCTAssertTrue([.truncated, .outOfBounds, .badMagic, .implausibleSize].contains(error.kind), "\(length): \(error)")
            }
        }
    }

    func testWrongMagicAndVersion() throws {
        var bytes = GGUFWriter.validFile()
        bytes[0] = 0x50
        let magic = try failure(bytes, "magic.gguf")
        XCTAssertTrue(magic.kind == .badMagic && magic.field == "magic")
        XCTAssertTrue(magic.description.contains("not a GGUF file"))
        let v1 = try failure(GGUFWriter.validFile(version: 1), "v1.gguf")
        XCTAssertTrue(v1.kind == .unsupportedVersion && v1.field == "version")
        let bigEndian = try failure(GGUFWriter.validFile(version: UInt32(3).byteSwapped), "be.gguf")
        XCTAssertTrue(bigEndian.description.contains("big-endian"))
    }

    func testHeaderClaimingGigabytes() throws {
        var bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(8..<16, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        let tensors = try failure(bytes, "tensor-count.gguf")
        XCTAssertTrue(tensors.kind == .implausibleSize && tensors.field == "tensor count")

        bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(16..<24, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        let keys = try failure(bytes, "kv-count.gguf")
        XCTAssertTrue(keys.kind == .implausibleSize && keys.field == "metadata count")

        bytes = GGUFWriter.validFile()
        bytes.replaceSubrange(24..<32, with: withUnsafeBytes(of: UInt64(5 << 30).littleEndian) { Array($0) })
        let key = try failure(bytes, "key-length.gguf")
        XCTAssertTrue(key.kind == .truncated && key.field == "metadata key #0")

        let array = try failure(GGUFWriter.validFile(stringArrayCount: 1 << 33), "array-count.gguf")
        XCTAssertTrue(array.kind == .implausibleSize && array.field == "metadata 'test.strings' count")

        let dims = try failure(GGUFWriter.validFile(q8Dims: [32, 1 << 40]), "dims.gguf")
        XCTAssertTrue(dims.kind == .implausibleSize && dims.field == "tensor 'q8' dimension 1")
    }

    func testUnknownTypesAndBadUTF8() throws {
        var bytes = GGUFWriter.validFile()
        let typeOffset = 24 + 8 + "general.architecture".utf8.count
        bytes[typeOffset] = 99
        let valueType = try failure(bytes, "value-type.gguf")
        XCTAssertTrue(valueType.kind == .unknownType && valueType.field == "metadata 'general.architecture' type")

        bytes = GGUFWriter.validFile()
        bytes[24 + 8 + 3] = 0xFF
        let utf8 = try failure(bytes, "utf8.gguf")
        XCTAssertTrue(utf8.kind == .badUTF8 && utf8.field == "metadata key #0")

        let tensorType = try failure(GGUFWriter.validFile(q8Type: 77), "tensor-type.gguf")
        XCTAssertTrue(tensorType.kind == .unknownType && tensorType.field == "tensor 'q8' type")

        // A known type without a known layout (IQ2_XXS) is refused by name.
        let iq = try failure(GGUFWriter.validFile(q8Type: 16, q8Dims: [256, 1]), "iq.gguf")
        XCTAssertTrue(iq.kind == .unknownType && iq.description.contains("IQ2_XXS"))
    }

    func testTensorOutsideTheFile() throws {
        let past = try failure(GGUFWriter.validFile(q8Offset: 1 << 20), "offset.gguf")
        XCTAssertTrue(past.kind == .outOfBounds && past.field == "tensor 'q8' offset")
        let overlong = try failure(GGUFWriter.validFile(q8Dims: [32, 3]), "size.gguf")
        XCTAssertTrue(overlong.kind == .outOfBounds && overlong.field == "tensor 'q8' offset")
        let misaligned = try failure(GGUFWriter.validFile(q8Offset: 33), "misaligned.gguf")
        XCTAssertTrue(misaligned.kind == .invalidValue && misaligned.field == "tensor 'q8' offset")
        let partialBlock = try failure(GGUFWriter.validFile(q8Dims: [16, 4]), "block.gguf")
        XCTAssertTrue(partialBlock.kind == .invalidValue && partialBlock.field == "tensor 'q8' dimensions")
        let alignment = try failure(GGUFWriter.validFile(alignment: 3), "alignment.gguf")
        XCTAssertTrue(alignment.kind == .invalidValue && alignment.field == "metadata 'general.alignment'")
        let missing = try XCTUnwrap(try? GGUFFile(path: try write(GGUFWriter.validFile(), "ok.gguf")))
        XCTAssertThrowsError(try missing.dequantize("absent")) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
        XCTAssertThrowsError(try missing.dequantizeRows("q8", 1..<3)) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
    }

    func testMissingAndEmptyFiles() throws {
        XCTAssertThrowsError(try GGUFFile(path: "/nonexistent/model.gguf")) { XCTAssertTrue($0 is ModelFormatError, "\($0)") }
        let empty = try failure([], "empty.gguf")
        XCTAssertTrue(empty.kind == .truncated && empty.field == "magic")
    }
}
