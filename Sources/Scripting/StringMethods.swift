// Methods of strings: `s.strip()`, `s.split(",")`, ...

enum StringMethods {
    static func method(_ sig: String, _ summary: String, _ example: String, details: String = "",
                       _ body: @escaping (String, Arguments) throws -> Value) -> NativeFunction {
        NativeFunction("string." + sig, summary: summary, details: details, example: example, category: "string") { args in
            guard case .string(let s) = args.receiverValue else { throw RuntimeError("string method called on a \(args.receiverValue.typeName)") }
            return try body(s, args)
        }
    }

    /// A method with no parameters and a direct form (see `NativeFunction.directMethod0`).
    static func method0(_ sig: String, _ summary: String, _ example: String,
                        direct: @escaping @Sendable (String) -> Value?, _ body: @escaping (String, Arguments) throws -> Value) -> NativeFunction {
        NativeFunction("string." + sig, summary: summary, example: example, category: "string",
                       directMethod0: { v in if case .string(let s) = v { return direct(s) }; return nil }) { args in
            guard case .string(let s) = args.receiverValue else { throw RuntimeError("string method called on a \(args.receiverValue.typeName)") }
            return try body(s, args)
        }
    }

    /// Lines without their endings (\n or \r\n; Swift treats \r\n as one character).
    static func splitLines(_ s: String) -> [String] {
        var parts = s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        if let last = s.last, last == "\n" || last == "\r\n" { parts.removeLast() }
        return s.isEmpty ? [] : parts
    }

    static func isSpace(_ c: Character) -> Bool { c.isWhitespace }

