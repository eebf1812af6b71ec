// The specialiser (see Specialised+Operands.swift): slices with constant bounds. `s[0:3]`,
// `s[2:]`, `xs[:-1]`: the bounds are int literals (or absent) and there is no step, so nothing
// is evaluated for them per run; an ASCII string (no carriage return) is sliced as bytes from
// its own storage. Anything else goes through `Indexing.slice` with the same bounds, as the
// plain form does.

extension Compiler {
    /// `c[a:b]` with int literal bounds or none and no step, or nil.
    func specialisedSlice(_ c: Expr, _ a: Expr?, _ b: Expr?, _ step: Expr?, _ loc: SourceLoc) -> Eval? {
        guard step == nil, let start = constantBound(a), let stop = constantBound(b) else { return nil }
        let ce = compileExpr(c)
        let startValue: Value = start.map { .int($0) } ?? .null, stopValue: Value = stop.map { .int($0) } ?? .null
        return { fp in
            let v = try ce(fp)
            if case .string(let s) = v, let r = Indexing.asciiSlice(s, start, stop) { return .string(r) }
            return try Indexing.slice(v, startValue, stopValue, .null, loc)
        }
    }

    /// An absent bound (`.some(nil)`), an int literal bound, or nil for any other expression.
    private func constantBound(_ e: Expr?) -> Int?? {
        guard let e else { return .some(nil) }
        switch e {
        case .literal(.int(let n), _): return .some(n)
        case .unary(.negate, .literal(.int(let n), _), _) where n != Int.min: return .some(-n)
        default: return nil
        }
    }
}

extension Indexing {
    /// `s[start:stop]` (step 1, absent bounds nil) when every byte of `s` is one character
    /// (ASCII, no carriage return), with the bounds clamped as `sliceBounds` clamps them; nil
    /// for any other string.
    static func asciiSlice(_ s: String, _ start: Int?, _ stop: Int?) -> String? {
        let r: String?? = s.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            for b in bytes where b >= 0x80 || b == 0x0D { return nil }
            let count = bytes.count
            func clamp(_ i: Int?, _ def: Int) -> Int {
                guard var i else { return def }
                if i < 0 { i += count }
                return min(max(i, 0), count)
            }
            let a = clamp(start, 0), b = max(a, clamp(stop, count))
            if a == 0 && b == count { return s }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self)
        }
        return r ?? nil
    }
}
