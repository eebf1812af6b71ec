// How values turn into text: `str` and `repr`, and Python-style format specs for interpolation
// (`"{loss:.4f}"`, `"{n:>6}"`, `"{frac:.1%}"`) and `format(x, spec)`.

import Foundation

enum ValueFormatter {
    static func str(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return repr(v)
    }

    static func repr(_ v: Value) -> String {
        var out = ""
        var seen = Set<ObjectIdentifier>()
        write(v, into: &out, seen: &seen, depth: 0)
        return out
    }

    static func float(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return d.description
    }

    /// A gfn string literal, which reads back as `s`: braces doubled (a single one would start an
    /// interpolation), other control characters as `\u{hex}`.
    static func quote(_ s: String) -> String {
        quoted(s) { c in
            switch c {
            case 0x7B: "{{"
            case 0x7D: "}}"
            case ..<0x20, 0x7F: "\\u{\(String(c, radix: 16))}"
            default: nil
            }
        }
    }

    private static func write(_ v: Value, into out: inout String, seen: inout Set<ObjectIdentifier>, depth: Int) {
        switch v {
        case .null: out += "nil"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d): out += float(d)
        case .string(let s): out += quote(s)
        case .list(let l):
            let id = ObjectIdentifier(l)
            if seen.contains(id) || depth > 100 { out += "[...]"; return }
            seen.insert(id)
            out += "["
            var i = 0
            while i < l.count {
                if i > 0 { out += ", " }
                write(l.element(i), into: &out, seen: &seen, depth: depth + 1)
                i += 1
            }
            out += "]"
            seen.remove(id)
        case .dict(let d):
            let id = ObjectIdentifier(d)
            if seen.contains(id) || depth > 100 { out += "{...}"; return }
            seen.insert(id)
            out += "{"
            for (i, (k, x)) in d.pairs.enumerated() {
                if i > 0 { out += ", " }
                write(k.value, into: &out, seen: &seen, depth: depth + 1)
                out += ": "
                write(x, into: &out, seen: &seen, depth: depth + 1)
            }
            out += "}"
            seen.remove(id)
        case .range(let r): out += r.step == 1 ? "range(\(r.start), \(r.stop))" : "range(\(r.start), \(r.stop), \(r.step))"
        case .function(let f): out += "<fn \(f.proto.signature)>"
        case .builtin(let f): out += "<builtin \(f.qualifiedName)>"
        case .native(let o): out += o.description
        }
    }
}

/// `[[fill]align][sign][0][width][,|_][.precision][type]`, as in Python.
struct FormatSpec {
    private(set) var fill: Character = " "
    private(set) var align: Character? = nil      // < > ^ =
    private(set) var sign: Character = "-"        // + - space
    var zero = false
    var width = 0
    var grouping: Character? = nil   // , _
    var precision: Int? = nil
    private(set) var type: Character? = nil       // d f F e E g G % s x X b o
    /// The type, alignment and sign as ASCII codes (0 when absent), set by `init`: `format`
    /// runs once per value, and comparing `Character`s is a string comparison each time.
    private var typeCode: UInt8 = 0
    private var alignCode: UInt8 = 0
    private var signCode: UInt8 = UInt8(ascii: "-")
    /// The fill as an ASCII code, 0 when it is not ASCII (padding then goes through `Character`s).
    private var fillCode: UInt8 = UInt8(ascii: " ")

    init?(_ text: String) {
        var c = Array(text)
        var i = 0
        func isAlign(_ ch: Character) -> Bool { "<>^=".contains(ch) }
        if c.count >= 2, isAlign(c[1]) { fill = c[0]; align = c[1]; i = 2 }
        else if c.count >= 1, isAlign(c[0]) { align = c[0]; i = 1 }
        if i < c.count, "+- ".contains(c[i]) { sign = c[i]; i += 1 }
        if i < c.count, c[i] == "0" { zero = true; i += 1 }
        var w = ""
        while i < c.count, c[i].isASCII, c[i].isNumber { w.append(c[i]); i += 1 }
        if !w.isEmpty { guard let n = Int(w), n <= 10_000 else { return nil }; width = n }
        if i < c.count, c[i] == "," || c[i] == "_" { grouping = c[i]; i += 1 }
        if i < c.count, c[i] == "." {
            i += 1
            var p = ""
            while i < c.count, c[i].isASCII, c[i].isNumber { p.append(c[i]); i += 1 }
            guard let n = Int(p), n <= 100 else { return nil }
            precision = n
        }
        if i < c.count, "dfFeEgG%sxXbo".contains(c[i]) { type = c[i]; i += 1 }
        c = []
        guard i == text.count else { return nil }
        typeCode = type?.asciiValue ?? 0
        alignCode = align?.asciiValue ?? 0
        signCode = sign.asciiValue ?? 0
        fillCode = fill.asciiValue ?? 0
    }

