import CKernels
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

extension Tensor {
    /// log softmax(x) along the last axis, read only at `indices` (k per row, row-major) → [..., k]:
    /// the values of `logSoftmax().gather(lastAxis: indices)` without the full [..., V] result. For
    /// an LM head that result is large (640 rows × 49152 tokens = 126 MB) and the composed backward
    /// makes five more passes over it (scatter, sum, exp, scale, subtract); here forward keeps one
    /// log-sum-exp per row and backward is one pass: dx = Σ_j g_j·onehot(i_j) − softmax(x)·Σ_j g_j.
    public func logSoftmax(gathering indices: [Int]) throws -> Tensor {
        guard let v = shape.last, v > 0 else { throw TensorError("logSoftmax(gathering:)", "needs a non-empty last axis, got shape \(shape)") }
        let rows = shape.dropLast().reduce(1, *)
        guard rows > 0, indices.count % rows == 0 else {
            throw TensorError("logSoftmax(gathering:)", "\(indices.count) indices do not divide evenly over the \(rows) rows of shape \(shape)")
        }
        let k = indices.count / rows
        if let bad = indices.first(where: { $0 < 0 || $0 >= v }) {
            throw TensorError("logSoftmax(gathering:)", "index \(bad) is out of range for the last axis of size \(v) in shape \(shape)")
        }
        let x = contiguous()
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [k])
        let lse = Tensor(uninitializedShape: [rows])
        let box = UncheckedSendable((x.pointer, out.pointer, lse.pointer))
        indices.withUnsafeBufferPointer { ids in
            let idp = UncheckedSendable(ids.baseAddress!)
            parallelChunks(rows, work: rows * v * 2) { r in
                let (px, po, pl) = box.value
                let pi = idp.value
                for row in r {
                    let xr = px + row * v
                    let m = gfn_max(v, xr)
                    let l = m == -.infinity ? -Float.infinity : m + logf(gfn_exp_sum(v, xr, m, nil))
                    pl[row] = l
                    for j in 0..<k { po[row * k + j] = m == -.infinity ? -.infinity : xr[pi[row * k + j]] - l }
                }
            }
        }
        withExtendedLifetime(x) {}
        let xd = x.detached(), inputShape = shape
        return Tensor.record(out, "logSoftmaxGather", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: inputShape)
            let box = UncheckedSendable((xd.pointer, gc.pointer, lse.pointer, dx.pointer))
            indices.withUnsafeBufferPointer { ids in
                let idp = UncheckedSendable(ids.baseAddress!)
                parallelChunks(rows, work: rows * v * 2) { r in
                    let (px, pg, pl, pd) = box.value
                    let pi = idp.value
                    for row in r {
                        let xr = px + row * v, dr = pd + row * v, gr = pg + row * k
                        var total: Float = 0
                        for j in 0..<k { total += gr[j] }
                        let l = pl[row]
                        if l == -.infinity {
                            dr.update(repeating: 0, count: v)
                        } else {
                            gfn_exp_scaled(v, xr, l, -total, dr)  // −softmax·Σg, as the composed ops give it
                        }
                        for j in 0..<k { dr[pi[row * k + j]] += gr[j] }
                    }
                }
            }
            withExtendedLifetime((xd, gc, lse)) {}
            return [dx]
        }
    }
}

/// One softmax row; a row of all −inf gives zeros rather than NaN.
@inline(__always)
func softmaxRow(_ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = gfn_max(n, s)
    if m == -.infinity {
        o.update(repeating: 0, count: n)
        return
    }
    let total = gfn_exp_sum(n, s, m, o)
    let inv = 1 / total
    mapVec(o, o, n) { $0 * inv }
}

@inline(__always)
func logSoftmaxRow(_ s: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = gfn_max(n, s)
    if m == -.infinity {
        o.update(repeating: -.infinity, count: n)
        return
    }
    let lse = m + logf(gfn_exp_sum(n, s, m, nil))
    mapVec(s, o, n) { $0 - lse }
}
