/// Vectorized Float32 math for the kernels, following the measured rules in
/// shared/notes/swift-c-interop.md §4: SIMD16 lanes, a polynomial exp with magic-number rounding
/// and bit casts (no libm call, no SIMD int/float conversion), clamps with `.replacing(with:where:)`
/// (not pointwiseMin/Max, which are per-lane loops), and SIMD accumulators for reductions
/// (Swift never vectorizes a Float sum by itself).
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

/// e^x per lane, Cephes-style: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n by exponent bits
/// (applied as 2^(n−1)·2 so that n = 128 near the top of the range does not overflow).
/// Relative error about 2 ulp; 0 below −86.6 (so −inf gives exactly 0; results under 2.5e-38
/// are flushed) and +inf above 88.72.
@inline(__always)
func vexp(_ x: Vec) -> Vec {
    let hi: Float = 88.72283, lo: Float = -86.6
    var v = x.replacing(with: hi, where: x .> hi)
    v = v.replacing(with: lo, where: v .< lo)
    let magic: Float = 12582912  // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
    let t = v * 1.4426950408889634 + magic
    let n = t - magic
    let r = v - n * 0.693359375 + n * 2.12194440e-4
    var p: Vec = Vec(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * (r * r) + r + 1
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((ni &+ 126) &<< 23, to: Vec.self)
    var out = (y * scale) * 2
    out = out.replacing(with: 0, where: x .< lo)
    out = out.replacing(with: .infinity, where: x .> hi)
    return out
}

@inline(__always)
func vsigmoid(_ x: Vec) -> Vec {
    1 / (1 + vexp(-x))
}

/// tanh(x) = sign(x)·(1 − e)/(1 + e) with e = e^(−2|x|); absolute error about 1e-7.
@inline(__always)
func vtanh(_ x: Vec) -> Vec {
    let neg = x .< 0
    let ax = x.replacing(with: -x, where: neg)
    let e = vexp(-2 * ax)
    let t = (1 - e) / (1 + e)
    return t.replacing(with: -t, where: neg)
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

/// max x[i] (−inf for n = 0); NaN-free inputs assumed for the SIMD part.
@inline(__always)
func vmax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = Vec(repeating: -.infinity), m1 = Vec(repeating: -.infinity)
    var i = 0
    while i + 2 * vecWidth <= n {
        let v0 = loadVec(x + i), v1 = loadVec(x + i + vecWidth)
        m0 = m0.replacing(with: v0, where: v0 .> m0)
        m1 = m1.replacing(with: v1, where: v1 .> m1)
        i += 2 * vecWidth
    }
    m0 = m0.replacing(with: m1, where: m1 .> m0)
    var m = m0.max()
    while i < n { if x[i] > m { m = x[i] }; i += 1 }
    return m
}

/// Σ e^(x[i] − shift), writing e^(x[i] − shift) into `out` when it is non-nil.
@inline(__always)
func vexpSum(_ x: UnsafePointer<Float>, _ n: Int, shift: Float, out: UnsafeMutablePointer<Float>?) -> Float {
    var acc = Vec(repeating: 0)
    var i = 0
    while i + vecWidth <= n {
        let e = vexp(loadVec(x + i) - shift)
        if let out { storeVec(e, out + i) }
        acc += e
        i += vecWidth
    }
    var s = acc.sum()
    if i < n {
        var v = Vec(repeating: -.infinity)
        for j in 0..<(n - i) { v[j] = x[i + j] - shift }
        let e = vexp(v)
        for j in 0..<(n - i) { out?[i + j] = e[j]; s += e[j] }
    }
    return s
}
