/// LayerNorm and RMSNorm over the last axis, each a fused forward that saves per-row statistics
/// and a fused backward. Shapes: x [..., C], weight and bias [C].
extension Tensor {
    /// (x − mean)/√(var + eps)·weight + bias over the last axis (biased variance, as PyTorch).
    public func layerNorm(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) throws -> Tensor {
        guard let c = shape.last else { throw TensorError("layerNorm", "needs at least 1 dimension, got a scalar") }
        if let w = weight, w.shape != [c] { throw TensorError.shapes("layerNorm", "weight must be [C] for input [..., C]", w.shape, shape) }
        if let b = bias, b.shape != [c] { throw TensorError.shapes("layerNorm", "bias must be [C] for input [..., C]", b.shape, shape) }
        let x = contiguous()
        let wc = weight?.contiguous(), bc = bias?.contiguous()
        let rows = c == 0 ? 0 : x.count / c
        let out = Tensor(uninitializedShape: shape)
        let stats = Tensor(uninitializedShape: [rows, 2])  // mean, 1/σ per row
        let box = UncheckedSendable((x.pointer, out.pointer, stats.pointer, wc?.pointer, bc?.pointer))
        parallelChunks(rows, work: rows * c * 2) { r in
            let (px, po, ps, pw, pb) = box.value
            for row in r {
                let xr = px + row * c, yr = po + row * c
                let mean = vsum(xr, c) / Float(c)
                var v: Float = 0
                for i in 0..<c { let d = xr[i] - mean; v += d * d }
                let rstd = 1 / (v / Float(c) + epsilon).squareRoot()
                ps[2 * row] = mean
                ps[2 * row + 1] = rstd
                for i in 0..<c {
                    var y = (xr[i] - mean) * rstd
                    if let pw { y *= pw[i] }
                    if let pb { y += pb[i] }
                    yr[i] = y
                }
            }
        }
        withExtendedLifetime((x, wc, bc)) {}
        let xd = x.detached(), wd = wc?.detached()
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let hasWeight = weight != nil, hasBias = bias != nil
        return Tensor.record(out, "layerNorm", inputs) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: xd.shape)
            let dw = Tensor(shape: [c], repeating: 0), db = Tensor(shape: [c], repeating: 0)
            let px = xd.pointer, pg = gc.pointer, ps = stats.pointer
            for row in 0..<rows {
                let xr = px + row * c, gr = pg + row * c, dr = dx.pointer + row * c
                let mean = ps[2 * row], rstd = ps[2 * row + 1]
                // x̂ = (x − μ)/σ, ĝ = g·w: dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ
                var sumG: Float = 0, sumGX: Float = 0
                for i in 0..<c {
                    let xh = (xr[i] - mean) * rstd
                    let gh = gr[i] * (wd?.pointer[i] ?? 1)
                    sumG += gh
                    sumGX += gh * xh
                    dw.pointer[i] += gr[i] * xh
                    db.pointer[i] += gr[i]
                }
                let mg = sumG / Float(c), mgx = sumGX / Float(c)
                for i in 0..<c {
                    let xh = (xr[i] - mean) * rstd
                    let gh = gr[i] * (wd?.pointer[i] ?? 1)
                    dr[i] = (gh - mg - xh * mgx) * rstd
                }
            }
            withExtendedLifetime(gc) {}
            var grads: [Tensor?] = [dx]
            if hasWeight { grads.append(dw) }
            if hasBias { grads.append(db) }
            return grads
        }
    }

    /// x/√(mean(x²) + eps)·weight over the last axis (Llama's RMSNorm).
    public func rmsNorm(weight: Tensor?, epsilon: Float = 1e-6) throws -> Tensor {
        guard let c = shape.last else { throw TensorError("rmsNorm", "needs at least 1 dimension, got a scalar") }
        if let w = weight, w.shape != [c] { throw TensorError.shapes("rmsNorm", "weight must be [C] for input [..., C]", w.shape, shape) }
        let x = contiguous()
        let wc = weight?.contiguous()
        let rows = c == 0 ? 0 : x.count / c
        let out = Tensor(uninitializedShape: shape)
        let rstds = Tensor(uninitializedShape: [rows])
        let box = UncheckedSendable((x.pointer, out.pointer, rstds.pointer, wc?.pointer))
        parallelChunks(rows, work: rows * c * 2) { r in
            let (px, po, ps, pw) = box.value
            for row in r {
                let xr = px + row * c, yr = po + row * c
                let rstd = 1 / (vdot(xr, xr, c) / Float(c) + epsilon).squareRoot()
                ps[row] = rstd
                if let pw {
                    for i in 0..<c { yr[i] = xr[i] * rstd * pw[i] }
                } else {
                    for i in 0..<c { yr[i] = xr[i] * rstd }
                }
            }
        }
        withExtendedLifetime((x, wc)) {}
        let xd = x.detached(), wd = wc?.detached()
        var inputs = [self]
        if let weight { inputs.append(weight) }
        let hasWeight = weight != nil
        let needW = weight?.requiresGrad ?? false
        return Tensor.record(out, "rmsNorm", inputs) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: xd.shape)
            // Rows in fixed blocks across the kernel threads; the weight's gradient (a sum over rows) as one
            // partial per block, added up in block order, so its bits do not depend on the thread count.
            let blocks = (rows + rmsNormBlockRows - 1) / rmsNormBlockRows
            let partials = needW ? Tensor(shape: [blocks, c], repeating: 0) : nil
            let box = UncheckedSendable((xd.pointer, gc.pointer, rstds.pointer, wd?.pointer, dx.pointer, partials?.pointer))
            parallelChunks(blocks, work: rows * c * 4) { range in
                let (px, pg, ps, pw, pd, pp) = box.value
                for block in range {
                    for row in (block * rmsNormBlockRows)..<Swift.min(rows, (block + 1) * rmsNormBlockRows) {
                        rmsNormBackwardRow(px + row * c, pg + row * c, pw, ps[row], pd + row * c, pp.map { $0 + block * c }, c)
                    }
                }
            }
            withExtendedLifetime((gc, xd, wd)) {}
            guard hasWeight else { return [dx] }
            let dw = Tensor(shape: [c], repeating: 0)
            if let partials {
                for block in 0..<blocks { mapVec2(dw.pointer, partials.pointer + block * c, dw.pointer, c) { $0 + $1 } }
            }
            return [dx, dw]
        }
    }
}

