// The parser: tokens to a syntax tree, by recursive descent with one function per precedence
// level (see docs/language.md, "Expressions and precedence"). It recovers at statement
// boundaries so that `check` can report every syntax error at once, and it tells "incomplete
// input" (the text ended too early) apart from "invalid input".

struct ParseError: Error {
    let message: String
    let loc: SourceLoc
    let incomplete: Bool
}

struct Parser {
    private var tokens: [Token]
    private var p = 0
    private let file: SourceFile
    private var docComments: [Int: String]
    private(set) var errors: [ParseError] = []
    private var depth = 0
    private static let maxDepth = 200
    /// Operators in one left-nested chain (`1 + 1 + …`): the tree is as deep as the chain is long,
    /// and compiling and freeing it recurse, so an unbounded chain could overflow even the large stack.
    static let maxChain = 100_000

    /// Counts one more operator of a chain, or fails when the chain is too long.
    private func chained(_ count: inout Int) throws(ParseError) {
        count += 1
        if count > Parser.maxChain { throw error("expression too long (more than \(Parser.maxChain) operators in a row)") }
    }

    /// Lexes the whole file; a lexical error becomes the only error.
    init(file: SourceFile) {
        self.file = file
        var lexer = Lexer(file: file)
        do {
            tokens = try lexer.tokenize()
        } catch {
            tokens = [Token(kind: .eof, loc: error.loc, start: 0, end: 0)]
            errors.append(ParseError(message: error.message, loc: error.loc, incomplete: error.incomplete))
        }
        docComments = lexer.docComments
    }

    private init(tokens: [Token], file: SourceFile, depth: Int) {
        self.tokens = tokens
        self.file = file
        self.docComments = [:]
        self.depth = depth
    }

    /// True when the only problem is that the input ended early.
    var isIncomplete: Bool { errors.contains { $0.incomplete } }

    /// The statements of a whole file, or every syntax error in one `ScriptError`: the one place
    /// where parse errors become script errors (`.incompleteInput` when the text only ended too
    /// early, so a REPL can read on; `.invalidInput` otherwise).
    static func program(_ file: SourceFile) throws(ScriptError) -> [Stmt] {
        var parser = Parser(file: file)
        let stmts = parser.parseProgram()
        guard parser.errors.isEmpty else {
            throw ScriptError(kind: parser.isIncomplete ? .incompleteInput : .invalidInput,
                              diagnostics: parser.errors.map { Diagnostic(.error, $0.message, at: $0.loc) })
        }
        return stmts
    }

    // MARK: - Token helpers

    private var tok: Token { tokens[p] }
    private func peekToken(_ k: Int = 1) -> Token { tokens[min(p + k, tokens.count - 1)] }
    private mutating func advance() -> Token { let t = tokens[p]; if p < tokens.count - 1 { p += 1 }; return t }
    private mutating func skipNewlines() { while tok.isNewline { p += 1 } }

    private func error(_ message: String, at t: Token? = nil) -> ParseError {
        let t = t ?? tok
        return ParseError(message: message, loc: t.loc, incomplete: t.isEOF)
    }

    private func unexpected(_ expected: String) -> ParseError {
        if tok.isEOF { return error("unexpected end of input, expected \(expected)") }
        return error("expected \(expected), found \(tok.describe)")
    }

    @discardableResult
    private mutating func expectOp(_ s: String, _ what: String? = nil) throws(ParseError) -> Token {
        guard tok.isOp(s) else { throw unexpected(what ?? "'\(s)'") }
        return advance()
    }

    private mutating func identifier(_ what: String) throws(ParseError) -> (String, SourceLoc) {
        if case .ident(let name) = tok.kind { let t = advance(); return (name, t.loc) }
        if case .keyword(let k) = tok.kind { throw error("'\(k.rawValue)' is a keyword and cannot be used as \(what)") }
        throw unexpected(what)
    }

    // MARK: - Statements

    /// The whole file. Errors are collected in `errors`.
    mutating func parseProgram() -> [Stmt] {
        guard errors.isEmpty else { return [] }
        return statements(untilBrace: false)
    }

