import CKernels

/// SwiGLU, the gated MLP activation of Llama-family models: x [..., 2F] holds the gate and the up
/// projection side by side (one fused matmul makes both) → silu(gate)·up [..., F].
///
/// Fused because the composed form (two slices, `silu`, `*`) copies each strided half before
/// using it and, in backward, makes two zero-filled [..., 2F] gradients for the slices and adds
/// them; here forward is one pass and backward writes d(gate) and d(up) into one [..., 2F] tensor.
/// The arithmetic is that of `silu()` and `*` (CKernels' gfn_swiglu), so the values are the same.
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
                gfn_swiglu(f, px + row * width, px + row * width + f, po + row * f)
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
                    gfn_swiglu_backward(f, pg + row * f, px + row * width, px + row * width + f,
                                        pd + row * width, pd + row * width + f)
                }
            }
            withExtendedLifetime((xd, gc)) {}
            return [dx]
        }
    }
}
