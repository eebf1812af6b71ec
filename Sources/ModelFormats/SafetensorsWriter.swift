import Foundation

/// Writes float32 tensors as a safetensors file (the layout PEFT and transformers read): the JSON header
/// padded with spaces to a multiple of 8 bytes, tensors stored in the order given.
public enum SafetensorsWriter {
    public struct Tensor: Sendable {
        public var name: String
        /// Row-major shape.
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            guard t.shape.reduce(1, *) == t.values.count, header[t.name] == nil, t.name != "__metadata__" else {
                throw ModelFormatError(.invalidValue, file: "", field: "tensor '\(t.name)'",
                                       "shape \(t.shape) does not match \(t.values.count) values, or the name is repeated")
            }
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            t.values.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: UInt32.self) { words in
                    for w in words { withUnsafeBytes(of: w.littleEndian) { out.append(contentsOf: $0) } }
                }
            }
        }
        return out
    }

    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to path: String) throws {
        let data = try encode(tensors, metadata: metadata)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ModelFormatError(.unreadable, file: path, field: "file", "cannot write: \(error.localizedDescription)")
        }
    }
}
