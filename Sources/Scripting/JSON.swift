// JSON to and from values. Our own small codec keeps what JSONSerialization would lose: the
// order of keys, and the difference between 1 and 1.0.

enum JSON {
    struct Failure: Error { let message: String }

    static func encode(_ v: Value, indent: Int?, depth: Int = 0, sortKeys: Bool = false) throws -> String {
        var out: [UInt8] = []
        try write(v, into: &out, indent: indent, depth: depth)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON text of `v` to `out` as UTF-8 (one growing byte array: appending to a
    /// String re-examines its storage on every piece).
    private static func write(_ v: Value, into out: inout [UInt8], indent: Int?, depth: Int) throws {
        guard depth < 500 else { throw RuntimeError("to JSON: nesting too deep (or a list that contains itself)") }
        func put(_ s: String) { appendUTF8(s, into: &out) }
        func newline() { if indent != nil { out.append(0x0A) } }
        func separator() {
            out.append(UInt8(ascii: ","))
            if indent == nil { out.append(0x20) } else { out.append(0x0A) }
        }
        func pad(_ d: Int) { if let indent { out.append(contentsOf: repeatElement(0x20, count: indent * d)) } }
        switch v {
        case .null: put("null")
        case .bool(let b): put(b ? "true" : "false")
        case .int(let i): appendDecimal(i, into: &out)
        case .float(let d):
            guard d.isFinite else { throw RuntimeError("to JSON: \(ValueFormatter.float(d)) has no JSON form") }
            put(d.description)
        case .string(let s): appendQuoted(s, into: &out)
        case .list(let l):
            if l.count == 0 { put("[]"); return }
            out.append(UInt8(ascii: "["))
            newline()
            for i in 0..<l.count {
                if i > 0 { separator() }
                pad(depth + 1)
                try write(l.element(i), into: &out, indent: indent, depth: depth + 1)
            }
            newline()
            pad(depth)
            out.append(UInt8(ascii: "]"))
        case .dict(let d):
            if d.count == 0 { put("{}"); return }
            out.append(UInt8(ascii: "{"))
            newline()
            let keys = d.keyList, values = d.valueList
            for n in 0..<keys.count {
                let k = keys[n], x = values[n]
                if n > 0 { separator() }
                pad(depth + 1)
                switch k {
                case .string(let s): appendQuoted(s, into: &out)
                case .int(let i): put("\"\(i)\"")
                case .float(let f): appendQuoted(f.description, into: &out)
                case .bool(let b): put(b ? "\"true\"" : "\"false\"")
                }
                put(": ")
                try write(x, into: &out, indent: indent, depth: depth + 1)
            }
            newline()
            pad(depth)
            out.append(UInt8(ascii: "}"))
        case .range(let r):
            try write(.list(ListObject.make((0..<min(r.count, 10_000_000)).map { .int(r.element($0)) })), into: &out, indent: indent, depth: depth)
        default:
            throw RuntimeError("to JSON: a \(v.typeName) has no JSON form")
        }
    }

    /// `quote(s)` appended to `out`; plain ASCII text (no quote, backslash or control
    /// character) is copied as it is, from the string's own bytes in one copy.
    private static func appendQuoted(_ s: String, into out: inout [UInt8]) {
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            if bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 >= 0x7F }) { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        } ?? false
        if !plain { appendUTF8(quote(s), into: &out) }
    }

    /// The UTF-8 bytes of `s` appended to `out`, copied from its storage when it has one
    /// (appending a `UTF8View` goes byte by byte through the generic sequence path).
    private static func appendUTF8(_ s: String, into out: inout [UInt8]) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { out.append(contentsOf: $0) }
        if done == nil { out.append(contentsOf: s.utf8) }
    }

    /// The decimal digits of `i` appended to `out`, without making a string first.
    private static func appendDecimal(_ i: Int, into out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = DecimalDigits.integer(UInt64(i.magnitude), into: base)
            out.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
        }
    }

    /// A JSON string: other control characters as `\u00XX`.
    static func quote(_ s: String) -> String {
        quoted(s) { $0 < 0x20 ? "\\u" + String(repeating: "0", count: 4 - String($0, radix: 16).count) + String($0, radix: 16) : nil }
    }

    static func decode(_ text: String) throws -> Value {
        var p = Reader(bytes: Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    struct Reader {
        let bytes: [UInt8]
        var i = 0

        func fail(_ message: String) -> RuntimeError {
            var line = 1, col = 1
            for b in bytes[..<min(i, bytes.count)] { if b == 0x0A { line += 1; col = 1 } else { col += 1 } }
            return RuntimeError("invalid JSON at line \(line), column \(col): \(message)")
        }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws -> Value {
            guard depth < 500 else { throw fail("nesting too deep") }
            guard i < bytes.count else { throw fail("unexpected end of text") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                let d = DictObject()
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let k = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    d[.string(k)] = try value(depth: depth + 1)
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end of text in an object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(d) }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [Value] = []
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .list(ListObject.make(items)) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw fail("unexpected end of text in an array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .list(ListObject.make(items)) }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try word("true", .bool(true))
            case UInt8(ascii: "f"): return try word("false", .bool(false))
            case UInt8(ascii: "n"): return try word("null", .null)
            default: return try number()
            }
        }

        mutating func word(_ w: StaticString, _ v: Value) throws -> Value {
            let n = w.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw fail("unexpected character") }
            let u = w.utf8Start
            for k in 0..<n where bytes[i + k] != u[k] { throw fail("unexpected character") }
            i += n
            return v
        }

        mutating func number() throws -> Value {
            let s = i
            var isFloat = false
            if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
            while i < bytes.count {
                let c = bytes[i]
                if c >= 0x30 && c <= 0x39 { i += 1 }
                else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { isFloat = true; i += 1 }
                else { break }
            }
            // An int of up to 18 digits is read off the bytes; longer ones and floats go
            // through their text.
            let negative = bytes[s] == UInt8(ascii: "-")
            let first = negative ? s + 1 : s
            if !isFloat, i > first, i - first <= 18 {
                var n = 0
                for k in first..<i { n = n * 10 + Int(bytes[k] - 0x30) }
                return .int(negative ? -n : n)
            }
            let text = String(decoding: bytes[s..<i], as: UTF8.self)
            guard !text.isEmpty, text != "-" else { throw fail("unexpected character") }
            if !isFloat, let n = Int(text) { return .int(n) }
            guard let d = Double(text) else { throw fail("invalid number '\(text)'") }
            return .float(d)
        }

        mutating func string() throws -> String {
            i += 1
            // A string without escapes (keys, most values) is decoded straight from the input,
            // without collecting its bytes in an array first.
            let start = i
            var j = i
            while j < bytes.count {
                let c = bytes[j]
                if c == UInt8(ascii: "\"") {
                    i = j + 1
                    return String(decoding: bytes[start..<j], as: UTF8.self)
                }
                if c == UInt8(ascii: "\\") { break }
                j += 1
            }
            var out = Array(bytes[start..<j])
            i = j
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < bytes.count else { throw fail("unterminated string") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "\""): out.append(e)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        let scalar = UnicodeScalar(code) ?? "\u{FFFD}"
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw fail("invalid escape")
                    }
                    continue
                }
                out.append(c)
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                throw fail("invalid \\u escape")
            }
            i += 4
            return v
        }
    }
}
