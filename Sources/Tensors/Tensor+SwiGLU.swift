/// SwiGLU, the gated MLP activation of Llama-family models: x [..., 2F] holds the gate and the up
/// projection side by side (one fused matmul makes both) → silu(gate)·up [..., F].
///
/// Fused because the composed form (two slices, `silu`, `*`) copies each strided half before
/// using it and, in backward, makes two zero-filled [..., 2F] gradients for the slices and adds
/// them; here forward is one pass and backward writes d(gate) and d(up) into one [..., 2F] tensor.
/// The arithmetic is that of `silu()` and `*`, so the values are the same.
extension Tensor {
    public func swiGLU() throws -> Tensor {
        guard let width = shape.last, width % 2 == 0 else {
            throw TensorError("swiGLU", "the last axis must hold gate and up halves (even size), got shape \(shape)")
        }
        let f = width / 2
        let rows = width == 0 ? 0 : count / width
        let x = contiguous()
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [f])
        let box = UncheckedSendable((x.pointer, out.pointer))
        parallelChunks(rows, work: rows * f * 8) { r in
            let (px, po) = box.value
            for row in r {
                mapVec2(px + row * width, px + row * width + f, po + row * f, f) { g, u in (g * vsigmoid(g)) * u }
            }
        }
        withExtendedLifetime(x) {}
        let xd = x.detached(), inputShape = shape
        return Tensor.record(out, "swiGLU", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: inputShape)
            let box = UncheckedSendable((xd.pointer, gc.pointer, dx.pointer))
            parallelChunks(rows, work: rows * f * 8) { r in
                let (px, pg, pd) = box.value
                for row in r {
                    swiGLUBackwardRow(pg + row * f, px + row * width, px + row * width + f,
                                      pd + row * width, pd + row * width + f, f)
                }
            }
            withExtendedLifetime((xd, gc)) {}
            return [dx]
        }
    }
}

/// d(gate) = g·up·s·(1 + gate·(1 − s)) and d(up) = g·gate·s, s = σ(gate), for `n` elements.
@inline(__always)
private func swiGLUBackwardRow(_ g: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>,
                               _ dGate: UnsafeMutablePointer<Float>, _ dUp: UnsafeMutablePointer<Float>, _ n: Int) {
    @inline(__always) func lanes(_ gv: Vec, _ x: Vec, _ u: Vec) -> (Vec, Vec) {
        let s = vsigmoid(x)
        return ((gv * u) * s * (1 + x * (1 - s)), gv * (x * s))
    }
    var i = 0
    while i + vecWidth <= n {
        let (a, b) = lanes(loadVec(g + i), loadVec(gate + i), loadVec(up + i))
        storeVec(a, dGate + i)
        storeVec(b, dUp + i)
        i += vecWidth
    }
    if i < n {
        var gv = Vec(repeating: 0), x = Vec(repeating: 0), u = Vec(repeating: 0)
        for j in 0..<(n - i) { gv[j] = g[i + j]; x[j] = gate[i + j]; u[j] = up[i + j] }
        let (a, b) = lanes(gv, x, u)
        for j in 0..<(n - i) { dGate[i + j] = a[j]; dUp[i + j] = b[j] }
    }
}
