import Foundation

/// Element types of safetensors files.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// One tensor of a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major shape, as PyTorch gives it.
    public let shape: [Int]
    /// Byte offset of the data from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file: u64 header length N, N bytes of JSON (`{"name": {"dtype", "shape", "data_offsets":
/// [begin, end]}, "__metadata__": {…}}`), then the data; offsets are relative to the data's start.
/// Memory-mapped; the header is checked in full (size, UTF-8, JSON shape, dtypes, each tensor's byte count
/// against its shape, each range inside the file) before any tensor is read.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    /// Tensors in the order of their data.
    public let tensors: [SafetensorsTensorInfo]
    /// The free-form `__metadata__` strings.
    public let metadata: [String: String]
    let file: MappedFile
    private let index: [String: Int]

    /// The format's own cap on the header (100 MB).
    public static let maxHeaderBytes = 100_000_000

    public convenience init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        path = file.path
        func fail(_ kind: ModelFormatError.Kind, _ field: String, _ detail: String) -> ModelFormatError {
            ModelFormatError(kind, file: file.path, field: field, detail)
        }
        var cursor = ByteCursor(file)
        let headerLength = try cursor.read(UInt64.self, field: "header length")
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail(.implausibleSize, "header length", "\(headerLength) bytes claimed (the format allows at most \(Self.maxHeaderBytes))")
        }
        guard headerLength <= UInt64(cursor.remaining) else {
            throw fail(.truncated, "header length", "\(headerLength) bytes claimed but only \(cursor.remaining) follow")
        }
        let headerBytes = try file.bytes(8..<(8 + Int(headerLength)), field: "header")
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail(.badUTF8, "header", "the JSON header is not valid UTF-8")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(headerBytes))
        } catch {
            throw fail(.badJSON, "header", "the JSON header does not parse")
        }
        guard let root = json as? [String: Any] else { throw fail(.badJSON, "header", "the header is not a JSON object") }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.count - dataStart

        var metadata: [String: String] = [:]
        var infos: [SafetensorsTensorInfo] = []
        for (name, value) in root {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail(.badJSON, "__metadata__", "expected an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail(.badJSON, "__metadata__.\(k)", "expected a string") }
                    metadata[k] = s
                }
                continue
            }
            let field = "tensor '\(name)'"
            guard let entry = value as? [String: Any] else { throw fail(.badJSON, field, "expected an object") }
            guard let rawDType = entry["dtype"] else { throw fail(.missingField, field + " dtype", "missing") }
            guard let dtypeName = rawDType as? String else {
                throw fail(.invalidValue, field + " dtype", "expected a string such as \"F32\", found \(JSONScalars.describe(rawDType))")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail(.unknownType, field + " dtype", "unknown dtype '\(dtypeName.prefix(40))'")
            }
            guard let shapeValue = entry["shape"] else { throw fail(.missingField, field + " shape", "missing") }
            guard let rawShape = shapeValue as? [Any] else {
                throw fail(.invalidValue, field + " shape", "expected a list of sizes, found \(JSONScalars.describe(shapeValue))")
            }
            var shape: [Int] = []
            var elements = 1
            for (d, item) in rawShape.enumerated() {
                guard let n = Self.integer(item), n >= 0, n <= dataSize else {
                    throw fail(.invalidValue, field + " shape", "dimension \(d) is not a size this file could hold")
                }
                let (p, overflow) = elements.multipliedReportingOverflow(by: n)
                guard !overflow, p <= dataSize else {
                    throw fail(.implausibleSize, field + " shape", "\(shape + [n]) elements cannot fit in the \(dataSize)-byte data section")
                }
                elements = p
                shape.append(n)
            }
            guard entry["data_offsets"] != nil else { throw fail(.missingField, field + " data_offsets", "missing") }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]) else {
                throw fail(.invalidValue, field + " data_offsets", "expected [begin, end], two whole numbers")
            }
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail(.outOfBounds, field + " data_offsets",
                           "[\(begin), \(end)] lies outside the data section of \(dataSize) bytes")
            }
            guard end - begin == elements * dtype.byteSize else {
                throw fail(.invalidValue, field + " data_offsets",
                           "\(end - begin) bytes for \(elements) \(dtype.rawValue) elements (\(elements * dtype.byteSize) expected)")
            }
            infos.append(SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, fileOffset: dataStart + begin,
                                               byteCount: end - begin))
        }
        if let pair = TensorByteRange.firstOverlap(infos.map { TensorByteRange(name: $0.name, start: $0.fileOffset, count: $0.byteCount) }) {
            throw TensorByteRange.overlapError(pair, base: dataStart, section: "data section", file: file.path)
        }
        infos.sort { ($0.fileOffset, $0.name) < ($1.fileOffset, $1.name) }
        tensors = infos
        self.metadata = metadata
        var index: [String: Int] = [:]
        for (i, t) in infos.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// A JSON number that is a whole number representable as Int (not a boolean).
    static func integer(_ value: Any) -> Int? { JSONScalars.integer(value) }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func tensorInfo(_ name: String) -> SafetensorsTensorInfo? { index[name].map { tensors[$0] } }

    func require(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = tensorInfo(name) else {
            throw ModelFormatError(.missingField, file: path, field: "tensor '\(name)'", "no tensor of this name in the file")
        }
        return info
    }

    /// The raw bytes of a tensor, pointing into the mapping (valid while `self` lives).
    public func rawData(_ name: String) throws -> UnsafeRawBufferPointer {
        let info = try require(name)
        return try file.bytes(info.fileOffset..<(info.fileOffset + info.byteCount), field: "tensor '\(name)' data")
    }

    /// A floating-point tensor (F32, F16, BF16, F64) as Float32, row-major.
    public func floats(_ name: String) throws -> [Float] {
        let info = try require(name)
        let type: GGMLType
        switch info.dtype {
        case .f32: type = .f32
        case .f16: type = .f16
        case .bf16: type = .bf16
        case .f64: type = .f64
        default:
            throw ModelFormatError(.invalidValue, file: path, field: "tensor '\(name)' dtype",
                                   "\(info.dtype.rawValue) is not a floating-point type")
        }
        let bytes = try rawData(name)
        var out = [Float](repeating: 0, count: info.elementCount)
        out.withUnsafeMutableBufferPointer { Dequantizer.dequantize(type, from: bytes, into: $0) }
        return out
    }
}
