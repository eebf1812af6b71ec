/// Token embedding lookup from a table kept in GGUF blocks: only the looked-up rows are dequantised
/// (bit for bit ModelFormats' `Dequantizer`), so a tied embedding / LM head needs no float32 copy.
extension QuantizedMatrix {
    /// Rows `ids` of this [vocab, channels] table as float32, shaped `idsShape + [channels]`. No gradient
    /// (the table is a frozen base weight).
    public func embedding(_ ids: [Int], shape idsShape: [Int]) throws -> Tensor {
        try validateShape(idsShape, "embedding")
        guard idsShape.reduce(1, *) == ids.count else {
            throw TensorError("embedding", "ids shape \(idsShape) holds \(idsShape.reduce(1, *)) ids but \(ids.count) were given")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= rows }) {
            throw TensorError("embedding", "id \(bad) is out of range for a table of \(rows) rows")
        }
        try validateShape(idsShape + [columns], "embedding")
        let out = Tensor(uninitializedShape: idsShape + [columns])
        for (r, id) in ids.enumerated() {
            dequantize(rows: id, id + 1, into: out.pointer + r * columns, ld: columns)
        }
        return out
    }
}
