import Foundation

/// Where one tensor lives in a GGUF file and what it holds.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// The dimensions in GGUF order: `dimensions[0]` (ggml's ne0) is the fastest-varying one, so a
    /// PyTorch weight of shape [out, in] is stored with dimensions [in, out].
    public let dimensions: [Int]
    public let type: GGMLType
    /// The byte offset of the data from the start of the file (the data section start plus the stored offset).
    public let fileOffset: Int
    /// Bytes of data.
    public let byteCount: Int

    /// The row-major shape (slowest first), as PyTorch and numpy see it: `dimensions` reversed.
    public var shape: [Int] { dimensions.reversed() }
    public var elementCount: Int { dimensions.reduce(1, *) }
    /// Elements per row (the fastest dimension).
    public var rowLength: Int { dimensions.first ?? 1 }
    /// Rows: all elements divided by the row length.
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
}

/// A GGUF file (versions 2 and 3, little-endian): its metadata, its tensor table, and mapped access to the data.
///
/// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata key/value pairs,
/// the tensor infos (name, u32 n_dims, u64 dims…, u32 type, u64 offset), padding to `general.alignment`
/// (default 32), then the data section; each tensor's offset is relative to that section.
/// Every count and length is checked against the bytes left in the file before anything is allocated.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Where the data section starts.
    public let dataOffset: Int
    let file: MappedFile
    private let tensorIndex: [String: Int]

    /// Nested arrays deeper than this are refused (a malicious file could otherwise exhaust the stack).
    static let maxArrayDepth = 4
    /// ggml's GGML_MAX_DIMS.
    static let maxDimensions = 4

    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        var cursor = ByteCursor(file)
        let fail = { (kind: ModelFormatError.Kind, field: String, detail: String) in
            ModelFormatError(kind, file: file.path, field: field, detail)
        }

        guard file.count >= 4 else {
            throw fail(.truncated, "magic", "the file has \(file.count) bytes, too few for a GGUF header")
        }
        let magic = try cursor.read(UInt32.self, field: "magic")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            let shown = withUnsafeBytes(of: magic.littleEndian) { Array($0) }.map { String(format: "%02x", $0) }.joined(separator: " ")
            throw fail(.badMagic, "magic", "expected \"GGUF\" (47 47 55 46), found \(shown): not a GGUF file")
        }
        version = try cursor.read(UInt32.self, field: "version")
        guard version == 2 || version == 3 else {
            let hint = version.byteSwapped == 2 || version.byteSwapped == 3 ? " (a big-endian file, which is not supported)" : ""
            throw fail(.unsupportedVersion, "version", "version \(version) is not supported (2 and 3 are)\(hint)")
        }
        let tensorCount = try cursor.read(UInt64.self, field: "tensor count")
        let keyCount = try cursor.read(UInt64.self, field: "metadata count")
        // The smallest key/value pair is 8 (key length) + 4 (type) + 1 (value) bytes (keys may be empty),
        // the smallest tensor info 8 + 1 + 4 + 8 + 4 + 8.
        guard keyCount <= UInt64(cursor.remaining / 13) else {
            throw fail(.implausibleSize, "metadata count", "\(keyCount) key/value pairs cannot fit in the \(cursor.remaining) bytes left")
        }
        guard tensorCount <= UInt64(cursor.remaining / 33) else {
            throw fail(.implausibleSize, "tensor count", "\(tensorCount) tensors cannot fit in the \(cursor.remaining) bytes left")
        }

        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(Int(keyCount))
        for i in 0..<Int(keyCount) {
            let keyLength = try cursor.read(UInt64.self, field: "metadata key #\(i) length")
            let key = try cursor.readUTF8(length: keyLength, field: "metadata key #\(i)")
            let typeCode = try cursor.read(UInt32.self, field: "metadata '\(key)' type")
            guard let type = GGUFValueType(rawValue: typeCode) else {
                throw fail(.unknownType, "metadata '\(key)' type", "unknown value type \(typeCode) (0…12 are defined)")
            }
            let value = try Self.readValue(type, &cursor, key: key, depth: 0)
            guard values[key] == nil else {
                throw fail(.invalidValue, "metadata '\(key)'", "the key appears twice")
            }
            keys.append(key)
            values[key] = value
        }
        metadataKeys = keys
        metadata = values

        var alignment = 32
        if let stored = values["general.alignment"] {
            guard let a = stored.intValue, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw fail(.invalidValue, "metadata 'general.alignment'", "\(stored) is not a power of two between 1 and 2^20")
            }
            alignment = a
        }
        self.alignment = alignment

        // First pass: the raw infos (offsets are relative to the data section, which starts after them).
        var raw: [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] = []
        raw.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let nameLength = try cursor.read(UInt64.self, field: "tensor #\(i) name length")
            let name = try cursor.readUTF8(length: nameLength, field: "tensor #\(i) name")
            let dimCount = try cursor.read(UInt32.self, field: "tensor '\(name)' dimension count")
            guard dimCount >= 1, dimCount <= UInt32(Self.maxDimensions) else {
                throw fail(.invalidValue, "tensor '\(name)' dimension count", "\(dimCount) dimensions (1…\(Self.maxDimensions) allowed)")
            }
            var dims: [Int] = []
            var elements: UInt64 = 1
            for d in 0..<Int(dimCount) {
                let n = try cursor.read(UInt64.self, field: "tensor '\(name)' dimension \(d)")
                // Each dimension is bounded too: after a zero dimension the product stays 0 whatever follows.
                let (product, overflow) = elements.multipliedReportingOverflow(by: n)
                guard !overflow, product <= UInt64(file.count) * 8, n <= UInt64(file.count) * 8 else {
                    throw fail(.implausibleSize, "tensor '\(name)' dimension \(d)",
                               "the dimensions claim more elements than the \(file.count)-byte file could hold")
                }
                elements = product
                dims.append(Int(n))
            }
            let typeCode = try cursor.read(UInt32.self, field: "tensor '\(name)' type")
            guard let type = GGMLType(rawValue: typeCode) else {
                throw fail(.unknownType, "tensor '\(name)' type", "unknown tensor type \(typeCode)")
            }
            let offset = try cursor.read(UInt64.self, field: "tensor '\(name)' offset")
            raw.append((name, dims, type, offset))
        }

        let headerEnd = cursor.offset
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        dataOffset = dataStart
        guard dataStart <= file.count else {
            throw fail(.truncated, "data section", "the data section would start at \(dataStart), past the end of the file (\(file.count) bytes)")
        }

        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        infos.reserveCapacity(raw.count)
        for t in raw {
            let elements = t.dims.reduce(1, *)
            guard let bytes = t.type.byteCount(elements: elements) else {
                if t.type.bytesPerBlock == nil {
                    throw fail(.unknownType, "tensor '\(t.name)' type", "tensor type \(t.type) is not supported by this reader")
                }
                throw fail(.invalidValue, "tensor '\(t.name)' dimensions",
                           "\(elements) elements is not a whole number of \(t.type) blocks of \(t.type.blockSize)")
            }
            guard t.dims[0] % t.type.blockSize == 0 else {
                throw fail(.invalidValue, "tensor '\(t.name)' dimensions",
                           "rows of \(t.dims[0]) elements are not a whole number of \(t.type) blocks of \(t.type.blockSize)")
            }
            guard t.offset % UInt64(alignment) == 0 else {
                throw fail(.invalidValue, "tensor '\(t.name)' offset", "offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            let available = UInt64(file.count - dataStart)
            guard t.offset <= available, UInt64(bytes) <= available - t.offset else {
                // The offset is the file's and may be near 2^64: no sum of it is formed.
                throw fail(.outOfBounds, "tensor '\(t.name)' offset",
                           "\(bytes) bytes of data at offset \(t.offset) of the data section run past its end (\(available) bytes)")
            }
            guard index[t.name] == nil else {
                throw fail(.invalidValue, "tensor '\(t.name)'", "two tensors have this name")
            }
            index[t.name] = infos.count
            infos.append(GGUFTensorInfo(name: t.name, dimensions: t.dims, type: t.type,
                                        fileOffset: dataStart + Int(t.offset), byteCount: bytes))
        }
        if let pair = TensorByteRange.firstOverlap(infos.map { TensorByteRange(name: $0.name, start: $0.fileOffset, count: $0.byteCount) }) {
            throw TensorByteRange.overlapError(pair, base: dataStart, section: "data section", file: file.path)
        }
        tensors = infos
        tensorIndex = index
    }

    private static func readValue(_ type: GGUFValueType, _ cursor: inout ByteCursor, key: String, depth: Int) throws -> GGUFValue {
        let field = "metadata '\(key)'"
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, field: field))
        case .int8: return .int8(try cursor.read(Int8.self, field: field))
        case .uint16: return .uint16(try cursor.read(UInt16.self, field: field))
        case .int16: return .int16(try cursor.read(Int16.self, field: field))
        case .uint32: return .uint32(try cursor.read(UInt32.self, field: field))
        case .int32: return .int32(try cursor.read(Int32.self, field: field))
        case .uint64: return .uint64(try cursor.read(UInt64.self, field: field))
        case .int64: return .int64(try cursor.read(Int64.self, field: field))
        case .float32: return .float32(try cursor.readFloat(field: field))
        case .float64: return .float64(try cursor.readDouble(field: field))
        case .bool:
            let b = try cursor.read(UInt8.self, field: field)
            guard b <= 1 else {
                throw ModelFormatError(.invalidValue, file: cursor.file.path, field: field, "a bool stored as \(b) (0 or 1 expected)")
            }
            return .bool(b == 1)
        case .string:
            let length = try cursor.read(UInt64.self, field: field + " length")
            return .string(try cursor.readUTF8(length: length, field: field))
        case .array:
            let elementCode = try cursor.read(UInt32.self, field: field + " element type")
            guard let elementType = GGUFValueType(rawValue: elementCode) else {
                throw ModelFormatError(.unknownType, file: cursor.file.path, field: field + " element type",
                                       "unknown value type \(elementCode) (0…12 are defined)")
            }
            guard depth < maxArrayDepth || elementType != .array else {
                throw ModelFormatError(.invalidValue, file: cursor.file.path, field: field, "arrays nested more than \(maxArrayDepth) deep")
            }
            let count = try cursor.read(UInt64.self, field: field + " count")
            let minSize = elementType.scalarSize ?? (elementType == .string ? 8 : 12)
            guard count <= UInt64(cursor.remaining / minSize) else {
                throw ModelFormatError(.implausibleSize, file: cursor.file.path, field: field + " count",
                                       "\(count) elements cannot fit in the \(cursor.remaining) bytes left in the file")
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                items.append(try readValue(elementType, &cursor, key: key, depth: depth + 1))
            }
            return .array(elementType, items)
        }
    }

    // MARK: - Tensors

    public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    func requireTensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensorInfo(name) else {
            throw ModelFormatError(.missingField, file: path, field: "tensor '\(name)'", "no tensor of this name in the file")
        }
        return info
    }

    /// The raw (possibly quantised) bytes of a tensor, pointing into the mapping (valid while `self` lives).
    public func rawData(_ name: String) throws -> UnsafeRawBufferPointer {
        let info = try requireTensor(name)
        return try file.bytes(info.fileOffset..<(info.fileOffset + info.byteCount), field: "tensor '\(name)' data")
    }

    /// The whole tensor as Float32, row-major in `info.shape` order.
    public func dequantize(_ name: String) throws -> [Float] {
        let info = try requireTensor(name)
        return try dequantizeRows(name, info.rowCount == 0 ? 0..<0 : 0..<info.rowCount)
    }

    /// Rows `rows` of a tensor (a row is `rowLength` = dimensions[0] elements) as Float32: e.g. the embedding
    /// rows of a few token ids, without dequantising the whole matrix.
    public func dequantizeRows(_ name: String, _ rows: Range<Int>) throws -> [Float] {
        let info = try requireTensor(name)
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw ModelFormatError(.outOfBounds, file: path, field: "tensor '\(name)' rows",
                                   "rows \(rows) requested but the tensor has \(info.rowCount)")
        }
        guard info.type.canDequantize, let rowBytes = info.type.byteCount(elements: info.rowLength) else {
            throw ModelFormatError(.unknownType, file: path, field: "tensor '\(name)' type",
                                   "cannot dequantise tensor type \(info.type)")
        }
        let start = info.fileOffset + rows.lowerBound * rowBytes
        let bytes = try file.bytes(start..<(start + rows.count * rowBytes), field: "tensor '\(name)' data")
        var out = [Float](repeating: 0, count: rows.count * info.rowLength)
        out.withUnsafeMutableBufferPointer { dst in
            Dequantizer.dequantize(info.type, from: bytes, into: dst)
        }
        return out
    }

    /// Dequantises `rows` into a caller-owned buffer (`rows.count * rowLength` floats).
    public func dequantizeRows(_ name: String, _ rows: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try requireTensor(name)
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw ModelFormatError(.outOfBounds, file: path, field: "tensor '\(name)' rows",
                                   "rows \(rows) requested but the tensor has \(info.rowCount)")
        }
        guard info.type.canDequantize, let rowBytes = info.type.byteCount(elements: info.rowLength) else {
            throw ModelFormatError(.unknownType, file: path, field: "tensor '\(name)' type", "cannot dequantise tensor type \(info.type)")
        }
        guard destination.count == rows.count * info.rowLength else {
            throw ModelFormatError(.invalidValue, file: path, field: "tensor '\(name)' rows",
                                   "destination holds \(destination.count) floats, \(rows.count * info.rowLength) needed")
        }
        let start = info.fileOffset + rows.lowerBound * rowBytes
        let bytes = try file.bytes(start..<(start + rows.count * rowBytes), field: "tensor '\(name)' data")
        Dequantizer.dequantize(info.type, from: bytes, into: destination)
    }
}