/// Rows per block of RMSNorm's backward (the unit of work and of the weight gradient's partial sums).
let rmsNormBlockRows = 32

/// One row of RMSNorm's backward, ĝ = g·w: dx = r·ĝ − x·r³·mean(ĝ·x); adds g·x·r into `dw` when given.
@inline(__always)
private func rmsNormBackwardRow(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>?, _ rstd: Float,
                                _ dx: UnsafeMutablePointer<Float>, _ dw: UnsafeMutablePointer<Float>?, _ c: Int) {
    var dot: Float
    if let w {
        var a0 = Vec(repeating: 0), i = 0
        while i + vecWidth <= c {
            a0 += loadVec(g + i) * loadVec(w + i) * loadVec(x + i)
            i += vecWidth
        }
        dot = a0.sum()
        while i < c { dot += g[i] * w[i] * x[i]; i += 1 }
    } else {
        dot = vdot(g, x, c)
    }
    let k = rstd * rstd * rstd * dot / Float(c)
    if let w {
        mapVec3(g, w, x, dx, c) { gv, wv, xv in rstd * gv * wv - xv * k }
    } else {
        mapVec2(g, x, dx, c) { gv, xv in rstd * gv - xv * k }
    }
    if let dw {
        mapVec3(dw, g, x, dw, c) { dv, gv, xv in dv + gv * xv * rstd }
    }
}
