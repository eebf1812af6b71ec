import CKernels
import Foundation

/// log-softmax(x·Wᵀ + bias) gathered at given indices, without ever holding the logits [rows, V] whole: the
/// LM head of teacher-forced scoring, whose logits (16 rows × 40 tokens × 49152 for SmolLM2: 126 MB, and as
/// much again for their gradient) were the largest tensors of a LoRA training step.
///
/// W is walked in tiles of its rows (vocabulary entries), each tile read once (a quantised one dequantised
/// once into a scratch buffer): the tile's logits for all rows, an online log-sum-exp (running max and sum,
/// rescaled when the max grows), the gathered logits picked out. When a gradient will be needed the same
/// tile also accumulates Σ_v e^(l_v − max)·W_v, so that at the end each row holds E_p[W] = softmax·W, and the
/// backward pass is dx_r = Σ_j g_rj·W[t_rj] − (Σ_j g_rj)·E_p[W]_r, with no logits at all (the float32 path
/// computed the same softmax·W product in its backward, from the held logits). W and the bias are frozen.
extension Tensor {
    /// x [..., in] against a float32 W [V, in]: log-softmax over V of x·Wᵀ (+ bias [V]) at `indices` (k per row) → [..., k].
    public func logSoftmax(linear weight: Tensor, bias: Tensor? = nil, gathering indices: [Int]) throws -> Tensor {
        try logSoftmax(linear: weight, bias: bias, gathering: indices, tileFloats: quantizedScratchFloats)
    }

    /// The same with W kept in its GGUF blocks (each tile dequantised once, shared by both products).
    public func logSoftmax(linear weight: QuantizedMatrix, bias: Tensor? = nil, gathering indices: [Int]) throws -> Tensor {
        try logSoftmax(linear: weight, bias: bias, gathering: indices, tileFloats: quantizedScratchFloats)
    }

    /// `tileFloats` bounds the W tile and the tile's logits (tests make it small to walk many tiles).
    func logSoftmax(linear weight: Tensor, bias: Tensor?, gathering indices: [Int], tileFloats: Int) throws -> Tensor {
        guard weight.rank == 2 else { throw TensorError("logSoftmax(linear:)", "the weight must be [V, in], got \(weight.shape)") }
        let w = weight.contiguous()
        let (n, k) = (w.shape[0], w.shape[1])
        return try logSoftmaxOfLinear(rows: n, columns: k, bias: bias, indices: indices, tileFloats: tileFloats, keepAlive: w,
                                      tile: { j0, _, _ in UnsafePointer(w.pointer + j0 * k) },
                                      row: { j, out in out.update(from: w.pointer + j * k, count: k) })
    }

    func logSoftmax(linear weight: QuantizedMatrix, bias: Tensor?, gathering indices: [Int], tileFloats: Int) throws -> Tensor {
        try logSoftmaxOfLinear(rows: weight.rows, columns: weight.columns, bias: bias, indices: indices, tileFloats: tileFloats,
                               keepAlive: weight,
                               tile: { j0, j1, scratch in
                                   weight.dequantizeInParallel(rows: j0, j1, into: scratch, ld: weight.columns)
                                   return UnsafePointer(scratch)
                               },
                               row: { j, out in weight.dequantize(rows: j, j + 1, into: out, ld: weight.columns) })
    }

