import Glibc

/// Softmax and log-softmax along the last axis (other axes are moved there and back).
/// Rows are independent, so large inputs are split across cores by rows.
extension Tensor {
    /// Runs a row kernel over a tensor whose reduced axis is moved last.
    func lastAxisRows(_ axis: Int, _ name: String,
                      _ kernel: @escaping @Sendable (_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) -> Void) throws -> (Tensor, Int) {
        let ax = try normalizeAxis(axis, rank: rank, name)
        let moved = ax == rank - 1 ? self : try withNoGrad { try transposed(ax, -1) }
        let src = moved.contiguous()
        let n = moved.shape.last ?? 1
        let rows = n == 0 ? 0 : src.count / n
        let out = Tensor(uninitializedShape: moved.shape)
        let box = UncheckedSendable((src.pointer, out.pointer))
        parallelChunks(rows, work: rows * n * 4) { r in
            let (s, o) = box.value
            for row in r { kernel(s + row * n, o + row * n, n) }
        }
        withExtendedLifetime(src) {}
        if ax == rank - 1 { return (out, ax) }
        return (try withNoGrad { try out.transposed(ax, -1).contiguous() }, ax)
    }

    /// e^x / Σ e^x along `axis` (default: last).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let (out, ax) = try lastAxisRows(axis, "softmax") { s, o, n in softmaxRow(s, o, n) }
        let y = out.detached()
        return Tensor.record(out, "softmax", [self]) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let dot = try (g * y).sum(axis: ax, keepDims: true)
            return [try y * (g - dot)]
        }
    }

    /// x − log Σ e^x along `axis` (default: last).
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let (out, ax) = try lastAxisRows(axis, "logSoftmax") { s, o, n in logSoftmaxRow(s, o, n) }
        let y = out.detached()
        return Tensor.record(out, "logSoftmax", [self]) { g in
            // dx = g − softmax(x) · Σ g
            let total = try g.sum(axis: ax, keepDims: true)
            return [try g - y.exp() * total]
        }
    }
}

/// One softmax row; a row of all −inf gives zeros rather than NaN.
@inline(__always)
func softmaxRow(_ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = vmax(s, n)
    if m == -.infinity {
        o.update(repeating: 0, count: n)
        return
    }
    let total = vexpSum(s, n, shift: m, out: o)
    let inv = 1 / total
    mapVec(o, o, n) { $0 * inv }
}

@inline(__always)
func logSoftmaxRow(_ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = vmax(s, n)
    if m == -.infinity {
        o.update(repeating: -.infinity, count: n)
        return
    }
    let lse = m + logf(vexpSum(s, n, shift: m, out: nil))
    mapVec(s, o, n) { $0 - lse }
}
