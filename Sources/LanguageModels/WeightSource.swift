import ModelFormats
import Tensors

/// Named Float32 weights from a checkpoint file: a GGUF file (dequantised on read) or a set of
/// safetensors shards. Shapes are row-major (PyTorch order).
protocol WeightSource {
    /// The file, for error messages.
    var path: String { get }
    /// The row-major shape, or nil if there is no such tensor.
    func shape(of name: String) -> [Int]?
    /// All elements of `name`, row-major.
    func floats(_ name: String) throws -> [Float]
}

struct GGUFWeights: WeightSource {
    let file: GGUFFile
    var path: String { file.path }
    func shape(of name: String) -> [Int]? { file.tensorInfo(name)?.shape }
    func floats(_ name: String) throws -> [Float] { try file.dequantize(name) }
}

/// Whether a GGUF model's matrices keep their blocks (`quantized`, the default) or become Float32 at load
/// (`float32`, every tensor dequantised: the path to compare against).
public enum WeightPrecision: String, Sendable, CaseIterable {
    case quantized
    case float32 = "f32"
}

/// A GGUF tensor's blocks as a QuantizedMatrix over the mapping (no copy), for the block types the kernels take.
struct GGUFQuantizedWeights {
    let file: GGUFFile

    /// The matrix, or nil when its block type is one the kernels do not take.
    func matrix(_ name: String, _ shape: [Int]) throws -> QuantizedMatrix? {
        guard let info = file.tensorInfo(name) else { throw LanguageModelError(file.path, "tensor '\(name)' is missing") }
        guard info.shape == shape else { throw LanguageModelError(file.path, "tensor '\(name)' has shape \(info.shape), expected \(shape)") }
        guard shape.count == 2, let type = QuantizedMatrix.BlockType(rawValue: Int32(info.type.rawValue)) else { return nil }
        let bytes = try file.rawData(name)
        guard let base = bytes.baseAddress else { return nil }
        let matrix: QuantizedMatrix
        do {
            matrix = try QuantizedMatrix(type: type, rows: shape[0], columns: shape[1], bytes: base, byteCount: bytes.count, owner: file)
        } catch {
            throw LanguageModelError(file.path, "tensor '\(name)': \(error)")
        }
        // As the Float32 path does for every value: a NaN or infinity would otherwise surface only as a sampler with no token to draw.
        if let bad = matrix.firstNonFiniteElement() {
            throw LanguageModelError(file.path, "tensor '\(name)' holds non-finite values (the first at row \(bad.row), element \(bad.column), from its \(type) block's scale): the file is damaged")
        }
        return matrix
    }
}

struct SafetensorsWeights: WeightSource {
    let checkpoint: SafetensorsCheckpoint
    let path: String
    func shape(of name: String) -> [Int]? { checkpoint.tensorInfo(name)?.shape }
    func floats(_ name: String) throws -> [Float] { try checkpoint.floats(name) }
}

/// Reads weights by name, checks their shapes and lays them out as the transformer wants them.
struct WeightReader {
    let source: WeightSource

    func require(_ name: String, _ shape: [Int]) throws -> [Float] {
        guard let found = source.shape(of: name) else {
            throw LanguageModelError(source.path, "tensor '\(name)' is missing")
        }
        guard found == shape else {
            throw LanguageModelError(source.path, "tensor '\(name)' has shape \(found), expected \(shape)")
        }
        let values = try source.floats(name)
        // A NaN or infinity in a weight would otherwise surface only as a sampler with no token to draw.
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            let bad = values.lazy.filter { !$0.isFinite }.count
            throw LanguageModelError(source.path, "tensor '\(name)' holds \(bad) non-finite value\(bad == 1 ? "" : "s") (the first, \(values[i]), at element \(i)): the file is damaged")
        }
        return values
    }

    /// The untied output projection: config.json said tie_word_embeddings is false, so the head
    /// must be in the checkpoint (transformers would otherwise start it from random weights).
    func outputHead(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard source.shape(of: name) != nil else {
            throw LanguageModelError(source.path, "tie_word_embeddings is false in config.json but the checkpoint has no '\(name)' tensor: set it to true to reuse the token embedding, or add the output head")
        }
        return try tensor(name, shape)
    }

    /// A frozen tensor of the given shape.
    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, scalars: require(name, shape))
    }

    /// Row blocks stacked into one [Σ rows, columns] matrix (fused projections); each part is
    /// (values, rows) already in [rows, columns] layout.
    static func stack(_ parts: [[Float]], columns: Int) throws -> Tensor {
        var all: [Float] = []
        all.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { all.append(contentsOf: p) }
        return try Tensor(shape: [all.count / columns, columns], scalars: all)
    }

    /// [rows, columns] → [columns, rows] (GPT-2's Conv1D stores [in, out]).
    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] }
                }
            }
        }
        return out
    }
}
