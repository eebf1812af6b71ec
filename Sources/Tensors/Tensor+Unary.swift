import CKernels
import Glibc

/// Elementwise functions: exp, log, sqrt, rsqrt, pow, tanh, sigmoid, SiLU, GELU (tanh form).
/// Each forward is a SIMD map over contiguous memory; each backward one fused pass over
/// (gradient, input, output).
extension Tensor {
    /// Applies a SIMD forward to every element (split across cores when large).
    func unaryKernel(_ f: @escaping @Sendable (Vec) -> Vec) -> Tensor {
        vectorMathKernel { n, s, o in mapVec(s, o, n, f) }
    }

    /// Applies a function of contiguous floats (y = f(x) over n of them: one of CKernels' elementwise
    /// functions, or a SIMD map) to every element, split across cores when large.
    func vectorMathKernel(_ f: @escaping @Sendable (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitializedShape: shape)
        let n = count
        let box = UncheckedSendable((src.pointer, out.pointer))
        parallelChunks(n, work: n * 8) { r in
            let (s, o) = box.value
            f(r.count, s + r.lowerBound, o + r.lowerBound)
        }
        withExtendedLifetime(src) {}
        return out
    }

    /// Records an elementwise op whose input gradient is one of CKernels' backward functions,
    /// dx = df(g, x) over n contiguous floats.
    func recordVectorMath(_ out: Tensor, _ name: String,
                          _ df: @escaping @Sendable (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        guard GradMode.recording && requiresGrad else { return out }
        let x = self.detached()
        return Tensor.record(out, name, [self]) { g in
            let gc = g.contiguous(), xc = x.contiguous()
            let result = Tensor(uninitializedShape: x.shape)
            let n = result.count
            let box = UncheckedSendable((gc.pointer, xc.pointer, result.pointer))
            parallelChunks(n, work: n * 8) { r in
                let (pg, px, pr) = box.value
                let s = r.lowerBound
                df(r.count, pg + s, px + s, pr + s)
            }
            withExtendedLifetime((gc, xc)) {}
            return [result]
        }
    }

    /// Records an elementwise op whose input gradient is `g · df(x, y)`.
    func recordUnary(_ out: Tensor, _ name: String, _ df: @escaping @Sendable (_ g: Vec, _ x: Vec, _ y: Vec) -> Vec) -> Tensor {
        guard GradMode.recording && requiresGrad else { return out }
        let x = self.detached(), y = out.detached()
        return Tensor.record(out, name, [self]) { g in
            let gc = g.contiguous(), xc = x.contiguous()
            let result = Tensor(uninitializedShape: x.shape)
            let n = result.count
            let box = UncheckedSendable((gc.pointer, xc.pointer, y.pointer, result.pointer))
            parallelChunks(n, work: n * 8) { r in
                let (pg, px, py, pr) = box.value
                let s = r.lowerBound
                mapVec3(pg + s, px + s, py + s, pr + s, r.count, df)
            }
            withExtendedLifetime((gc, xc, y)) {}
            return [result]
        }
    }

    public func exp() -> Tensor {
        recordUnary(vectorMathKernel { gfn_exp_scaled($0, $1, 0, 1, $2) }, "exp") { g, _, y in g * y }
    }

    /// Natural logarithm (−inf at 0, NaN below).
    public func log() -> Tensor {
        let out = unaryKernel { v in
            var r = v
            for i in 0..<vecWidth { r[i] = logf(v[i]) }
            return r
        }
        return recordUnary(out, "log") { g, x, _ in g / x }
    }

    public func sqrt() -> Tensor {
        recordUnary(unaryKernel { $0.squareRoot() }, "sqrt") { g, _, y in g * 0.5 / y }
    }

    /// 1/√x.
    public func rsqrt() -> Tensor {
        recordUnary(unaryKernel { 1 / $0.squareRoot() }, "rsqrt") { g, _, y in g * -0.5 * y * y * y }
    }

    /// x^p for a scalar exponent (powf per element; integer p = 2 is a multiply).
    public func pow(_ p: Float) -> Tensor {
        if p == 2 {
            return recordUnary(unaryKernel { $0 * $0 }, "pow") { g, x, _ in g * 2 * x }
        }
        let out = unaryKernel { v in
            var r = v
            for i in 0..<vecWidth { r[i] = powf(v[i], p) }
            return r
        }
        return recordUnary(out, "pow") { g, x, _ in
            var d = x
            for i in 0..<vecWidth { d[i] = p * powf(x[i], p - 1) }
            return g * d
        }
    }

    public func tanh() -> Tensor {
        recordUnary(vectorMathKernel { gfn_tanh($0, $1, $2) }, "tanh") { g, _, y in g * (1 - y * y) }
    }

    public func sigmoid() -> Tensor {
        recordUnary(vectorMathKernel { gfn_sigmoid($0, $1, $2) }, "sigmoid") { g, _, y in g * y * (1 - y) }
    }

    /// SiLU (swish): x·σ(x).
    public func silu() -> Tensor {
        recordVectorMath(vectorMathKernel { gfn_silu($0, $1, $2) }, "silu") { gfn_silu_backward($0, $1, $2, $3) }
    }

    /// GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2's `gelu_new`).
    public func gelu() -> Tensor {
        recordVectorMath(vectorMathKernel { gfn_gelu($0, $1, $2) }, "gelu") { gfn_gelu_backward($0, $1, $2, $3) }
    }

    /// max(x, 0).
    public func relu() -> Tensor {
        recordUnary(unaryKernel { $0.replacing(with: 0, where: $0 .< 0) }, "relu") { g, x, _ in
            g.replacing(with: 0, where: x .<= 0)
        }
    }

    /// |x| (gradient sign(x), 0 at 0).
    public func abs() -> Tensor {
        recordUnary(unaryKernel { $0.replacing(with: -$0, where: $0 .< 0) }, "abs") { g, x, _ in
            let s = Vec(repeating: 1).replacing(with: -1, where: x .< 0).replacing(with: 0, where: x .== 0)
            return g * s
        }
    }

    /// Limits every element to [lower, upper] (either may be ±inf). The gradient passes where the
    /// input was inside the range and is 0 where it was clamped.
    public func clamped(min lower: Float = -.infinity, max upper: Float = .infinity) throws -> Tensor {
        guard !(lower > upper) else { throw TensorError("clamp", "min \(lower) is above max \(upper)") }
        let out = unaryKernel { v in v.replacing(with: lower, where: v .< lower).replacing(with: upper, where: v .> upper) }
        return recordUnary(out, "clamp") { g, x, _ in
            g.replacing(with: 0, where: (x .< lower) .| (x .> upper))
        }
    }

    /// Elementwise a^b for two tensors (broadcasting), via exp(b·log a); a must be positive.
    public func pow(_ exponent: Tensor) throws -> Tensor {
        try (exponent * log()).exp()
    }
}