    /// `s` in upper or lower case when it is ASCII (nil otherwise): the string itself when no
    /// letter changes (no new string is built), else its bytes mapped.
    static func asciiCase(_ s: String, upper: Bool) -> String? {
        let r: String?? = s.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let lo: UInt8 = upper ? 0x61 : 0x41
            var changes = false
            for b in bytes {
                if b >= 0x80 { return nil }
                if b &- lo < 26 { changes = true }
            }
            if !changes { return s }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for (i, b) in bytes.enumerated() { out[i] = b &- lo < 26 ? b ^ 0x20 : b }
                return bytes.count
            }
        }
        return r ?? nil
    }

    /// `s.split(sep)` by bytes when both are ASCII without carriage returns (so every byte is
    /// a character and byte matches are character matches); nil otherwise. `sep` is not empty.
    static func asciiSplit(_ s: String, _ sep: String, maxSplits: Int) -> [Value]? {
        let r: [Value]?? = s.utf8.withContiguousStorageIfAvailable { hay -> [Value]? in
            sep.utf8.withContiguousStorageIfAvailable { needle -> [Value]? in
                for b in needle where b >= 0x80 || b == 0x0D { return nil }
                for b in hay where b >= 0x80 || b == 0x0D { return nil }
                let n = needle.count, m = hay.count
                let first = needle[0]
                var parts: [Value] = []
                var start = 0, i = 0
                while i <= m - n && parts.count < maxSplits {
                    if hay[i] == first {
                        var j = 1
                        while j < n && hay[i + j] == needle[j] { j += 1 }
                        if j == n {
                            parts.append(.string(String(decoding: UnsafeBufferPointer(rebasing: hay[start..<i]), as: UTF8.self)))
                            i += n
                            start = i
                            continue
                        }
                    }
                    i += 1
                }
                parts.append(.string(String(decoding: UnsafeBufferPointer(rebasing: hay[start..<m]), as: UTF8.self)))
                return parts
            } ?? nil
        }
        return r ?? nil
    }

    /// `s.find(sub)` by bytes when both are ASCII without carriage returns (each byte is one
    /// character, so the byte offset is the character index): the first offset or -1. Nil when
    /// either string is not of that kind.
    static func asciiFind(_ s: String, _ sub: String) -> Int? {
        let found: Int?? = s.utf8.withContiguousStorageIfAvailable { hay -> Int? in
            sub.utf8.withContiguousStorageIfAvailable { needle -> Int? in
                for b in needle where b >= 0x80 || b == 0x0D { return nil }
                for b in hay where b >= 0x80 || b == 0x0D { return nil }
                let n = needle.count, m = hay.count
                if n == 0 { return 0 }
                if n > m { return -1 }
                let first = needle[0]
                var i = 0
                while i <= m - n {
                    if hay[i] == first {
                        var j = 1
                        while j < n && hay[i + j] == needle[j] { j += 1 }
                        if j == n { return i }
                    }
                    i += 1
                }
                return -1
            } ?? nil
        }
        return found ?? nil
    }

    /// `s.split()` over the UTF-8 bytes when `s` is ASCII (where the whitespace characters are
    /// exactly tab, newline, vertical tab, form feed, carriage return and space); nil otherwise.
    /// Asking each Character whether it is whitespace is a Unicode property lookup.
    static func splitASCIIWhitespace(_ s: String) -> [Value]? {
        var s = s
        return s.withUTF8 { bytes -> [Value]? in
            var parts: [Value] = []
            var start = -1
            for i in 0..<bytes.count {
                let b = bytes[i]
                if b >= 0x80 { return nil }
                let space = b == 0x20 || (b >= 0x09 && b <= 0x0D)
                if space {
                    if start >= 0 {
                        parts.append(.string(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)))
                        start = -1
                    }
                } else if start < 0 {
                    start = i
                }
            }
            if start >= 0 { parts.append(.string(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))) }
            return parts
        }
    }

    static func strip(_ s: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let drop: (Character) -> Bool = chars.map { set in { set.contains($0) } } ?? isSpace
        var sub = Substring(s)
        if leading { while let f = sub.first, drop(f) { sub.removeFirst() } }
        if trailing { while let l = sub.last, drop(l) { sub.removeLast() } }
        return String(sub)
    }

    static let all: [NativeFunction] = [
        method("strip(chars=nil)", "The string without leading and trailing whitespace (or the given characters).",
               "print(\"[\" + \"  hi \\n\".strip() + \"]\", \"xxhixx\".strip(\"x\"))   # expect: [hi] hi") { s, a in
            .string(strip(s, try a.optionalString("chars"), leading: true, trailing: true))
        },
        method("lstrip(chars=nil)", "Without leading whitespace (or characters).", "print(\"  hi \".lstrip() + \"|\")   # expect: hi |") { s, a in
            .string(strip(s, try a.optionalString("chars"), leading: true, trailing: false))
        },
        method("rstrip(chars=nil)", "Without trailing whitespace (or characters).", "print(\"  hi \".rstrip() + \"|\")   # expect:   hi|") { s, a in
            .string(strip(s, try a.optionalString("chars"), leading: false, trailing: true))
        },
        method("split(sep=nil, limit=-1)", "Splits at `sep` (or at runs of whitespace, dropping empty parts); at most `limit` splits.",
               "print(\"a,b,,c\".split(\",\"), \" x  y \".split(), \"k=v=w\".split(\"=\", limit = 1))   # expect: [\"a\", \"b\", \"\", \"c\"] [\"x\", \"y\"] [\"k\", \"v=w\"]") { s, a in
            let limit = try a.int("limit")
            if let sep = try a.optionalString("sep") {
                guard !sep.isEmpty else { throw a.badArgument("sep", "must not be empty") }
                if let parts = asciiSplit(s, sep, maxSplits: limit < 0 ? Int.max : limit) { return .list(ListObject.make(parts)) }
                var parts = s.split(separator: sep, maxSplits: limit < 0 ? Int.max : limit, omittingEmptySubsequences: false).map { Value.string(String($0)) }
                if parts.isEmpty { parts = [.string("")] }
                return .list(ListObject.make(parts))
            }
            if limit < 0, let parts = splitASCIIWhitespace(s) { return .list(ListObject.make(parts)) }
            var parts: [Value] = []
            var rest = Substring(s)
            while true {
                while let f = rest.first, f.isWhitespace { rest.removeFirst() }
                if rest.isEmpty { break }
                if limit >= 0 && parts.count == limit { parts.append(.string(String(strip(String(rest), nil, leading: false, trailing: true)))); break }
                let end = rest.firstIndex(where: { $0.isWhitespace }) ?? rest.endIndex
                parts.append(.string(String(rest[..<end])))
                rest = rest[end...]
            }
            return .list(ListObject.make(parts))
        },
        method("lines()", "The lines of the string, without their line endings.",
               "print(\"a\\nb\\r\\nc\\n\".lines())   # expect: [\"a\", \"b\", \"c\"]") { s, _ in
            .list(ListObject.make(splitLines(s).map { .string($0) }))
        },
        method("join(items)", "The items (converted with str) joined with this string between them.",
               "print(\", \".join([\"a\", \"b\", 3]))   # expect: a, b, 3") { s, a in
            .string(String.joining(try a.sequence("items").map(\.description), separator: s))
        },
        method("replace(old, new, count=-1)", "Every occurrence of `old` replaced by `new` (at most `count` when given).",
               "print(\"a-b-c\".replace(\"-\", \"+\"), \"aaa\".replace(\"a\", \"b\", count = 2))   # expect: a+b+c bba") { s, a in
            let old = try a.string("old"), new = try a.string("new"), count = try a.int("count")
            guard !old.isEmpty else { throw a.badArgument("old", "must not be empty") }
            let parts = s.split(separator: old, maxSplits: count < 0 ? Int.max : count, omittingEmptySubsequences: false)
            let out = parts.joined(separator: new)
            guard out.utf8.count <= a.interpreter.limits.maxStringBytes else { throw RuntimeError(ErrorText.stringTooLarge(out.utf8.count, limit: a.interpreter.limits.maxStringBytes)) }
            return .string(out)
        },
        method0("upper()", "Upper case.", "print(\"Héllo\".upper())   # expect: HÉLLO",
                direct: { s in .string(asciiCase(s, upper: true) ?? s.uppercased()) }) { s, _ in
            .string(asciiCase(s, upper: true) ?? s.uppercased())
        },
        method0("lower()", "Lower case.", "print(\"Héllo\".lower())   # expect: héllo",
                direct: { s in .string(asciiCase(s, upper: false) ?? s.lowercased()) }) { s, _ in
            .string(asciiCase(s, upper: false) ?? s.lowercased())
        },
        method("startswith(prefix)", "True if the string starts with `prefix`.", "print(\"reward\".startswith(\"re\"))   # expect: true") { s, a in
            .bool(s.hasPrefix(try a.string("prefix")))
        },
        method("endswith(suffix)", "True if the string ends with `suffix`.", "print(\"a.gfn\".endswith(\".gfn\"))   # expect: true") { s, a in
            .bool(s.hasSuffix(try a.string("suffix")))
        },
        method("find(sub)", "The character index of the first `sub`, or -1.", "print(\"hello\".find(\"l\"), \"hello\".find(\"z\"))   # expect: 2 -1") { s, a in
            let sub = try a.string("sub")
            if let i = asciiFind(s, sub) { return .int(i) }
            guard let r = s.range(of: sub) else { return .int(-1) }
            return .int(s.distance(from: s.startIndex, to: r.lowerBound))
        },
        method("count(sub)", "How many times `sub` occurs (not overlapping).", "print(\"banana\".count(\"an\"))   # expect: 2") { s, a in
            let sub = try a.string("sub")
            guard !sub.isEmpty else { return .int(s.count + 1) }
            return .int(s.split(separator: sub, omittingEmptySubsequences: false).count - 1)
        },
        method("contains(sub)", "True if `sub` occurs in the string (same as `sub in s`).", "print(\"reward\".contains(\"war\"))   # expect: true") { s, a in
            let sub = try a.string("sub")
            return .bool(sub.isEmpty || s.contains(sub))
        },
        method("isdigit()", "True if the string is non-empty and all ASCII digits.", "print(\"123\".isdigit(), \"12a\".isdigit(), \"\".isdigit())   # expect: true false false") { s, _ in
            .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.value >= 48 && $0.value <= 57 })
        },
        method("isalpha()", "True if the string is non-empty and all letters.", "print(\"abé\".isalpha(), \"a1\".isalpha())   # expect: true false") { s, _ in
            .bool(!s.isEmpty && s.allSatisfy { $0.isLetter })
        },
        method("isspace()", "True if the string is non-empty and all whitespace.", "print(\" \\t\".isspace(), \"\".isspace())   # expect: true false") { s, _ in
            .bool(!s.isEmpty && s.allSatisfy { $0.isWhitespace })
        },
        method("chars()", "The characters as a list of strings.", "print(\"héj\".chars())   # expect: [\"h\", \"é\", \"j\"]") { s, _ in
            .list(ListObject.make(s.map { .string(String($0)) }))
        },
        method("bytes()", "The UTF-8 bytes as a list of ints.", "print(\"é\".bytes())   # expect: [195, 169]") { s, _ in
            .list(ListObject.make(s.utf8.map { .int(Int($0)) }))
        },
        method("pad(width, fill=\" \", align=\"left\")", "Padded to `width` characters; align is \"left\", \"right\" or \"center\".",
               "print(\"[\" + \"ab\".pad(5, align = \"right\") + \"]\", \"ab\".pad(4, fill = \".\"))   # expect: [   ab] ab..") { s, a in
            let w = try a.int("width"), fill = try a.string("fill"), align = try a.string("align")
            guard fill.count == 1 else { throw a.badArgument("fill", "one character expected") }
            guard w <= 1_000_000 else { throw a.badArgument("width", "too large") }
            let n = max(0, w - s.count)
            switch align {
            case "left": return .string(s + String(repeating: fill, count: n))
            case "right": return .string(String(repeating: fill, count: n) + s)
            case "center": return .string(String(repeating: fill, count: n / 2) + s + String(repeating: fill, count: n - n / 2))
            default: throw a.badArgument("align", "\"left\", \"right\" or \"center\" expected")
            }
        },
        method("format(*values, **named)", "Fills `{}` / `{0}` / `{name}` fields (with optional `:spec`) from the arguments; a runtime version of interpolation.",
               "print(r\"{} has {n:.1f} points\".format(\"ana\", n = 3))   # expect: ana has 3.0 points") { s, a in
            let pos = try a.list(0).items, named = try a.dict(1)
            var out = "", i = s.startIndex, auto = 0
            while i < s.endIndex {
                let c = s[i]
                if c == "{" {
                    let next = s.index(after: i)
                    if next < s.endIndex && s[next] == "{" { out += "{"; i = s.index(after: next); continue }
                    guard let close = s[next...].firstIndex(of: "}") else { throw RuntimeError("format: unmatched '{'") }
                    let field = String(s[next..<close])
                    let (name, specText) = field.firstIndex(of: ":").map { (String(field[..<$0]), String(field[field.index(after: $0)...])) } ?? (field, "")
                    let v: Value
                    if name.isEmpty { guard auto < pos.count else { throw RuntimeError("format: not enough values") }; v = pos[auto]; auto += 1 }
                    else if let k = Int(name) { guard k >= 0, k < pos.count else { throw RuntimeError("format: no value {\(k)}") }; v = pos[k] }
                    else { guard let x = named[name] else { throw RuntimeError("format: no value named '\(name)'") }; v = x }
                    guard let spec = FormatSpec(specText) else { throw RuntimeError("format: invalid spec ':\(specText)'") }
                    out += specText.isEmpty ? v.description : try spec.format(v)
                    i = s.index(after: close)
                } else if c == "}" {
                    let next = s.index(after: i)
                    if next < s.endIndex && s[next] == "}" { out += "}"; i = s.index(after: next); continue }
                    throw RuntimeError("format: single '}'")
                } else { out.append(c); i = s.index(after: i) }
            }
            return .string(out)
        },
    ]
}