    private mutating func statements(untilBrace: Bool) -> [Stmt] {
        var out: [Stmt] = []
        while true {
            while tok.isNewline || tok.isOp(";") { _ = advance() }
            if tok.isEOF { return out }
            if untilBrace && tok.isOp("}") { return out }
            if !untilBrace && tok.isOp("}") {
                errors.append(error("unmatched '}'"))
                _ = advance()
                continue
            }
            let first = p
            do {
                out.append(try statement())
                try endOfStatement()
            } catch {
                // Recovery may parse the tail of a failed statement again: one report per place.
                let repeated = errors.last.map { $0.loc.line == error.loc.line && $0.loc.column == error.loc.column } ?? false
                if !repeated { errors.append(error) }
                if error.incomplete || tok.isEOF { return out }
                if !recoverInsideBrackets(statementStart: first) { synchronize() }
            }
        }
    }

    /// Recovery after an error inside an unclosed `(` or `[`: the lexer dropped the newlines
    /// after it, so the rest of the file looks like one long expression and `synchronize` would
    /// skip all of it. Restarts at the first token after the failed statement's start that
    /// begins a line no further right than that statement (where the next statement most likely
    /// starts; it may come before the place the error was noticed), lexing again from there
    /// with no open brackets. False when the error is not inside such a bracket.
    private mutating func recoverInsideBrackets(statementStart s: Int) -> Bool {
        var open: [String] = []
        for k in s..<p {
            guard case .op(let o) = tokens[k].kind else { continue }
            switch o {
            case "(", "[", "{": open.append(o)
            case ")", "]", "}": if !open.isEmpty { open.removeLast() }
            default: break
            }
        }
        guard let top = open.last, top != "{" else { return false }
        let column = tokens[s].loc.column
        var k = s + 1
        while k < tokens.count {
            let t = tokens[k]
            // A newline token or the end: the lexer's brackets are balanced again by then.
            if t.isNewline || t.isEOF { return false }
            if t.loc.line > tokens[k - 1].loc.line && t.loc.column <= column {
                relex(from: k)
                return true
            }
            k += 1
        }
        return false
    }

    /// Replaces the tokens from index `k` on with a fresh lexing of the text from there.
    private mutating func relex(from k: Int) {
        let t = tokens[k]
        let bytes = file.bytes
        var lineStart = t.start
        while lineStart > 0 && bytes[lineStart - 1] != 0x0A { lineStart -= 1 }
        var lexer = Lexer(file: file, start: t.start, line: t.loc.line, lineStart: lineStart)
        do {
            let rest = try lexer.tokenize()
            tokens = Array(tokens[..<k]) + rest
            docComments.merge(lexer.docComments) { old, _ in old }
        } catch {
            errors.append(ParseError(message: error.message, loc: error.loc, incomplete: error.incomplete))
            tokens = Array(tokens[..<k]) + [Token(kind: .eof, loc: error.loc, start: t.start, end: t.start)]
        }
        p = k
    }

    /// Skips to the start of the next statement after an error.
    private mutating func synchronize() {
        var braces = 0
        while !tok.isEOF {
            if tok.isOp("{") { braces += 1 }
            if tok.isOp("}") {
                if braces == 0 { return }
                braces -= 1
            }
            if (tok.isNewline || tok.isOp(";")) && braces == 0 { _ = advance(); return }
            _ = advance()
        }
    }

    private mutating func endOfStatement() throws(ParseError) {
        if tok.isNewline || tok.isOp(";") || tok.isEOF || tok.isOp("}") { return }
        throw error("expected end of statement, found \(tok.describe)")
    }

    private mutating func block() throws(ParseError) -> [Stmt] {
        try expectOp("{", "'{' to start a block")
        depth += 1
        defer { depth -= 1 }
        guard depth < Parser.maxDepth else { throw error("blocks nested too deeply") }
        let before = errors.count
        let body = statements(untilBrace: true)
        if errors.count > before, let last = errors.last, last.incomplete {
            errors.removeLast()
            throw last
        }
        try expectOp("}", "'}' to close the block")
        return body
    }

