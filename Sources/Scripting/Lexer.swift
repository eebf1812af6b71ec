// The lexer: UTF-8 bytes to tokens. Newlines are tokens except inside `( )` and `[ ]` (but they are
// tokens again inside a `{ }` nested in brackets, so block lambdas work inside calls).

struct LexError: Error {
    let message: String
    let loc: SourceLoc
    /// True when the text ended inside a construct (a `"""` string): more input would help.
    let incomplete: Bool
}

struct Lexer {
    let file: SourceFile
    private let b: [UInt8]
    private var i: Int
    private let end: Int
    private var line: Int
    private var lineStart: Int
    /// Column offset added on the first line (for interpolated expressions that start mid-line).
    private var brackets: [UInt8] = []
    /// `##` doc comments by line number.
    private(set) var docComments: [Int: String] = [:]

    init(file: SourceFile, start: Int = 0, end: Int? = nil, line: Int = 1, lineStart: Int = 0) {
        self.file = file
        self.b = file.bytes
        self.i = start
        self.end = end ?? file.bytes.count
        self.line = line
        self.lineStart = lineStart
    }

    /// The last column computed (offset, column, the line start it counts from): tokens come
    /// left to right, so each column is counted on from the previous one and a long line costs
    /// linear time, not quadratic.
    private var columnCache = (offset: 0, column: 1, lineStart: -1)

    private mutating func column(_ offset: Int) -> Int {
        // Columns count scalars: skip UTF-8 continuation bytes.
        var c = 1, k = lineStart
        if columnCache.lineStart == lineStart && columnCache.offset <= offset {
            c = columnCache.column
            k = columnCache.offset
        }
        while k < offset { if b[k] & 0xC0 != 0x80 { c += 1 }; k += 1 }
        columnCache = (offset, c, lineStart)
        return c
    }

    private mutating func loc(_ start: Int, _ stop: Int) -> SourceLoc {
        let col = column(start)
        return SourceLoc(file: file, line: line, column: col, length: max(1, column(stop) - col))
    }

    private func peek(_ k: Int = 0) -> UInt8 { i + k < end ? b[i + k] : 0 }

    mutating func tokenize() throws(LexError) -> [Token] {
        var out: [Token] = []
        while true {
            let t = try next()
            if t.isNewline, let last = out.last, last.isNewline { continue }
            if t.isNewline, out.isEmpty { continue }
            out.append(t)
            if t.isEOF { return out }
        }
    }

    private mutating func next() throws(LexError) -> Token {
        // Skip spaces and comments.
        while i < end {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0D { i += 1; continue }
            if c == UInt8(ascii: "\\") && peek(1) == 0x0A { // explicit line continuation
                i += 2; line += 1; lineStart = i; continue
            }
            if c == UInt8(ascii: "#") {
                let s = i
                while i < end && b[i] != 0x0A { i += 1 }
                if i - s >= 2 && b[s + 1] == UInt8(ascii: "#") {
                    var text = String(decoding: b[(s + 2)..<i], as: UTF8.self)
                    if text.hasPrefix(" ") { text.removeFirst() }
                    docComments[line] = text
                }
                continue
            }
            break
        }
        let s = i
        guard i < end else { return Token(kind: .eof, loc: loc(s, s), start: s, end: s) }
        let c = b[i]
        if c == 0x0A {
            let l = loc(s, s)
            i += 1; line += 1; lineStart = i
            if let top = brackets.last, top != UInt8(ascii: "{") { return try next() }
            return Token(kind: .newline, loc: l, start: s, end: s)
        }
        if isIdentStart(c) {
            if (c == UInt8(ascii: "r")) && (peek(1) == 0x22 || peek(1) == 0x27) {
                i += 1
                return try string(start: s, raw: true)
            }
            while i < end && isIdentChar(b[i]) { i += 1 }
            let text = String(decoding: b[s..<i], as: UTF8.self)
            let kind: TokenKind = Keyword(rawValue: text).map { .keyword($0) } ?? .ident(text)
            return Token(kind: kind, loc: loc(s, i), start: s, end: i)
        }
        if isDigit(c) { return try number(start: s) }
        if c == 0x22 || c == 0x27 { return try string(start: s, raw: false) }
        // Operators, longest first.
        let three = i + 2 < end ? String(decoding: b[i..<(i + 3)], as: UTF8.self) : ""
        let two = i + 1 < end ? String(decoding: b[i..<(i + 2)], as: UTF8.self) : ""
        let op: String
        if three == "//=" || three == "**=" { op = three }
        else if ["==", "!=", "<=", ">=", "=>", "//", "**", "+=", "-=", "*=", "/=", "%="].contains(two) { op = two }
        else if "()[]{},.:;=+-*/%<>".utf8.contains(c) { op = String(UnicodeScalar(c)) }
        else {
            let scalar = decodeScalar(at: i)
            throw LexError(message: "unexpected character '\(scalar)'", loc: loc(s, s + 1), incomplete: false)
        }
        i += op.utf8.count
        switch op {
        case "(", "[", "{": brackets.append(c)
        case ")", "]", "}": if !brackets.isEmpty { brackets.removeLast() }
        default: break
        }
        return Token(kind: .op(op), loc: loc(s, i), start: s, end: i)
    }