    /// `%.{precision}{conversion}` of one double, formatted by the C library into a stack
    /// buffer: the digits `String(format:)` gives, without Foundation's format-string machinery
    /// (which was most of the time of a loop of `"{x:.3f}"`).
    static func printf(_ conversion: Character, _ precision: Int, _ x: Double) -> String {
        if conversion == "f" || conversion == "e", x >= 0,
           let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDigits.capacity, { buffer -> String? in
               guard let base = buffer.baseAddress else { return nil }
               let n = conversion == "f" ? DecimalDigits.fixed(x, precision: precision, into: base)
                                         : DecimalDigits.exponent(x, precision: precision, into: base)
               guard let n else { return nil }
               return String(decoding: UnsafeBufferPointer(start: base, count: n), as: UTF8.self)
           }) {
            return text
        }
        // The format "%.<precision><conversion>" as C text, written on the stack (precision <= 100).
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 8) { spec -> String in
            var k = 0
            func put(_ c: UInt8) { spec[k] = CChar(bitPattern: c); k += 1 }
            put(UInt8(ascii: "%"))
            put(UInt8(ascii: "."))
            if precision >= 100 { put(UInt8(ascii: "0") + UInt8(precision / 100)) }
            if precision >= 10 { put(UInt8(ascii: "0") + UInt8(precision / 10 % 10)) }
            put(UInt8(ascii: "0") + UInt8(precision % 10))
            put(conversion.asciiValue ?? UInt8(ascii: "g"))
            put(0)
            var capacity = 64
            while true {
                let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer -> String? in
                    let n = if let strfromd = FormatSpec.strfromd { strfromd(buffer.baseAddress, capacity, spec.baseAddress, x) }
                            else { withVaList([x]) { vsnprintf(buffer.baseAddress, capacity, spec.baseAddress, $0) } }
                    if n < 0 { return String(format: String(cString: spec.baseAddress!), x) }
                    if Int(n) >= capacity {
                        capacity = Int(n) + 1
                        return nil
                    }
                    return String(cString: buffer.baseAddress!)
                }
                if let text { return text }
            }
        }
    }

    /// glibc's `strfromd` (one `%.<precision><f|e|g>` conversion of a double, not variadic):
    /// `vsnprintf` needs a `CVarArg` array, whose dynamic casts cost as much as the digits.
    /// Looked up at run time (it is not in the Glibc module); nil where the C library lacks it.
    static let strfromd: (@convention(c) (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>?, Double) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "strfromd") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>?, Double) -> Int32).self)
    }()


    func format(_ v: Value) throws -> String {
        if let text = formatNumberDirectly(v) { return text }
        let t = typeCode
        if t == 0 || t == UInt8(ascii: "s"), case .string(let s) = v {
            return pad(precision.map { String(s.prefix($0)) } ?? s, numeric: false)
        }
        if t == UInt8(ascii: "s") {
            let body = ValueFormatter.str(v)
            return pad(precision.map { String(body.prefix($0)) } ?? body, numeric: false)
        }
        var body: String
        var negative = false
        switch v {
        case .int(let i) where t == 0 || t == UInt8(ascii: "d") || t == UInt8(ascii: "x") || t == UInt8(ascii: "X")
                             || t == UInt8(ascii: "b") || t == UInt8(ascii: "o"):
            negative = i < 0
            let mag = i.magnitude
            switch t {
            case UInt8(ascii: "x"): body = String(mag, radix: 16)
            case UInt8(ascii: "X"): body = String(mag, radix: 16).uppercased()
            case UInt8(ascii: "b"): body = String(mag, radix: 2)
            case UInt8(ascii: "o"): body = String(mag, radix: 8)
            default: body = group(String(mag))
            }
        case .int, .float:
            let d = v.doubleValue!
            negative = d < 0 || (d == 0 && d.sign == .minus && t != 0)
            let m = abs(d)
            if m.isNaN { body = "nan"; negative = false }
            else if m.isInfinite { body = "inf" }
            else {
                switch t {
                case UInt8(ascii: "f"), UInt8(ascii: "F"): body = group(FormatSpec.printf("f", precision ?? 6, m))
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    body = FormatSpec.printf("e", precision ?? 6, m)
                    if t == UInt8(ascii: "E") { body = body.uppercased() }
                case UInt8(ascii: "g"), UInt8(ascii: "G"):
                    body = FormatSpec.printf("g", max(precision ?? 6, 1), m)
                    if t == UInt8(ascii: "G") { body = body.uppercased() }
                case UInt8(ascii: "%"): body = FormatSpec.printf("f", precision ?? 6, m * 100) + "%"
                case UInt8(ascii: "d"): throw RuntimeError("format ':d' needs an int, got float (use ':.0f')")
                default:
                    if let p = precision { body = FormatSpec.printf("g", max(p, 1), m) }
                    else { body = group(ValueFormatter.float(m)) }
                }
            }
        default:
            if t == 0 { return pad(ValueFormatter.str(v), numeric: false) }
            throw RuntimeError("format ':\(type!)' needs a number, got \(v.typeName)")
        }
        let signText = negative ? "-" : signCode == UInt8(ascii: "+") ? "+" : signCode == UInt8(ascii: " ") ? " " : ""
        let alignment = alignCode
        if zero && alignment == 0 {
            let n = max(0, width - signText.count - body.characterCount)
            return signText + String(repeating: "0", count: n) + body
        }
        if alignment == UInt8(ascii: "=") {
            let n = max(0, width - signText.count - body.characterCount)
            return signText + String(repeating: fill, count: n) + body
        }
        return pad(signText + body, numeric: true)
    }

    /// An int under `d` (or no type) or a number under `f`, `e` or `%`, with an ASCII fill and
    /// no grouping, written in one string: the digits go into a stack buffer (`DecimalDigits`,
    /// the same digits as the C library) and sign, padding and digits are copied once into a
    /// string of the final size. Nil for anything else, which `format` handles.
    private func formatNumberDirectly(_ v: Value) -> String? {
        let t = typeCode
        guard fillCode != 0, grouping == nil else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalDigits.capacity + 1) { buffer -> String? in
            guard let digits = buffer.baseAddress else { return nil }
            var count: Int
            var negative: Bool
            switch v {
            case .int(let i) where t == 0 || t == UInt8(ascii: "d"):
                negative = i < 0
                count = DecimalDigits.integer(UInt64(i.magnitude), into: digits)
            case .int, .float:
                guard t == UInt8(ascii: "f") || t == UInt8(ascii: "F") || t == UInt8(ascii: "e") || t == UInt8(ascii: "E")
                        || t == UInt8(ascii: "%"), let d = v.doubleValue, d.isFinite else { return nil }
                negative = d < 0 || (d == 0 && d.sign == .minus)
                let m = abs(d)
                switch t {
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    guard let n = DecimalDigits.exponent(m, precision: precision ?? 6, into: digits) else { return nil }
                    count = n
                    if t == UInt8(ascii: "E") {
                        for j in 0..<n where digits[j] == UInt8(ascii: "e") { digits[j] = UInt8(ascii: "E") }
                    }
                case UInt8(ascii: "%"):
                    let scaled = m * 100
                    guard scaled.isFinite, let n = DecimalDigits.fixed(scaled, precision: precision ?? 6, into: digits) else { return nil }
                    digits[n] = UInt8(ascii: "%")
                    count = n + 1
                default:
                    guard let n = DecimalDigits.fixed(m, precision: precision ?? 6, into: digits) else { return nil }
                    count = n
                }
            default:
                return nil
            }
            let sign: UInt8 = negative ? UInt8(ascii: "-") : signCode == UInt8(ascii: "+") || signCode == UInt8(ascii: " ") ? signCode : 0
            let length = count + (sign != 0 ? 1 : 0)
            let n = max(0, width - length)
            // Where the padding goes: between sign and digits (zeros, or `=`), before, around or after.
            let alignment = alignCode
            let inside = (zero && alignment == 0) || alignment == UInt8(ascii: "=")
            let fill = zero && alignment == 0 ? UInt8(ascii: "0") : fillCode
            let before = inside || alignment == UInt8(ascii: "<") ? 0 : alignment == UInt8(ascii: "^") ? n / 2 : n
            return String(unsafeUninitializedCapacity: length + n) { out -> Int in
                guard var at = out.baseAddress else { return 0 }
                at.initialize(repeating: fill, count: before)
                at += before
                if sign != 0 { at.initialize(to: sign); at += 1 }
                if inside { at.initialize(repeating: fill, count: n); at += n }
                at.initialize(from: digits, count: count)
                at += count
                if !inside { at.initialize(repeating: fill, count: n - before) }
                return length + n
            }
        }
    }

    private func group(_ digits: String) -> String {
        guard let g = grouping else { return digits }
        let parts = digits.split(separator: ".", maxSplits: 1)
        let intPart = Array(parts[0])
        var out = ""
        for (i, ch) in intPart.enumerated() {
            if i > 0 && (intPart.count - i) % 3 == 0 { out.append(g) }
            out.append(ch)
        }
        return parts.count > 1 ? out + "." + parts[1] : out
    }

    private func pad(_ s: String, numeric: Bool) -> String {
        guard width > 0 else { return s }
        let n = width - s.characterCount
        guard n > 0 else { return s }
        let alignment = alignCode
        if fillCode != 0 {
            // One string of the final size: the fill bytes around a copy of `s`'s bytes.
            let before = switch alignment != 0 ? alignment : numeric ? UInt8(ascii: ">") : UInt8(ascii: "<") {
            case UInt8(ascii: ">"): n
            case UInt8(ascii: "^"): n / 2
            default: 0
            }
            let fill = fillCode, bytes = s.utf8.count
            return String(unsafeUninitializedCapacity: bytes + n) { out -> Int in
                guard let base = out.baseAddress else { return 0 }
                base.initialize(repeating: fill, count: before)
                let copied = String.copyUTF8(s, to: base + before)
                (base + before + copied).initialize(repeating: fill, count: n - before)
                return bytes + n
            }
        }
        switch alignment != 0 ? alignment : numeric ? UInt8(ascii: ">") : UInt8(ascii: "<") {
        case UInt8(ascii: ">"): return String(repeating: fill, count: n) + s
        case UInt8(ascii: "^"): return String(repeating: fill, count: n / 2) + s + String(repeating: fill, count: n - n / 2)
        default: return s + String(repeating: fill, count: n)
        }
    }
}
