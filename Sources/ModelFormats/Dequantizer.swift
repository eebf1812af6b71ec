/// Turns GGUF tensor data into Float32, following ggml's reference `dequantize_row_*` layouts.
///
/// Block layouts (all little-endian; `d`, `m`, `dmin` are float16 unless noted):
/// - Q4_0 (32): d, 16 bytes; element j = (low nibble of byte j − 8)·d, element j+16 = (high nibble − 8)·d.
/// - Q4_1 (32): d, m, 16 bytes; as Q4_0 without the −8, plus m.
/// - Q5_0 / Q5_1 (32): as Q4_0 / Q4_1 with a fifth bit per element from a 32-bit mask (−16 for Q5_0).
/// - Q8_0 (32): d, 32 int8; element = q·d.
/// - Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (256): super-blocks with 6- or 8-bit sub-block scales, see each function.
public enum Dequantizer {
    /// Dequantises whole blocks from `source` into `destination`; the caller has checked that `source` holds
    /// exactly `destination.count / type.blockSize` blocks and that the type can be dequantised.
    public static func dequantize(_ type: GGMLType, from source: UnsafeRawBufferPointer,
                                  into destination: UnsafeMutableBufferPointer<Float>) {
        guard destination.count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let n = destination.count
        let blocks = n / type.blockSize
        switch type {
        case .f32:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<n { dst[i] = half(src, 2 * i) }
        case .bf16:
            for i in 0..<n {
                dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        case .f64:
            for i in 0..<n { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .i8:
            for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
        case .i16:
            for i in 0..<n { dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .i32:
            for i in 0..<n { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .q4_0: for b in 0..<blocks { q4_0(src + 18 * b, dst + 32 * b) }
        case .q4_1: for b in 0..<blocks { q4_1(src + 20 * b, dst + 32 * b) }
        case .q5_0: for b in 0..<blocks { q5_0(src + 22 * b, dst + 32 * b) }
        case .q5_1: for b in 0..<blocks { q5_1(src + 24 * b, dst + 32 * b) }
        case .q8_0: for b in 0..<blocks { q8_0(src + 34 * b, dst + 32 * b) }
        case .q2_K: for b in 0..<blocks { q2_K(src + 84 * b, dst + 256 * b) }
        case .q3_K: for b in 0..<blocks { q3_K(src + 110 * b, dst + 256 * b) }
        case .q4_K: for b in 0..<blocks { q4_K(src + 144 * b, dst + 256 * b) }
        case .q5_K: for b in 0..<blocks { q5_K(src + 176 * b, dst + 256 * b) }
        case .q6_K: for b in 0..<blocks { q6_K(src + 210 * b, dst + 256 * b) }
        default:
            // Unreachable through GGUFFile, which checks `canDequantize` first; leave zeros rather than trap.
            break
        }
    }

    /// IEEE half precision at byte `offset` as Float.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    @inline(__always)
    private static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    private static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<16 {
            let q = byte(p, 2 + j)
            y[j] = Float(Int(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    private static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        for j in 0..<16 {
            let q = byte(p, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    private static func q5_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = byte(p, 6 + j)
            let h0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
            let h1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
            y[j] = Float(Int((q & 0x0F) | h0) - 16) * d
            y[j + 16] = Float(Int((q >> 4) | h1) - 16) * d
        }
    }

    private static func q5_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = byte(p, 8 + j)
            let h0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
            let h1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
            y[j] = Float((q & 0x0F) | h0) * d + m
            y[j + 16] = Float((q >> 4) | h1) * d + m
        }
    }

    private static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    /// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2-bit), d, dmin.
    private static func q2_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 80), dmin = half(p, 82)
        var out = 0, scale = 0
        for half128 in 0..<2 {
            let q = 16 + 32 * half128
            var shift: UInt8 = 0
            for _ in 0..<4 {
                for part in 0..<2 {
                    let sc = byte(p, scale); scale += 1
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[out] = dl * Float((byte(p, q + 16 * part + l) >> shift) & 3) - ml
                        out += 1
                    }
                }
                shift += 2
            }
        }
    }

    /// Q3_K: hmask[32], qs[64] (low 2 bits), scales[12] (sixteen 6-bit scales, offset 32), d.
    private static func q3_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let dAll = half(p, 108)
        var aux = (p.loadUnaligned(fromByteOffset: 96, as: UInt32.self), p.loadUnaligned(fromByteOffset: 100, as: UInt32.self),
                   p.loadUnaligned(fromByteOffset: 104, as: UInt32.self), UInt32(0))
        aux = (UInt32(littleEndian: aux.0), UInt32(littleEndian: aux.1), UInt32(littleEndian: aux.2), 0)
        let k1: UInt32 = 0x0303_0303, k2: UInt32 = 0x0F0F_0F0F
        let tmp = aux.2
        let a2 = ((aux.0 >> 4) & k2) | (((tmp >> 4) & k1) << 4)
        let a3 = ((aux.1 >> 4) & k2) | (((tmp >> 6) & k1) << 4)
        let a0 = (aux.0 & k2) | (((tmp >> 0) & k1) << 4)
        let a1 = (aux.1 & k2) | (((tmp >> 2) & k1) << 4)
        let words = [a0, a1, a2, a3]
        func scale(_ i: Int) -> Int { Int(Int8(bitPattern: UInt8(truncatingIfNeeded: words[i / 4] >> UInt32(8 * (i % 4))))) }
        var out = 0, s = 0
        var mask: UInt8 = 1
        for half128 in 0..<2 {
            let q = 32 + 32 * half128
            var shift: UInt8 = 0
            for _ in 0..<4 {
                for part in 0..<2 {
                    let dl = dAll * Float(scale(s) - 32); s += 1
                    for l in 0..<16 {
                        let lo = Int((byte(p, q + 16 * part + l) >> shift) & 3)
                        let high = byte(p, 16 * part + l) & mask != 0 ? 0 : 4
                        y[out] = dl * Float(lo - high)
                        out += 1
                    }
                }
                shift += 2
                mask <<= 1
            }
        }
    }

    /// The j-th 6-bit (scale, min) pair of the 12-byte K-quant scale block at `q`.
    @inline(__always)
    private static func scaleMinK4(_ j: Int, _ p: UnsafeRawPointer, _ q: Int) -> (Float, Float) {
        if j < 4 {
            return (Float(byte(p, q + j) & 63), Float(byte(p, q + j + 4) & 63))
        }
        let sc = (byte(p, q + j + 4) & 0x0F) | ((byte(p, q + j - 4) >> 6) << 4)
        let m = (byte(p, q + j + 4) >> 4) | ((byte(p, q + j) >> 6) << 4)
        return (Float(sc), Float(m))
    }

    /// Q4_K: d, dmin, scales[12], qs[128]; eight sub-blocks of 32 with 6-bit scale and min.
    private static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), dmin = half(p, 2)
        var out = 0
        for chunk in 0..<4 {
            let (s1, m1) = scaleMinK4(2 * chunk, p, 4)
            let (s2, m2) = scaleMinK4(2 * chunk + 1, p, 4)
            let q = 16 + 32 * chunk
            for l in 0..<32 { y[out + l] = d * s1 * Float(byte(p, q + l) & 0x0F) - dmin * m1 }
            for l in 0..<32 { y[out + 32 + l] = d * s2 * Float(byte(p, q + l) >> 4) - dmin * m2 }
            out += 64
        }
    }

    /// Q5_K: d, dmin, scales[12], qh[32], qs[128].
    private static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), dmin = half(p, 2)
        var out = 0
        var u1: UInt8 = 1, u2: UInt8 = 2
        for chunk in 0..<4 {
            let (s1, m1) = scaleMinK4(2 * chunk, p, 4)
            let (s2, m2) = scaleMinK4(2 * chunk + 1, p, 4)
            let q = 48 + 32 * chunk
            for l in 0..<32 {
                let h: Float = byte(p, 16 + l) & u1 != 0 ? 16 : 0
                y[out + l] = d * s1 * (Float(byte(p, q + l) & 0x0F) + h) - dmin * m1
            }
            for l in 0..<32 {
                let h: Float = byte(p, 16 + l) & u2 != 0 ? 16 : 0
                y[out + 32 + l] = d * s2 * (Float(byte(p, q + l) >> 4) + h) - dmin * m2
            }
            out += 64
            u1 <<= 2
            u2 <<= 2
        }
    }

    /// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d.
    private static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(p, 208)
        for n in 0..<2 {
            let ql = 64 * n, qh = 128 + 32 * n, sc = 192 + 8 * n
            let out = 128 * n
            for l in 0..<32 {
                let s = l / 16
                let h = byte(p, qh + l)
                let q1 = Int((byte(p, ql + l) & 0x0F) | ((h & 3) << 4)) - 32
                let q2 = Int((byte(p, ql + l + 32) & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int((byte(p, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int((byte(p, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32
                func scale(_ i: Int) -> Float { Float(p.load(fromByteOffset: sc + i, as: Int8.self)) }
                y[out + l] = d * scale(s) * Float(q1)
                y[out + l + 32] = d * scale(s + 2) * Float(q2)
                y[out + l + 64] = d * scale(s + 4) * Float(q3)
                y[out + l + 96] = d * scale(s + 6) * Float(q4)
            }
        }
    }
}
