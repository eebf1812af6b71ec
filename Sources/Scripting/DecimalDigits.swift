// Exact decimal digits of a double for `%.Nf` and `%.Ne`, computed in 128-bit integer
// arithmetic. The C library's `strfromd` gives the same digits through multi-precision
// arithmetic (about 2,000 instructions a number, most of a formatting loop); a double is m·2^e
// exactly, so for moderate magnitudes and precisions the scaled value m·2^e·10^t and its
// rounding (half to even, on the exact value, as glibc and CPython round) fit in two words.
// Anything outside that range returns nil and goes to the C library.

enum DecimalDigits {
    /// 10^k for k in 0...19 (10^19 < 2^64).
    private static let powers: [UInt64] = {
        var p: [UInt64] = [1]
        for _ in 1...19 { p.append(p[p.count - 1] &* 10) }
        return p
    }()

    /// A 128-bit unsigned value as two words.
    private struct Wide {
        var high: UInt64
        var low: UInt64
    }

    /// m·2^e·10^t rounded half to even, for a finite positive double m·2^e; nil when an
    /// intermediate would not fit in 128 bits (or a quotient in 64).
    private static func scaledRounded(_ x: Double, _ t: Int) -> Wide? {
        let bits = UInt64(x.significandBitPattern)
        let biased = Int(x.exponentBitPattern)
        let m: UInt64 = biased == 0 ? bits : bits | (1 << 52)
        let e = biased == 0 ? -1074 : biased - 1075
        guard m != 0, t >= -19, t <= 19 else { return nil }
        if t >= 0 {
            let product = m.multipliedFullWidth(by: powers[t])
            var n = Wide(high: product.high, low: product.low)
            if e >= 0 {
                // An integer: shifted left, if it stays within 128 bits.
                guard e < 64, n.high.leadingZeroBitCount > e else { return nil }
                if e > 0 {
                    n.high = n.high << UInt64(e) | n.low >> UInt64(64 - e)
                    n.low <<= UInt64(e)
                }
                return n
            }
            // n / 2^s, rounded on the bits shifted out (n < 2^117, so s >= 118 rounds to 0).
            let s = -e
            if s >= 118 { return Wide(high: 0, low: 0) }
            var q: Wide
            if s >= 64 {
                q = Wide(high: 0, low: n.high >> UInt64(s - 64))
            } else {
                q = Wide(high: n.high >> UInt64(s), low: n.low >> UInt64(s) | n.high << UInt64(64 - s))
            }
            let halfBit = bit(n, s - 1)
            if halfBit && (q.low & 1 == 1 || anyBelow(n, s - 1)) {
                q.low &+= 1
                if q.low == 0 { q.high += 1 }
            }
            return q
        }
        // A division by 10^u (and by 2^s when e < 0), with a 64-bit quotient.
        let p = powers[-t]
        if e >= 0 {
            guard e < 64, p < 1 << 62 else { return nil }
            let high = e == 0 ? 0 : m >> UInt64(64 - e)
            guard high < p else { return nil }
            let (q, r) = p.dividingFullWidth((high: high, low: m << UInt64(e)))
            return Wide(high: 0, low: roundHalfEven(q, r, p))
        }
        let s = -e
        guard s < 62, p.leadingZeroBitCount > s + 1 else { return nil }
        let d = p << UInt64(s)
        return Wide(high: 0, low: roundHalfEven(m / d, m % d, d))
    }

    /// Bit `i` (0...127) of `n`.
    private static func bit(_ n: Wide, _ i: Int) -> Bool {
        i < 64 ? (n.low >> UInt64(i)) & 1 == 1 : (n.high >> UInt64(i - 64)) & 1 == 1
    }

    /// Whether any of the bits of `n` below bit `i` (0...127) is set.
    private static func anyBelow(_ n: Wide, _ i: Int) -> Bool {
        if i == 0 { return false }
        if i <= 64 { return i == 64 ? n.low != 0 : n.low & ((1 << UInt64(i)) - 1) != 0 }
        return n.low != 0 || n.high & ((1 << UInt64(i - 64)) - 1) != 0
    }

    /// q + (1 if the remainder r of a division by d (< 2^63) is over half, or half and q odd).
    private static func roundHalfEven(_ q: UInt64, _ r: UInt64, _ d: UInt64) -> UInt64 {
        let r2 = r << 1
        return r2 > d || (r2 == d && q & 1 == 1) ? q + 1 : q
    }

    /// Writes `n` in decimal at `out[at...]`, padded with zeros to `width` digits; returns the
    /// position after it.
    private static func put(_ n: UInt64, width: Int, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        var digits = 1
        var v = n / 10
        while v != 0 { digits += 1; v /= 10 }
        let end = at + max(width, digits)
        var i = end
        v = n
        while i > at {
            i -= 1
            out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
        return end
    }

    /// `n` in decimal into `out` (room for `capacity` bytes); the byte count.
    static func integer(_ n: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        put(n, width: 1, out, 0)
    }

    /// The most bytes `fixed`, `exponent` and `integer` write.
    static let capacity = 48

    /// `%.{precision}f` of `x` (finite, not negative) into `out` (room for `capacity` bytes);
    /// the byte count, or nil outside the range computed here.
    static func fixed(_ x: Double, precision: Int, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        guard precision >= 0, precision <= 19, x < 1e18 else { return nil }
        var q = Wide(high: 0, low: 0)
        if x != 0 {
            guard let s = scaledRounded(x, precision) else { return nil }
            q = s
        }
        let p = powers[precision]
        guard q.high < p else { return nil }
        let (whole, fraction) = p.dividingFullWidth((high: q.high, low: q.low))
        var at = put(whole, width: 1, out, 0)
        if precision > 0 {
            out[at] = UInt8(ascii: ".")
            at = put(fraction, width: precision, out, at + 1)
        }
        return at
    }

    /// `%.{precision}e` of `x` (finite, not negative) into `out` (room for `capacity` bytes);
    /// the byte count, or nil outside the range computed here.
    static func exponent(_ x: Double, precision: Int, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        guard precision >= 0, precision <= 18 else { return nil }
        var k = 0
        var digits: UInt64 = 0
        if x != 0 {
            // The decimal exponent, estimated from the binary one and corrected until the
            // rounded digits number precision + 1 (a carry, 9.996 -> 10.00, moves it up one).
            let binary = Int(x.exponent)
            k = binary >= 0 ? binary * 30103 / 100_000 : -((-binary * 30103 + 99_999) / 100_000)
            var tries = 0
            while true {
                tries += 1
                guard tries <= 4, let q = scaledRounded(x, precision - k) else { return nil }
                if q.high != 0 || q.low >= powers[precision + 1] { k += 1; continue }
                if q.low < powers[precision] { k -= 1; continue }
                digits = q.low
                break
            }
        }
        // d.ddd, then e±XX (at least two exponent digits, as printf writes them).
        let p = powers[precision]
        var at = put(digits / p, width: 1, out, 0)
        if precision > 0 {
            out[at] = UInt8(ascii: ".")
            at = put(digits % p, width: precision, out, at + 1)
        }
        out[at] = UInt8(ascii: "e")
        out[at + 1] = k < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
        return put(UInt64(k.magnitude), width: 2, out, at + 2)
    }
}
