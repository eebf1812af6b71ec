// The tokens of the language.

enum Keyword: String, CaseIterable {
    case fn, `if`, `else`, `while`, `for`, `in`, `break`, `continue`, `return`, `true`, `false`, `nil`
    case and, or, not, `import`, `as`, `try`, `catch`, assert, global, param
}

/// A piece of a string literal: literal text, or an interpolated expression with its format spec.
enum StringPart {
    case text(String)
    /// `start` is the byte offset of the expression's first byte in the file, with its line and column.
    case expr(start: Int, end: Int, line: Int, column: Int, spec: String?)
}

enum TokenKind {
    case ident(String)
    case int(Int)
    case float(Double)
    case string([StringPart])
    case keyword(Keyword)
    /// Punctuation and operators: `( ) [ ] { } , . : ; = => + - * / // % ** == != < <= > >=`,
    /// compound assignments `+= -= *= /= //= %=`.
    case op(String)
    case newline
    case eof
}

struct Token {
    let kind: TokenKind
    let loc: SourceLoc
    /// Byte offsets of the token in the file.
    let start: Int
    let end: Int

    func isOp(_ s: String) -> Bool { if case .op(let o) = kind { return o == s }; return false }
    func isKeyword(_ k: Keyword) -> Bool { if case .keyword(let x) = kind { return x == k }; return false }
    var isNewline: Bool { if case .newline = kind { return true }; return false }
    var isEOF: Bool { if case .eof = kind { return true }; return false }

    /// How the token reads in an error message: `'x'`, `end of input`, `newline`.
    var describe: String {
        switch kind {
        case .ident(let s): return "'\(s)'"
        case .int(let v): return "'\(v)'"
        case .float(let v): return "'\(v)'"
        case .string: return "string"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .op(let o): return "'\(o)'"
        case .newline: return "end of line"
        case .eof: return "end of input"
        }
    }
}