    private func docComment(above line: Int) -> String? {
        var lines: [String] = []
        var l = line - 1
        while let text = docComments[l] { lines.insert(text, at: 0); l -= 1 }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private mutating func statement() throws(ParseError) -> Stmt {
        let start = tok
        if case .keyword(let k) = tok.kind {
            switch k {
            case .fn:
                if case .ident = peekToken().kind {
                    _ = advance()
                    let (name, _) = try identifier("a function name")
                    return .function(try functionRest(name: name, start: start))
                }
            case .if:
                _ = advance()
                return try ifRest(start: start, asStatement: true)
            case .while:
                _ = advance()
                let cond = try expression()
                return .whileStmt(cond, try block(), start.loc)
            case .for:
                _ = advance()
                var names = [try identifier("a loop variable name")]
                while tok.isOp(",") { _ = advance(); names.append(try identifier("a loop variable name")) }
                guard tok.isKeyword(.in) else { throw unexpected("'in'") }
                _ = advance()
                let seq = try expression()
                return .forStmt(names, seq, try block(), start.loc)
            case .break: _ = advance(); return .breakStmt(start.loc)
            case .continue: _ = advance(); return .continueStmt(start.loc)
            case .return:
                _ = advance()
                if tok.isNewline || tok.isOp(";") || tok.isOp("}") || tok.isEOF { return .returnStmt(nil, start.loc) }
                return .returnStmt(try expressionList(), start.loc)
            case .import:
                _ = advance()
                guard case .string(let parts) = tok.kind else { throw unexpected("a file name string after 'import'") }
                var path = ""
                for part in parts {
                    guard case .text(let s) = part else { throw error("the file name of an import cannot interpolate") }
                    path += s
                }
                _ = advance()
                return .importStmt(path, start.loc)
            case .try:
                _ = advance()
                let body = try block()
                while tok.isNewline { _ = advance() }
                guard tok.isKeyword(.catch) else { throw unexpected("'catch' after the 'try' block") }
                _ = advance()
                var name: (String, SourceLoc)? = nil
                if !tok.isOp("{") { name = try identifier("a name for the caught error") }
                return .tryStmt(body, name, try block(), start.loc)
            case .assert:
                _ = advance()
                let cond = try expression()
                var msg: Expr? = nil
                if tok.isOp(",") { _ = advance(); skipNewlines(); msg = try expression() }
                return .assertStmt(cond, msg, start.loc)
            case .global:
                _ = advance()
                var names = [try identifier("a global name")]
                while tok.isOp(",") { _ = advance(); names.append(try identifier("a global name")) }
                return .global(names, start.loc)
            case .param:
                _ = advance()
                let (name, _) = try identifier("a param name")
                try expectOp("=", "'=' and a default value after the param name")
                skipNewlines()
                let value = try expression()
                return .param(name, value, docComment(above: start.loc.line), start.loc)
            default: break
            }
        }
        // An expression, an assignment or an unpacking assignment.
        let first = try expression()
        if case .op(let o) = tok.kind {
            switch o {
            case "=":
                let eq = advance()
                try checkTarget(first)
                skipNewlines()
                return .assign([first], try expressionList(), eq.loc)
            case ",":
                var targets = [first]
                while tok.isOp(",") { _ = advance(); targets.append(try expression()) }
                guard tok.isOp("=") else { throw unexpected("'=' after a list of assignment targets") }
                let eq = advance()
                for t in targets { try checkTarget(t) }
                skipNewlines()
                return .assign(targets, try expressionList(), eq.loc)
            case "+=", "-=", "*=", "/=", "//=", "%=", "**=":
                let opTok = advance()
                try checkTarget(first)
                skipNewlines()
                let op = BinaryOp(rawValue: String(o.dropLast()))!
                return .compoundAssign(op, first, try expression(), opTok.loc)
            default: break
            }
        }
        return .expr(first)
    }

    private func checkTarget(_ e: Expr) throws(ParseError) {
        switch e {
        case .name, .index, .member: return
        default: throw ParseError(message: "cannot assign to this expression (assign to a name, an index a[i] or a property a.b)", loc: e.loc, incomplete: false)
        }
    }

    /// `a, b` on the right of `=` or after `return` makes a list.
    private mutating func expressionList() throws(ParseError) -> Expr {
        let first = try expression()
        guard tok.isOp(",") else { return first }
        var items = [first]
        while tok.isOp(",") { _ = advance(); items.append(try expression()) }
        return .list(items, first.loc)
    }

    private mutating func ifRest(start: Token, asStatement: Bool) throws(ParseError) -> Stmt {
        let cond = try expression()
        let then = try block()
        var otherwise: [Stmt]? = nil
        var k = 0
        while peekToken(k).isNewline { k += 1 }
        if peekToken(k).isKeyword(.else) {
            p += k
            _ = advance()
            if tok.isKeyword(.if) {
                let t = advance()
                otherwise = [try ifRest(start: t, asStatement: asStatement)]
            } else {
                otherwise = try block()
            }
        }
        return .ifStmt(cond, then, otherwise, start.loc)
    }

    private mutating func functionRest(name: String?, start: Token) throws(ParseError) -> FunctionDecl {
        try expectOp("(", "'(' and the parameter list")
        var params: [ParameterDecl] = []
        var seenRest = false, seenNamed = false, seenDefault = false
        while !tok.isOp(")") {
            let ptok = tok
            var kind = ParameterDecl.Kind.positional
            if tok.isOp("*") { _ = advance(); kind = .rest }
            else if tok.isOp("**") { _ = advance(); kind = .restNamed }
            let (pname, ploc) = try identifier("a parameter name")
            if params.contains(where: { $0.name == pname }) { throw error("duplicate parameter '\(pname)'", at: ptok) }
            if seenNamed { throw error("no parameter may follow '**\(params.last!.name)'", at: ptok) }
            var def: Expr? = nil
            if tok.isOp("=") {
                guard kind == .positional else { throw error("'*' and '**' parameters cannot have defaults") }
                _ = advance()
                def = try expression()
                seenDefault = true
            } else if kind == .positional && seenDefault && !seenRest {
                throw error("parameter '\(pname)' needs a default because an earlier parameter has one", at: ptok)
            }
            switch kind {
            case .rest:
                if seenRest { throw error("only one '*' parameter is allowed", at: ptok) }
                seenRest = true
            case .restNamed: seenNamed = true
            case .positional: if seenRest { kind = .keywordOnly }
            case .keywordOnly: break
            }
            params.append(ParameterDecl(name: pname, kind: kind, defaultValue: def, loc: ploc))
            if !tok.isOp(",") { break }
            _ = advance()
        }
        try expectOp(")", "')' after the parameters")
        let doc = name != nil ? docComment(above: start.loc.line) : nil
        if tok.isOp("=>") {
            _ = advance()
            skipNewlines()
            let e = try expression()
            return FunctionDecl(name: name, params: params, body: [], expressionBody: e, doc: doc, loc: start.loc)
        }
        let body = try block()
        return FunctionDecl(name: name, params: params, body: body, expressionBody: nil, doc: doc, loc: start.loc)
    }

    // MARK: - Expressions

    mutating func expression() throws(ParseError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
        return try orExpr()
    }

    private mutating func orExpr() throws(ParseError) -> Expr {
        var left = try andExpr()
        var operators = 0
        while tok.isKeyword(.or) {
            try chained(&operators)
            let t = advance(); skipNewlines()
            left = .or(left, try andExpr(), t.loc)
        }
        return left
    }

    private mutating func andExpr() throws(ParseError) -> Expr {
        var left = try notExpr()
        var operators = 0
        while tok.isKeyword(.and) {
            try chained(&operators)
            let t = advance(); skipNewlines()
            left = .and(left, try notExpr(), t.loc)
        }
        return left
    }

    private mutating func notExpr() throws(ParseError) -> Expr {
        if tok.isKeyword(.not) {
            let t = advance()
            depth += 1
            defer { depth -= 1 }
            guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
            return .not(try notExpr(), t.loc)
        }
        return try comparison()
    }

    private mutating func comparisonOp() -> BinaryOp? {
        if case .op(let o) = tok.kind, let op = BinaryOp(rawValue: o), op.isComparison { return op }
        if tok.isKeyword(.in) { return .in }
        if tok.isKeyword(.not) && peekToken().isKeyword(.in) { return .notIn }
        return nil
    }

    private mutating func comparison() throws(ParseError) -> Expr {
        let left = try additive()
        guard let op = comparisonOp() else { return left }
        let t = advance()
        if op == .notIn { _ = advance() }
        skipNewlines()
        let right = try additive()
        if comparisonOp() != nil {
            throw error("comparisons cannot be chained (write 'a < b and b < c')")
        }
        return .binary(op, left, right, t.loc)
    }

    private mutating func additive() throws(ParseError) -> Expr {
        var left = try multiplicative()
        var operators = 0
        while true {
            guard case .op(let o) = tok.kind, o == "+" || o == "-" else { return left }
            try chained(&operators)
            let t = advance(); skipNewlines()
            left = .binary(o == "+" ? .add : .sub, left, try multiplicative(), t.loc)
        }
    }

    private mutating func multiplicative() throws(ParseError) -> Expr {
        var left = try unary()
        var operators = 0
        while true {
            guard case .op(let o) = tok.kind, ["*", "/", "//", "%"].contains(o) else { return left }
            try chained(&operators)
            let t = advance(); skipNewlines()
            left = .binary(BinaryOp(rawValue: o)!, left, try unary(), t.loc)
        }
    }

    private mutating func unary() throws(ParseError) -> Expr {
        if tok.isOp("-") || tok.isOp("+") {
            let t = advance()
            depth += 1
            defer { depth -= 1 }
            guard depth < Parser.maxDepth else { throw error("expression nested too deeply") }
            let operand = try unary()
            // Fold negative literals so that -9223372036854775807 and -1.5 are constants.
            if t.isOp("-") {
                if case .literal(.int(let v), let l) = operand { return .literal(.int(-v), t.loc.through(l)) }
                if case .literal(.float(let v), let l) = operand { return .literal(.float(-v), t.loc.through(l)) }
            }
            return .unary(t.isOp("-") ? .negate : .plus, operand, t.loc)
        }
        return try power()
    }

    private mutating func power() throws(ParseError) -> Expr {
        let base = try postfix()
        if tok.isOp("**") {
            let t = advance(); skipNewlines()
            return .binary(.pow, base, try unary(), t.loc)
        }
        return base
    }

    private mutating func postfix() throws(ParseError) -> Expr {
        var e = try primary()
        while true {
            if tok.isOp("(") {
                let t = advance()
                e = .call(e, try arguments(), e.loc.through(t.loc))
            } else if tok.isOp("[") {
                let t = advance()
                e = try indexRest(e, open: t)
            } else if tok.isOp(".") {
                _ = advance()
                let (name, nloc) = try identifier("a property or method name after '.'")
                e = .member(e, name, nloc)
            } else if tok.isNewline {
                // A line that starts with '.' continues a method chain.
                var k = 0
                while peekToken(k).isNewline { k += 1 }
                guard peekToken(k).isOp(".") else { return e }
                p += k
            } else {
                return e
            }
        }
    }

    private mutating func arguments() throws(ParseError) -> [Argument] {
        var args: [Argument] = []
        while !tok.isOp(")") {
            let t = tok
            if tok.isOp("*") {
                _ = advance()
                args.append(Argument(kind: .spread, value: try expression(), loc: t.loc))
            } else if tok.isOp("**") {
                _ = advance()
                args.append(Argument(kind: .spreadNamed, value: try expression(), loc: t.loc))
            } else if case .ident(let name) = tok.kind, peekToken().isOp("=") {
                _ = advance(); _ = advance()
                if args.contains(where: { if case .named(let n) = $0.kind { return n == name }; return false }) {
                    throw error("argument '\(name)' is given twice", at: t)
                }
                args.append(Argument(kind: .named(name), value: try expression(), loc: t.loc))
            } else {
                if args.contains(where: { if case .named = $0.kind { return true }; return false }) {
                    throw error("a positional argument cannot follow a named argument")
                }
                args.append(Argument(kind: .positional, value: try expression(), loc: t.loc))
            }
            if !tok.isOp(",") { break }
            _ = advance()
        }
        try expectOp(")", "')' to close the argument list")
        return args
    }

    private mutating func indexRest(_ target: Expr, open: Token) throws(ParseError) -> Expr {
        var parts: [Expr?] = [nil]
        var colons = 0
        while !tok.isOp("]") {
            if tok.isOp(":") {
                colons += 1
                guard colons <= 2 else { throw error("a slice has at most two ':'") }
                _ = advance()
                parts.append(nil)
                continue
            }
            guard parts[parts.count - 1] == nil else { throw unexpected("']' or ':'") }
            parts[parts.count - 1] = try expression()
        }
        let close = try expectOp("]")
        let loc = open.loc.through(close.loc)
        if colons == 0 {
            guard let i = parts[0] else { throw error("expected an index inside '[]'", at: close) }
            return .index(target, i, loc)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(target, parts[0], parts[1], parts[2], loc)
    }

    private func isLambdaAfterParen() -> Bool {
        // tok is '('; find its match and look for '=>'.
        var k = p, level = 0
        while k < tokens.count {
            let t = tokens[k]
            if t.isOp("(") || t.isOp("[") || t.isOp("{") { level += 1 }
            if t.isOp(")") || t.isOp("]") || t.isOp("}") {
                level -= 1
                if level == 0 { return k + 1 < tokens.count && tokens[k + 1].isOp("=>") }
            }
            if t.isEOF { return false }
            k += 1
        }
        return false
    }

    private mutating func primary() throws(ParseError) -> Expr {
        let t = tok
        switch t.kind {
        case .int(let v): _ = advance(); return .literal(.int(v), t.loc)
        case .float(let v): _ = advance(); return .literal(.float(v), t.loc)
        case .string(let parts): _ = advance(); return try stringLiteral(parts, t)
        case .keyword(.true): _ = advance(); return .literal(.bool(true), t.loc)
        case .keyword(.false): _ = advance(); return .literal(.bool(false), t.loc)
        case .keyword(.nil): _ = advance(); return .literal(.null, t.loc)
        case .keyword(.fn):
            _ = advance()
            return .function(try functionRest(name: nil, start: t))
        case .keyword(.if):
            _ = advance()
            guard case .ifStmt(let c, let a, let b, let l) = try ifRest(start: t, asStatement: false) else {
                throw error("internal: if")
            }
            return .ifExpr(c, a, b, l)
        case .ident(let name):
            _ = advance()
            if tok.isOp("=>") {
                _ = advance(); skipNewlines()
                let body = try expression()
                let param = ParameterDecl(name: name, kind: .positional, defaultValue: nil, loc: t.loc)
                return .function(FunctionDecl(name: nil, params: [param], body: [], expressionBody: body, doc: nil, loc: t.loc))
            }
            return .name(name, t.loc)
        case .op("("):
            if isLambdaAfterParen() {
                return .function(try arrowLambda(start: t))
            }
            _ = advance()
            let e = try expression()
            try expectOp(")", "')'")
            return e
        case .op("["):
            _ = advance()
            var items: [Expr] = []
            skipNewlines()
            while !tok.isOp("]") {
                items.append(try expression())
                skipNewlines()
                if !tok.isOp(",") { break }
                _ = advance()
                skipNewlines()
            }
            try expectOp("]", "']' to close the list")
            return .list(items, t.loc)
        case .op("{"):
            _ = advance()
            var pairs: [(Expr, Expr)] = []
            skipNewlines()
            while !tok.isOp("}") {
                let k = try expression()
                skipNewlines()
                try expectOp(":", "':' after a dict key")
                skipNewlines()
                let v = try expression()
                pairs.append((k, v))
                skipNewlines()
                if !tok.isOp(",") { break }
                _ = advance()
                skipNewlines()
            }
            try expectOp("}", "'}' to close the dict")
            return .dict(pairs, t.loc)
        case .eof:
            throw error("unexpected end of input, expected an expression")
        default:
            throw error("expected an expression, found \(t.describe)")
        }
    }

    private mutating func arrowLambda(start: Token) throws(ParseError) -> FunctionDecl {
        try expectOp("(")
        var params: [ParameterDecl] = []
        while !tok.isOp(")") {
            let (name, loc) = try identifier("a parameter name")
            if params.contains(where: { $0.name == name }) { throw error("duplicate parameter '\(name)'") }
            var def: Expr? = nil
            if tok.isOp("=") { _ = advance(); def = try expression() }
            params.append(ParameterDecl(name: name, kind: .positional, defaultValue: def, loc: loc))
            if !tok.isOp(",") { break }
            _ = advance()
        }
        try expectOp(")")
        try expectOp("=>")
        skipNewlines()
        let body = try expression()
        return FunctionDecl(name: nil, params: params, body: [], expressionBody: body, doc: nil, loc: start.loc)
    }

    private mutating func stringLiteral(_ parts: [StringPart], _ t: Token) throws(ParseError) -> Expr {
        var out: [InterpolationPart] = []
        for part in parts {
            switch part {
            case .text(let s): out.append(.text(s))
            case .expr(let start, let end, let line, _, let specText):
                var lexer = Lexer.sub(file: file, start: start, end: end, line: line)
                let toks: [Token]
                do { toks = try lexer.tokenize() } catch {
                    throw ParseError(message: error.message, loc: error.loc, incomplete: false)
                }
                var sub = Parser(tokens: toks.filter { !$0.isNewline }, file: file, depth: depth)
                let e = try sub.expression()
                if !sub.tok.isEOF { throw sub.error("unexpected \(sub.tok.describe) in '{…}'") }
                var spec: FormatSpec? = nil
                if let specText {
                    guard let s = FormatSpec(specText) else {
                        throw ParseError(message: "invalid format spec ':\(specText)'", loc: e.loc, incomplete: false)
                    }
                    spec = s
                }
                out.append(.expr(e, spec))
            }
        }
        if out.isEmpty { return .literal(.string(""), t.loc) }
        if out.count == 1, case .text(let s) = out[0] { return .literal(.string(s), t.loc) }
        return .interpolated(out, t.loc)
    }
}
