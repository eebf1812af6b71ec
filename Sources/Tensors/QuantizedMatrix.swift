import CKernels

/// A weight matrix [rows, columns] kept in GGUF's blocks (usually mapped straight from the model file):
/// products with it dequantise blocks in registers (`Tensor.linear(quantized:)`), so no float32 copy
/// exists. Rows are reached through one pointer each, so reordering rows (Llama's q/k rows into Hugging
/// Face's order) and stacking matrices (fused q/k/v) copy no blocks.
public final class QuantizedMatrix: @unchecked Sendable {
    /// ggml's type codes of the block formats the kernels multiply.
    public enum BlockType: Int32, Sendable, CaseIterable {
        case f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, q6_K = 14, bf16 = 30

        /// Elements per block (1 for F16 and BF16).
        public var blockElements: Int { gfn_quant_block_elements(rawValue) }
        public var blockBytes: Int { gfn_quant_block_bytes(rawValue) }
    }

    public let type: BlockType
    public let rows: Int
    public let columns: Int
    /// Bytes of one row's blocks.
    public let rowBytes: Int
    /// Where each row's blocks start.
    let rowStarts: [UnsafeRawPointer]
    /// Keep the bytes alive: the mapped files, or copies made by `init(type:rows:columns:copying:)`.
    private let owners: [AnyObject]

    /// The blocks of a [rows, columns] matrix stored row after row at `bytes` (`byteCount` of them), kept alive by `owner`.
    public init(type: BlockType, rows: Int, columns: Int, bytes: UnsafeRawPointer, byteCount: Int, owner: AnyObject) throws {
        guard rows >= 0, columns > 0, columns % type.blockElements == 0 else {
            throw TensorError("QuantizedMatrix", "\(type) rows of \(columns) columns are not whole blocks of \(type.blockElements)")
        }
        let rowBytes = columns / type.blockElements * type.blockBytes
        let (total, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !overflow, total == byteCount else {
            throw TensorError("QuantizedMatrix", "\(type) [\(rows), \(columns)] needs \(rows) × \(rowBytes) bytes, got \(byteCount)")
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.rowStarts = (0..<rows).map { bytes + $0 * rowBytes }
        self.owners = [owner]
    }

    /// A matrix over its own copy of `blocks` (tests, small fixtures).
    public convenience init(type: BlockType, rows: Int, columns: Int, copying blocks: [UInt8]) throws {
        let box = ByteBox(blocks)
        try self.init(type: type, rows: rows, columns: columns, bytes: UnsafeRawPointer(box.pointer), byteCount: blocks.count, owner: box)
    }

    private init(type: BlockType, columns: Int, rowBytes: Int, rowStarts: [UnsafeRawPointer], owners: [AnyObject]) {
        self.type = type
        self.rows = rowStarts.count
        self.columns = columns
        self.rowBytes = rowBytes
        self.rowStarts = rowStarts
        self.owners = owners
    }

    /// The same blocks with row j of the result being row `order[j]` of this one.
    public func permutingRows(_ order: [Int]) throws -> QuantizedMatrix {
        guard order.count == rows, Set(order).count == rows, order.allSatisfy({ (0..<rows).contains($0) }) else {
            throw TensorError("QuantizedMatrix.permutingRows", "the order must be a permutation of 0..<\(rows)")
        }
        return QuantizedMatrix(type: type, columns: columns, rowBytes: rowBytes, rowStarts: order.map { rowStarts[$0] }, owners: owners)
    }

    /// The rows of `parts` one after another (a fused projection), or nil when their block types or column counts differ.
    public static func stacking(_ parts: [QuantizedMatrix]) -> QuantizedMatrix? {
        guard let first = parts.first, parts.allSatisfy({ $0.type == first.type && $0.columns == first.columns }) else { return nil }
        if parts.count == 1 { return first }
        return QuantizedMatrix(type: first.type, columns: first.columns, rowBytes: first.rowBytes,
                               rowStarts: parts.flatMap(\.rowStarts), owners: parts.flatMap(\.owners))
    }

    /// The first element (row, column) that is NaN or infinite once dequantised (a damaged block scale), or nil.
    /// Reads every row's scales, which also brings a mapped file's pages in.
    public func firstNonFiniteElement() -> (row: Int, column: Int)? {
        withExtendedLifetime(owners) {
            for (j, start) in rowStarts.enumerated() {
                let c = gfn_quant_first_nonfinite(type.rawValue, start, columns)
                if c >= 0 { return (j, c) }
            }
            return nil
        }
    }

    /// Bytes of the blocks (what the matrix keeps resident once touched).
    public var byteCount: Int { rows * rowBytes }

    /// Runs `body` with the row pointers, the bytes kept alive meanwhile.
    func withRows<R>(_ body: (UnsafePointer<UnsafeRawPointer?>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owners) {
            try rowStarts.withUnsafeBufferPointer { rows in
                try rows.baseAddress!.withMemoryRebound(to: UnsafeRawPointer?.self, capacity: rows.count) { try body($0) }
            }
        }
    }

    /// Rows [j0, j1) as float32 into out, `columns` floats a row, `ld` apart.
    func dequantize(rows j0: Int, _ j1: Int, into out: UnsafeMutablePointer<Float>, ld: Int) {
        withRows { gfn_quant_dequantize_tile(type.rawValue, $0, j0, j1, 0, columns, out, ld) }
    }

    /// The same, with the rows shared out among the kernel threads.
    func dequantizeInParallel(rows j0: Int, _ j1: Int, into out: UnsafeMutablePointer<Float>, ld: Int) {
        withRows { rowPointers in
            let box = UncheckedSendable((rowPointers, out))
            let type = type.rawValue, columns = columns
            parallelChunks(j1 - j0, work: (j1 - j0) * columns) { range in
                let (pw, po) = box.value
                gfn_quant_dequantize_tile(type, pw, j0 + range.lowerBound, j0 + range.upperBound, 0, columns,
                                          po + range.lowerBound * ld, ld)
            }
        }
    }

    /// The whole matrix as a float32 tensor [rows, columns] (what `dtype = "f32"` loading keeps).
    public func dequantized() -> Tensor {
        let t = Tensor(uninitializedShape: [rows, columns])
        if rows > 0 { dequantize(rows: 0, rows, into: t.pointer, ld: columns) }
        return t
    }
}

/// Bytes owned by a QuantizedMatrix made from an array.
private final class ByteBox {
    let pointer: UnsafeMutableRawPointer
    init(_ bytes: [UInt8]) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { pointer.copyMemory(from: b, byteCount: $0.count) } }
    }
    deinit { pointer.deallocate() }
}