    private func decodeScalar(at k: Int) -> String {
        var n = 1
        while k + n < end && b[k + n] & 0xC0 == 0x80 && n < 4 { n += 1 }
        return String(decoding: b[k..<(k + n)], as: UTF8.self)
    }

    private func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F
    }
    private func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }
    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private mutating func number(start s: Int) throws(LexError) -> Token {
        if b[i] == UInt8(ascii: "0"), i + 1 < end, [UInt8(ascii: "x"), UInt8(ascii: "b"), UInt8(ascii: "o")].contains(b[i + 1] | 0x20) {
            let radix = (b[i + 1] | 0x20) == UInt8(ascii: "x") ? 16 : (b[i + 1] | 0x20) == UInt8(ascii: "b") ? 2 : 8
            i += 2
            let ds = i
            while i < end && (isIdentChar(b[i])) { i += 1 }
            let digits = String(decoding: b[ds..<i], as: UTF8.self).replacingOccurrences("_", "")
            guard let v = Int(digits, radix: radix) else {
                throw LexError(message: "invalid number literal '\(String(decoding: b[s..<i], as: UTF8.self))'", loc: loc(s, i), incomplete: false)
            }
            return Token(kind: .int(v), loc: loc(s, i), start: s, end: i)
        }
        var isFloat = false
        while i < end && (isDigit(b[i]) || b[i] == 0x5F) { i += 1 }
        if i + 1 < end && b[i] == UInt8(ascii: ".") && isDigit(b[i + 1]) {
            isFloat = true
            i += 1
            while i < end && (isDigit(b[i]) || b[i] == 0x5F) { i += 1 }
        }
        if i < end && (b[i] | 0x20) == UInt8(ascii: "e") {
            var k = i + 1
            if k < end && (b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-")) { k += 1 }
            if k < end && isDigit(b[k]) {
                isFloat = true
                i = k
                while i < end && isDigit(b[i]) { i += 1 }
            }
        }
        if i < end && isIdentStart(b[i]) {
            while i < end && isIdentChar(b[i]) { i += 1 }
            throw LexError(message: "invalid number literal '\(String(decoding: b[s..<i], as: UTF8.self))'", loc: loc(s, i), incomplete: false)
        }
        let text = String(decoding: b[s..<i], as: UTF8.self).replacingOccurrences("_", "")
        if isFloat {
            guard let v = Double(text) else {
                throw LexError(message: "invalid number literal '\(text)'", loc: loc(s, i), incomplete: false)
            }
            return Token(kind: .float(v), loc: loc(s, i), start: s, end: i)
        }
        guard let v = Int(text) else {
            throw LexError(message: "integer literal '\(text)' is too large for a 64-bit int (write \(text).0 for a float)", loc: loc(s, i), incomplete: false)
        }
        return Token(kind: .int(v), loc: loc(s, i), start: s, end: i)
    }

    private mutating func string(start s: Int, raw: Bool) throws(LexError) -> Token {
        let quote = b[i]
        let triple = peek(1) == quote && peek(2) == quote
        i += triple ? 3 : 1
        let startLine = line, startLineStart = lineStart
        var parts: [StringPart] = []
        var text: [UInt8] = []
        func flush() { if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))); text = [] } }
        let openLoc = loc(s, i)
        while true {
            guard i < end else {
                throw LexError(message: "unterminated string", loc: openLoc, incomplete: triple)
            }
            let c = b[i]
            if c == quote {
                if !triple { i += 1; break }
                if peek(1) == quote && peek(2) == quote { i += 3; break }
            }
            if c == 0x0A {
                if !triple { throw LexError(message: "unterminated string (use \"\"\" for text across lines)", loc: openLoc, incomplete: false) }
                text.append(c); i += 1; line += 1; lineStart = i
                continue
            }
            if c == UInt8(ascii: "\\") && !raw {
                i += 1
                guard i < end else { continue }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "0"): text.append(0)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "{"), UInt8(ascii: "}"): text.append(e)
                case 0x0A: line += 1; lineStart = i // backslash-newline joins lines
                case UInt8(ascii: "u"):
                    guard peek() == UInt8(ascii: "{") else {
                        throw LexError(message: "expected '{' after \\u (write \\u{1F600})", loc: loc(i - 2, i), incomplete: false)
                    }
                    let hs = i + 1
                    var k = hs
                    while k < end && b[k] != UInt8(ascii: "}") && k - hs < 8 { k += 1 }
                    let hex = String(decoding: b[hs..<min(k, end)], as: UTF8.self)
                    guard k < end, b[k] == UInt8(ascii: "}"), let v = UInt32(hex, radix: 16), let u = UnicodeScalar(v) else {
                        throw LexError(message: "invalid unicode escape '\\u{\(hex)}'", loc: loc(i - 2, min(k + 1, end)), incomplete: false)
                    }
                    text.append(contentsOf: Array(String(Character(u)).utf8))
                    i = k + 1
                default:
                    throw LexError(message: "unknown escape '\\\(decodeScalar(at: i - 1))'", loc: loc(i - 2, i), incomplete: false)
                }
                continue
            }
            if !raw && c == UInt8(ascii: "{") {
                if peek(1) == UInt8(ascii: "{") { text.append(c); i += 2; continue }
                flush()
                i += 1
                let es = i, eLine = line, eCol = column(i)
                var depth = 0
                var specStart: Int? = nil
                scan: while true {
                    guard i < end, b[i] != 0x0A || triple else {
                        throw LexError(message: "unterminated '{' in string", loc: loc(es - 1, es), incomplete: triple && i >= end)
                    }
                    let d = b[i]
                    switch d {
                    case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                    case UInt8(ascii: ")"), UInt8(ascii: "]"): depth -= 1
                    case UInt8(ascii: "}"):
                        if depth == 0 { break scan }
                        depth -= 1
                    case UInt8(ascii: ":") where depth == 0 && specStart == nil: specStart = i
                    case 0x22, 0x27:
                        if d == quote { throw LexError(message: "a string inside '{…}' must use the other quote character", loc: loc(i, i + 1), incomplete: false) }
                        i += 1
                        while i < end && b[i] != d && b[i] != 0x0A { i += 1 }
                    case 0x0A: line += 1; lineStart = i + 1
                    default: break
                    }
                    i += 1
                }
                let exprEnd = specStart ?? i
                let spec = specStart.map { String(decoding: b[($0 + 1)..<i], as: UTF8.self) }
                if String(decoding: b[es..<exprEnd], as: UTF8.self).allSatisfy({ $0 == " " }) {
                    throw LexError(message: "empty '{}' in string (write {{}} for literal braces)", loc: loc(es - 1, i + 1), incomplete: false)
                }
                parts.append(.expr(start: es, end: exprEnd, line: eLine, column: eCol, spec: spec))
                i += 1
                continue
            }
            if !raw && c == UInt8(ascii: "}") {
                if peek(1) == UInt8(ascii: "}") { text.append(c); i += 2; continue }
                throw LexError(message: "single '}' in string (write }} for a literal brace)", loc: loc(i, i + 1), incomplete: false)
            }
            text.append(c); i += 1
        }
        flush()
        let tokLoc: SourceLoc
        if line == startLine { tokLoc = loc(s, i) } else {
            let saveLine = line, saveStart = lineStart
            line = startLine; lineStart = startLineStart
            tokLoc = loc(s, s + 1)
            line = saveLine; lineStart = saveStart
        }
        return Token(kind: .string(parts), loc: tokLoc, start: s, end: i)
    }

    /// Where an interpolated expression's own lexer should start.
    static func sub(file: SourceFile, start: Int, end: Int, line: Int) -> Lexer {
        Lexer(file: file, start: start, end: end, line: line, lineStart: file.lineStarts[line - 1])
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        guard contains(a) else { return self }
        return split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