extension String {
    /// The number of characters, read off the UTF-8 length when every byte is ASCII and none is
    /// a carriage return (each byte is then one character): `count` breaks graphemes, which
    /// cost hundreds of instructions on a short line (`len`, padding in formats).
    var characterCount: Int {
        let fast: Int?? = utf8.withContiguousStorageIfAvailable { bytes -> Int? in
            for b in bytes where b >= 0x80 || b == 0x0D { return nil }
            return bytes.count
        }
        if case .some(.some(let n)) = fast { return n }
        return count
    }
}

extension String {
    /// `parts` joined with `separator`, their UTF-8 bytes copied into one string of the exact
    /// size: `joined(separator:)` appends piece by piece and re-examines the growing string's
    /// storage on each append (a sixth of word_count's instructions went to its 20,000 joins).
    static func joining(_ parts: [String], separator: String) -> String {
        if parts.isEmpty { return "" }
        if parts.count == 1 { return parts[0] }
        var total = separator.utf8.count * (parts.count - 1)
        for p in parts { total += p.utf8.count }
        return String(unsafeUninitializedCapacity: total) { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            var at = copyUTF8(parts[0], to: base)
            for p in parts.dropFirst() {
                at += copyUTF8(separator, to: base + at)
                at += copyUTF8(p, to: base + at)
            }
            return at
        }
    }

    /// Copies the UTF-8 bytes of `s` to `to` and returns their count. (A nested function that
    /// updated the caller's offset paid a dynamic exclusivity check per piece.)
    @inline(__always) static func copyUTF8(_ s: String, to: UnsafeMutablePointer<UInt8>) -> Int {
        let n: Int? = s.utf8.withContiguousStorageIfAvailable { bytes -> Int in
            if let from = bytes.baseAddress, !bytes.isEmpty { to.initialize(from: from, count: bytes.count) }
            return bytes.count
        }
        if let n { return n }
        var k = 0
        for b in s.utf8 {
            (to + k).initialize(to: b)
            k += 1
        }
        return k
    }
}
