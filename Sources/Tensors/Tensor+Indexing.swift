/// Integer-indexed operations: embedding lookup, gather along the last axis, and selection by a
/// mask (`where`, `maskedFill`). Indices are Swift `[Int]` and are bounds-checked (a thrown error,
/// never a crash). Masks are tensors where non-zero means true.
extension Tensor {
    /// Rows of this table [V, C] for `ids` laid out as `idsShape` → idsShape + [C].
    /// The gradient is scattered back (added) into a dense [V, C] gradient.
    public func embedding(_ ids: [Int], shape idsShape: [Int]) throws -> Tensor {
        guard rank == 2 else { throw TensorError("embedding", "the table must be [vocab, channels], got \(shape)") }
        try validateShape(idsShape, "embedding")
        guard idsShape.reduce(1, *) == ids.count else {
            throw TensorError("embedding", "ids shape \(idsShape) holds \(idsShape.reduce(1, *)) ids but \(ids.count) were given")
        }
        let (v, c) = (shape[0], shape[1])
        if let bad = ids.first(where: { $0 < 0 || $0 >= v }) {
            throw TensorError("embedding", "id \(bad) is out of range for a table of \(v) rows")
        }
        try validateShape(idsShape + [c], "embedding")
        let table = contiguous()
        let out = Tensor(uninitializedShape: idsShape + [c])
        for (r, id) in ids.enumerated() {
            (out.pointer + r * c).update(from: table.pointer + id * c, count: c)
        }
        withExtendedLifetime(table) {}
        return Tensor.record(out, "embedding", [self]) { g in
            let gc = g.contiguous()
            let dt = Tensor(shape: [v, c], repeating: 0)
            for (r, id) in ids.enumerated() {
                let dst = dt.pointer + id * c, src = gc.pointer + r * c
                for i in 0..<c { dst[i] += src[i] }
            }
            withExtendedLifetime(gc) {}
            return [dt]
        }
    }

    /// Picks along the last axis: x [..., V] and `indices` (k per row, row-major) → [..., k].
    /// `indices.count` must be a multiple of the number of rows. The gradient is scattered back.
    public func gather(lastAxis indices: [Int]) throws -> Tensor {
        guard let v = shape.last else { throw TensorError("gather", "needs at least 1 dimension, got a scalar") }
        let rows = shape.dropLast().reduce(1, *)
        guard rows > 0, indices.count % rows == 0 else {
            throw TensorError("gather", "\(indices.count) indices do not divide evenly over the \(rows) rows of shape \(shape)")
        }
        let k = indices.count / rows
        if let bad = indices.first(where: { $0 < 0 || $0 >= v }) {
            throw TensorError("gather", "index \(bad) is out of range for the last axis of size \(v) in shape \(shape)")
        }
        let x = contiguous()
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [k])
        for r in 0..<rows {
            for j in 0..<k { out.pointer[r * k + j] = x.pointer[r * v + indices[r * k + j]] }
        }
        withExtendedLifetime(x) {}
        let inputShape = shape
        return Tensor.record(out, "gather", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(shape: inputShape, repeating: 0)
            for r in 0..<rows {
                for j in 0..<k { dx.pointer[r * v + indices[r * k + j]] += gc.pointer[r * k + j] }
            }
            withExtendedLifetime(gc) {}
            return [dx]
        }
    }

    /// Elementwise `condition ? a : b` with broadcasting of all three (condition non-zero = true).
    /// No gradient flows to the condition.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let outShape = try broadcastShape(try broadcastShape(condition.shape, a.shape, "where"), b.shape, "where")
        let out = Tensor(uninitializedShape: outShape)
        let sc = condition.broadcastStrides(to: outShape), sa = a.broadcastStrides(to: outShape), sb = b.broadcastStrides(to: outShape)
        let pc = condition.pointer, pa = a.pointer, pb = b.pointer, po = out.pointer
        forEachRow(shape: outShape, strides: [out.strides, sc, sa, sb]) { off, n, st in
            let o = po + off[0], c = pc + off[1], x = pa + off[2], y = pb + off[3]
            let s1 = st[1], s2 = st[2], s3 = st[3]
            for i in 0..<n { o[i] = c[i * s1] != 0 ? x[i * s2] : y[i * s3] }
        }
        withExtendedLifetime((condition, a, b)) {}
        let cd = condition.detached(), sA = a.shape, sB = b.shape
        let zero = Tensor(0)
        return record(out, "where", [a, b]) { g in
            [try Tensor.where(cd, g, zero).sum(toShape: sA),
             try Tensor.where(cd, zero, g).sum(toShape: sB)]
        }
    }

    /// This tensor with `value` wherever `mask` (broadcast to this shape) is non-zero.
    public func maskedFill(_ mask: Tensor, value: Float) throws -> Tensor {
        let b = try broadcastShape(mask.shape, shape, "maskedFill")
        guard b == shape else { throw TensorError.shapes("maskedFill", "mask does not broadcast to the tensor's shape", mask.shape, shape) }
        return try Tensor.where(mask, Tensor(value), self)
    }
}
