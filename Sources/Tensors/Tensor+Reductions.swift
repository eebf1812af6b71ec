import CKernels
import Glibc

/// Reductions along one axis (sum, mean, max, logsumexp) and the cumulative sum.
/// A contiguous input of shape [outer, n, inner] around the axis is reduced with SIMD
/// accumulators when inner = 1 (the last axis) and by vector row additions otherwise.
extension Tensor {
    /// (outer, n, inner) around `axis` of a contiguous layout.
    func splitAround(_ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "sum")
        let src = contiguous()
        let (outer, n, inner) = splitAround(ax)
        let out = Tensor(shape: reducedShape(ax, keepDims: keepDims), repeating: 0)
        let p = src.pointer, o = out.pointer
        if inner == 1 {
            for r in 0..<outer { o[r] = vsum(p + r * n, n) }
        } else {
            for r in 0..<outer {
                let dst = o + r * inner
                for j in 0..<n {
                    let row = p + (r * n + j) * inner
                    for i in 0..<inner { dst[i] += row[i] }
                }
            }
        }
        withExtendedLifetime(src) {}
        let inputShape = shape
        let keptShape = reducedShape(ax, keepDims: true)
        return Tensor.record(out, "sum", [self]) { g in
            [try g.reshaped(keptShape).expanded(to: inputShape).contiguous()]
        }
    }

    /// Sum of all elements (a rank-0 tensor).
    public func sum() -> Tensor {
        let src = contiguous()
        let out = Tensor(vsum(src.pointer, src.count))
        let inputShape = shape
        return Tensor.record(out, "sum", [self]) { g in
            [try g.reshaped(Array(repeating: 1, count: inputShape.count)).expanded(to: inputShape).contiguous()]
        }
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "mean")
        let n = shape[ax]
        return try sum(axis: ax, keepDims: keepDims) * (n > 0 ? 1 / Float(n) : .nan)
    }

    /// Mean of all elements (a rank-0 tensor).
    public func mean() -> Tensor {
        sum() * (count > 0 ? 1 / Float(count) : .nan)
    }

    /// Maximum along `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "max")
        guard shape[ax] > 0 else { throw TensorError("max", "axis \(axis) of shape \(shape) is empty") }
        let src = contiguous()
        let (outer, n, inner) = splitAround(ax)
        let out = Tensor(uninitializedShape: reducedShape(ax, keepDims: keepDims))
        var argmax = [Int32](repeating: 0, count: outer * inner)
        let p = src.pointer, o = out.pointer
        for r in 0..<outer {
            for i in 0..<inner {
                var best = p[r * n * inner + i], at = 0
                for j in 1..<Swift.max(n, 1) {
                    let v = p[(r * n + j) * inner + i]
                    if v > best || (best.isNaN == false && v.isNaN) { best = v; at = j }
                }
                o[r * inner + i] = best
                argmax[r * inner + i] = Int32(at)
            }
        }
        withExtendedLifetime(src) {}
        let inputShape = shape
        return Tensor.record(out, "max", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(shape: inputShape, repeating: 0)
            for r in 0..<outer {
                for i in 0..<inner {
                    let j = Int(argmax[r * inner + i])
                    dx.pointer[(r * n + j) * inner + i] = gc.pointer[r * inner + i]
                }
            }
            return [dx]
        }
    }

    /// Index of the largest element along the last axis, one per row (the first on ties; NaN counts
    /// as largest). For greedy decoding: logits [..., V] → [rows].
    public func argmax() throws -> [Int] {
        guard let v = shape.last, v > 0 else { throw TensorError("argmax", "needs a non-empty last axis, got \(shape)") }
        let src = contiguous()
        let rows = src.count / v
        var out = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = src.pointer + r * v
            var best = row[0], at = 0
            for j in 1..<v where row[j] > best || (row[j].isNaN && !best.isNaN) {
                best = row[j]
                at = j
            }
            out[r] = at
        }
        withExtendedLifetime(src) {}
        return out
    }

    /// log Σ exp along `axis`, computed stably (max subtracted first).
    public func logSumExp(axis: Int, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "logsumexp")
        let src = contiguous()
        let (outer, n, inner) = splitAround(ax)
        let out = Tensor(uninitializedShape: reducedShape(ax, keepDims: keepDims))
        let p = src.pointer, o = out.pointer
        if inner == 1 {
            for r in 0..<outer {
                let row = p + r * n
                let m = gfn_max(n, row)
                o[r] = m == -.infinity ? -.infinity : m + logf(gfn_exp_sum(n, row, m, nil))
            }
        } else {
            for r in 0..<outer {
                for i in 0..<inner {
                    var m = -Float.infinity
                    for j in 0..<n { m = Swift.max(m, p[(r * n + j) * inner + i]) }
                    var s: Float = 0
                    if m != -.infinity { for j in 0..<n { s += expf(p[(r * n + j) * inner + i] - m) } }
                    o[r * inner + i] = m == -.infinity ? -.infinity : m + logf(s)
                }
            }
        }
        let x = src.detached(), y = out.detached()
        let keptShape = reducedShape(ax, keepDims: true)
        return Tensor.record(out, "logsumexp", [self]) { g in
            // d/dx = softmax(x) = exp(x − lse)
            let w = try (x - y.reshaped(keptShape)).exp()
            return [try w * g.reshaped(keptShape)]
        }
    }

    /// Running sum along `axis`: y[i] = Σ_{j ≤ i} x[j].
    public func cumsum(axis: Int) throws -> Tensor {
        let ax = try normalizeAxis(axis, rank: rank, "cumsum")
        let out = cumsumKernel(ax, reverse: false)
        return Tensor.record(out, "cumsum", [self]) { g in [g.cumsumKernel(ax, reverse: true)] }
    }

    /// Forward (or, for the gradient, reversed) running sum without autograd.
    func cumsumKernel(_ ax: Int, reverse: Bool) -> Tensor {
        let src = contiguous()
        let (outer, n, inner) = splitAround(ax)
        let out = Tensor(uninitializedShape: shape)
        let p = src.pointer, o = out.pointer
        for r in 0..<outer {
            for step in 0..<n {
                let j = reverse ? n - 1 - step : step
                let row = p + (r * n + j) * inner, dst = o + (r * n + j) * inner
                if step == 0 {
                    dst.update(from: row, count: inner)
                } else {
                    let prev = o + (r * n + (reverse ? j + 1 : j - 1)) * inner
                    for i in 0..<inner { dst[i] = prev[i] + row[i] }
                }
            }
        }
        withExtendedLifetime(src) {}
        return out
    }
}
