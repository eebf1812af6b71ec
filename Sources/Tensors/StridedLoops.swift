/// Loops over strided N-d views: the shared machinery behind copies and broadcasting kernels.
///
/// Shapes are first coalesced (adjacent dimensions that are laid out contiguously for every
/// operand merge into one), so a contiguous tensor is one long row and `[N, C] + [C]` is N rows
/// of C. Kernels then see rows: a pointer offset per operand, a length and a stride per operand.

/// Merges dimensions that every operand can walk with a single stride; drops size-1 dimensions.
func coalesce(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
    var outShape: [Int] = []
    var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
    for d in 0..<shape.count where shape[d] != 1 {
        if let last = outShape.last,
           (0..<strides.count).allSatisfy({ outStrides[$0].last! == strides[$0][d] * shape[d] }) {
            outShape[outShape.count - 1] = last * shape[d]
            for k in 0..<strides.count { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
        } else {
            outShape.append(shape[d])
            for k in 0..<strides.count { outStrides[k].append(strides[k][d]) }
        }
    }
    if outShape.isEmpty {
        outShape = [1]
        for k in 0..<strides.count { outStrides[k] = [0] }
    }
    return (outShape, outStrides)
}

/// Calls `body(offsets, rowLength, rowStrides)` once per row of the coalesced shape, where
/// `offsets[k]` is operand k's element offset of the row start. Nothing is called for empty shapes.
@inline(__always)
func forEachRow(shape: [Int], strides: [[Int]], _ body: (_ offsets: UnsafeMutablePointer<Int>, _ length: Int, _ rowStrides: UnsafePointer<Int>) -> Void) {
    if shape.contains(0) { return }
    let (cs, cst) = coalesce(shape: shape, strides: strides)
    let operands = cst.count
    let rank = cs.count
    let length = cs[rank - 1]
    let offsets = UnsafeMutablePointer<Int>.allocate(capacity: operands)
    let inner = UnsafeMutablePointer<Int>.allocate(capacity: operands)
    let index = UnsafeMutablePointer<Int>.allocate(capacity: rank)
    defer { offsets.deallocate(); inner.deallocate(); index.deallocate() }
    for k in 0..<operands { offsets[k] = 0; inner[k] = cst[k][rank - 1] }
    for d in 0..<rank { index[d] = 0 }
    var rows = 1
    for d in 0..<(rank - 1) { rows *= cs[d] }
    for _ in 0..<rows {
        body(offsets, length, inner)
        // Odometer over the outer dimensions.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            for k in 0..<operands { offsets[k] += cst[k][d] }
            if index[d] < cs[d] { break }
            for k in 0..<operands { offsets[k] -= cst[k][d] * cs[d] }
            index[d] = 0
            d -= 1
        }
    }
}

/// Copies a strided view into contiguous memory at `dst` in row-major order.
func copyStrided(from src: Tensor, to dst: UnsafeMutablePointer<Float>) {
    let base = src.pointer
    forEachRow(shape: src.shape, strides: [Tensor.contiguousStrides(src.shape), src.strides]) { off, n, st in
        let o = dst + off[0]
        let s = base + off[1]
        let ss = st[1]
        if ss == 1 {
            o.update(from: s, count: n)
        } else if ss == 0 {
            o.update(repeating: s[0], count: n)
        } else {
            for i in 0..<n { o[i] = s[i * ss] }
        }
    }
}

/// Copies contiguous `src` into the (possibly strided) view `dst`.
func copyIntoStrided(_ src: UnsafePointer<Float>, _ dst: Tensor) {
    intoStridedRows(src, dst) { s, o, n, os in
        if os == 1 {
            o.update(from: s, count: n)
        } else {
            for i in 0..<n { o[i * os] = s[i] }
        }
    }
}

/// Adds contiguous `src` into the (possibly strided) view `dst`.
func addIntoStrided(_ src: UnsafePointer<Float>, _ dst: Tensor) {
    intoStridedRows(src, dst) { s, o, n, os in
        if os == 1 {
            mapVec2(o, s, o, n) { $0 + $1 }
        } else {
            for i in 0..<n { o[i * os] += s[i] }
        }
    }
}

/// Calls `row(source, destination, count, destination stride)` for each innermost row of the view `dst`
/// and the matching stretch of contiguous `src`.
@inline(__always)
private func intoStridedRows(_ src: UnsafePointer<Float>, _ dst: Tensor,
                             _ row: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void) {
    let base = dst.pointer
    forEachRow(shape: dst.shape, strides: [Tensor.contiguousStrides(dst.shape), dst.strides]) { off, n, st in
        row(src + off[0], base + off[1], n, st[1])
    }
}

// MARK: - Broadcasting

/// The NumPy broadcast of two shapes (aligned at the right; 1 stretches), or a thrown error.
func broadcastShape(_ a: [Int], _ b: [Int], _ operation: String) throws -> [Int] {
    let r = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
            throw TensorError.shapes(operation, "shapes cannot be broadcast together", a, b)
        }
    }
    try validateShape(out, operation)
    return out
}

extension Tensor {
    /// This view's strides when broadcast to `target` (0 along stretched or added dimensions).
    /// The caller has checked that the shapes broadcast.
    func broadcastStrides(to target: [Int]) -> [Int] {
        let lead = target.count - shape.count
        var s = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
            s[lead + i] = shape[i] == 1 ? 0 : strides[i]
        }
        return s
    }
}