    /// `tile(j0, j1, scratch)` gives rows [j0, j1) of W, `columns` floats each (dequantised into `scratch`, or in place);
    /// `row(j, out)` writes row j.
    private func logSoftmaxOfLinear(rows n: Int, columns k: Int, bias: Tensor?, indices: [Int], tileFloats: Int, keepAlive: AnyObject,
                                    tile: @escaping (Int, Int, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>,
                                    row: @escaping (Int, UnsafeMutablePointer<Float>) -> Void) throws -> Tensor {
        let operation = "logSoftmax(linear:)"
        guard rank >= 1, shape.last == k else {
            throw TensorError.shapes(operation, "input [..., in] and weight [V, in] do not agree", shape, [n, k])
        }
        guard n > 0 else { throw TensorError(operation, "the weight has no rows to take a softmax over") }
        if let bias, bias.shape != [n] { throw TensorError.shapes(operation, "the bias must be [V]", bias.shape, [n]) }
        let m = count / Swift.max(k, 1)
        guard m > 0, indices.count % m == 0 else {
            throw TensorError(operation, "\(indices.count) indices do not divide evenly over the \(m) rows of shape \(shape)")
        }
        let picks = indices.count / m
        if let bad = indices.first(where: { $0 < 0 || $0 >= n }) {
            throw TensorError(operation, "index \(bad) is out of range for the \(n) rows of the weight")
        }
        let outShape = Array(shape.dropLast()) + [picks]
        try validateShape(outShape, operation)
        let needsGradient = GradMode.recording && requiresGrad
        let x = contiguous()
        let biasValues = bias?.contiguous()
        let out = Tensor(uninitializedShape: outShape)
        // E_p[W] per row (unnormalised while the tiles go by), only when a backward pass will want it.
        let expected = needsGradient ? Tensor(shape: [m, k], repeating: 0) : nil
        var maxima = [Float](repeating: -.infinity, count: m), sums = [Float](repeating: 0, count: m)
        // Both buffers at most `tileFloats` floats (16 MB by default): the W tile and the tile's logits for every row.
        let tileRows = Swift.min(n, Swift.max(1, tileFloats / Swift.max(1, Swift.max(k, m))))
        let scratch = Tensor(uninitializedShape: [tileRows * k]), logits = Tensor(uninitializedShape: [m * tileRows])
        // Targets by row, so each tile finds its own.
        indices.withUnsafeBufferPointer { ids in
            maxima.withUnsafeMutableBufferPointer { mx in
                sums.withUnsafeMutableBufferPointer { sm in
                    let box = UncheckedSendable((x.pointer, out.pointer, logits.pointer, ids.baseAddress!, mx.baseAddress!, sm.baseAddress!,
                                                 biasValues?.pointer, expected?.pointer))
                    for j0 in stride(from: 0, to: n, by: tileRows) {
                        let j1 = Swift.min(n, j0 + tileRows), tn = j1 - j0
                        let wt = tile(j0, j1, scratch.pointer)
                        sgemm(false, true, m, tn, k, 1, x.pointer, k, wt, k, 0, logits.pointer, tn)
                        parallelChunks(m, work: m * tn * 4) { range in
                            let (_, po, pl, pi, pm, ps, pb, pe) = box.value
                            for r in range {
                                let lr = pl + r * tn
                                if let pb { for v in 0..<tn { lr[v] += pb[j0 + v] } }
                                for j in 0..<picks {
                                    let t = pi[r * picks + j]
                                    if t >= j0 && t < j1 { po[r * picks + j] = lr[t - j0] }
                                }
                                let top = Swift.max(pm[r], gfn_max(tn, lr))
                                if top == -.infinity {
                                    if pe != nil { lr.update(repeating: 0, count: tn) }
                                    continue
                                }
                                let rescale = pm[r] == -.infinity ? 0 : expf(pm[r] - top)
                                ps[r] = ps[r] * rescale + gfn_exp_sum(tn, lr, top, pe == nil ? nil : lr)
                                if let pe, rescale != 1 {
                                    let er = pe + r * k
                                    for c in 0..<k { er[c] *= rescale }
                                }
                                pm[r] = top
                            }
                        }
                        if let pe = expected?.pointer { sgemm(false, false, m, k, tn, 1, logits.pointer, tn, wt, k, 1, pe, k) }
                    }
                    let (_, po, _, _, pm, ps, _, pe) = box.value
                    for r in 0..<m {
                        let lse = pm[r] == -.infinity ? -Float.infinity : pm[r] + logf(ps[r])
                        for j in 0..<picks { po[r * picks + j] = lse == -.infinity ? -.infinity : po[r * picks + j] - lse }
                        if let pe, ps[r] > 0 {
                            let inverse = 1 / ps[r], er = pe + r * k
                            for c in 0..<k { er[c] *= inverse }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((x, biasValues, scratch, logits, keepAlive)) {}
        guard let expected else { return out }
        let inputShape = shape
        return Tensor.record(out, "logSoftmaxOfLinear", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: inputShape)
            let wRow = Tensor(uninitializedShape: [k])
            for r in 0..<m {
                let dr = dx.pointer + r * k, er = expected.pointer + r * k, gr = gc.pointer + r * picks
                var total: Float = 0
                for j in 0..<picks { total += gr[j] }
                for c in 0..<k { dr[c] = -total * er[c] }
                for j in 0..<picks where gr[j] != 0 {
                    row(indices[r * picks + j], wRow.pointer)
                    for c in 0..<k { dr[c] += gr[j] * wRow.pointer[c] }
                }
            }
            withExtendedLifetime((gc, expected, wRow, keepAlive)) {}
            return [dx]
        }
    }
}
