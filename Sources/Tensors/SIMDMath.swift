/// SIMD16 loops for the Swift kernels (arithmetic, norms, optimizers), following the measured rules in
/// docs/tensors.md, "Writing fast Swift loops": clamps with `.replacing(with:where:)` (not pointwiseMin/Max,
/// which are per-lane loops) and SIMD accumulators for reductions (Swift never vectorizes a Float sum by
/// itself). Swift compiles these for the baseline x86-64 target (SSE2, no FMA); the exp family (exp,
/// sigmoid, tanh, SiLU, GELU, SwiGLU, softmax sums) is in CKernels' vector_math.c, which uses AVX2+FMA
/// when the CPU has it (3–5× faster here).
import Glibc

typealias Vec = SIMD16<Float>
let vecWidth = 16

@inline(__always)
func loadVec(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always)
func storeVec(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Applies `f` to `n` elements from `src` into `dst` (which may be the same memory).
@inline(__always)
func mapVec(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= n {
        storeVec(f(loadVec(src + i)), dst + i)
        i += vecWidth
    }
    if i < n {
        var v = Vec(repeating: 0)
        for j in 0..<(n - i) { v[j] = src[i + j] }
        let r = f(v)
        for j in 0..<(n - i) { dst[i + j] = r[j] }
    }
}

/// Applies `f` lane-wise to two equally long inputs.
@inline(__always)
func mapVec2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
             _ f: (Vec, Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= n {
        storeVec(f(loadVec(a + i), loadVec(b + i)), dst + i)
        i += vecWidth
    }
    if i < n {
        var va = Vec(repeating: 0), vb = Vec(repeating: 0)
        for j in 0..<(n - i) { va[j] = a[i + j]; vb[j] = b[i + j] }
        let r = f(va, vb)
        for j in 0..<(n - i) { dst[i + j] = r[j] }
    }
}

/// Applies `f` lane-wise to three equally long inputs.
@inline(__always)
func mapVec3(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
             _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ f: (Vec, Vec, Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= n {
        storeVec(f(loadVec(a + i), loadVec(b + i), loadVec(c + i)), dst + i)
        i += vecWidth
    }
    if i < n {
        var va = Vec(repeating: 0), vb = Vec(repeating: 0), vc = Vec(repeating: 0)
        for j in 0..<(n - i) { va[j] = a[i + j]; vb[j] = b[i + j]; vc[j] = c[i + j] }
        let r = f(va, vb, vc)
        for j in 0..<(n - i) { dst[i + j] = r[j] }
    }
}

/// Σ x[i] with 2×16 SIMD accumulators.
@inline(__always)
func vsum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = Vec(repeating: 0), a1 = Vec(repeating: 0)
    var i = 0
    while i + 2 * vecWidth <= n {
        a0 += loadVec(x + i)
        a1 += loadVec(x + i + vecWidth)
        i += 2 * vecWidth
    }
    var s = (a0 + a1).sum()
    while i < n { s += x[i]; i += 1 }
    return s
}

/// Σ x[i]·y[i] with SIMD accumulators.
@inline(__always)
func vdot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = Vec(repeating: 0), a1 = Vec(repeating: 0)
    var i = 0
    while i + 2 * vecWidth <= n {
        a0 += loadVec(x + i) * loadVec(y + i)
        a1 += loadVec(x + i + vecWidth) * loadVec(y + i + vecWidth)
        i += 2 * vecWidth
    }
    var s = (a0 + a1).sum()
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}
