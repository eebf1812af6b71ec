// Compile-time scopes: which slot a local lives in, which locals nested functions capture, and
// the names a chunk assigns at its top level (known everywhere in the chunk).

struct Local {
    let slot: Int
    /// Captured by a nested function: the slot holds a `Cell`.
    let captured: Bool
    /// Captured by value (`CaptureByValue`): a plain slot whose value each closure copies.
    var byValue = false
}

struct Upvalue {
    let name: String
    /// True: the enclosing function's local slot; false: the enclosing function's own upvalue.
    let fromLocal: Bool
    let index: Int
    /// The enclosing function's local is captured by value: the closure gets a new cell.
    var byValue = false
}

/// Where a name lives, as the compiler resolved it.
enum Resolved {
    case local(Int)
    case cellLocal(Int)
    case upvalue(Int)
    case global(Int)
}

final class FunctionScope {
    let parent: FunctionScope?
    let isTopLevel: Bool
    var blocks: [[String: Local]] = [[:]]
    private var blockStarts: [Int] = [0]
    var nextSlot = 0
    var frameSize = 0
    var upvalues: [Upvalue] = []
    /// Names mentioned inside nested functions: locals with these names are kept in cells.
    let captured: Set<String>
    /// Names nested functions capture by value (not in `captured`: their slots are plain).
    let byValue: Set<String>
    var declaredGlobals: Set<String> = []
    var loopDepth = 0
    /// > 0 while compiling an `if` used as a value, where `return` may not appear.
    var valueIfDepth = 0
    var selfSlot: Int?

    init(parent: FunctionScope?, isTopLevel: Bool, captured: Set<String>, byValue: Set<String> = []) {
        self.parent = parent
        self.isTopLevel = isTopLevel
        self.captured = captured.subtracting(byValue)
        self.byValue = byValue
    }

    func pushBlock() { blocks.append([:]); blockStarts.append(nextSlot) }
    func popBlock() { blocks.removeLast(); nextSlot = blockStarts.removeLast() }

    func lookupLocal(_ name: String) -> Local? {
        for b in blocks.reversed() { if let l = b[name] { return l } }
        return nil
    }

    func declare(_ name: String) -> Local {
        let l = Local(slot: nextSlot, captured: captured.contains(name), byValue: byValue.contains(name))
        nextSlot += 1
        frameSize = max(frameSize, nextSlot)
        blocks[blocks.count - 1][name] = l
        return l
    }

    /// A slot no name refers to (the running function, loop state).
    func hiddenSlot() -> Int {
        let s = nextSlot
        nextSlot += 1
        frameSize = max(frameSize, nextSlot)
        return s
    }

    func addUpvalue(_ name: String, fromLocal: Bool, index: Int, byValue: Bool = false) -> Int {
        if let i = upvalues.firstIndex(where: { $0.name == name }) { return i }
        upvalues.append(Upvalue(name: name, fromLocal: fromLocal, index: index, byValue: byValue))
        return upvalues.count - 1
    }

    /// Every name visible in this function, for suggestions.
    var visibleNames: [String] {
        var out = blocks.flatMap { $0.keys }
        if let p = parent, !p.isTopLevel { out += p.visibleNames }
        return out
    }
}

/// Syntax-tree walks the compiler needs before it compiles.
enum NameCollector {
    /// Every identifier that appears inside functions nested in `body` (conservatively: all names).
    static func namesInNestedFunctions(_ body: [Stmt], _ exprBody: Expr?, params: [ParameterDecl]) -> Set<String> {
        var out = Set<String>()
        for p in params { if let d = p.defaultValue { walk(d, nested: false, &out) } }
        for s in body { walk(s, nested: false, &out) }
        if let e = exprBody { walk(e, nested: false, &out) }
        return out
    }

    private static func walk(_ s: Stmt, nested: Bool, _ out: inout Set<String>) {
        switch s {
        case .expr(let e): walk(e, nested: nested, &out)
        case .assign(let ts, let v, _):
            for t in ts { walk(t, nested: nested, &out) }
            walk(v, nested: nested, &out)
        case .compoundAssign(_, let t, let v, _): walk(t, nested: nested, &out); walk(v, nested: nested, &out)
        case .function(let f):
            if nested, let n = f.name { out.insert(n) }
            walkFunction(f, &out)
        case .ifStmt(let c, let a, let b, _):
            walk(c, nested: nested, &out)
            for x in a { walk(x, nested: nested, &out) }
            for x in b ?? [] { walk(x, nested: nested, &out) }
        case .whileStmt(let c, let body, _):
            walk(c, nested: nested, &out)
            for x in body { walk(x, nested: nested, &out) }
        case .forStmt(let names, let seq, let body, _):
            if nested { for (n, _) in names { out.insert(n) } }
            walk(seq, nested: nested, &out)
            for x in body { walk(x, nested: nested, &out) }
        case .returnStmt(let e, _): if let e { walk(e, nested: nested, &out) }
        case .tryStmt(let a, let name, let b, _):
            if nested, let (n, _) = name { out.insert(n) }
            for x in a + b { walk(x, nested: nested, &out) }
        case .assertStmt(let c, let m, _):
            walk(c, nested: nested, &out)
            if let m { walk(m, nested: nested, &out) }
        case .global(let names, _): if nested { for (n, _) in names { out.insert(n) } }
        case .param(_, let e, _, _): walk(e, nested: nested, &out)
        case .breakStmt, .continueStmt, .importStmt: break
        }
    }

    /// The names a nested function may take from outside: its parameters' defaults, and its
    /// body's names other than its own parameters (which every name in the body, at any depth,
    /// refers to instead: `keys.map(k => ...)` does not capture a loop variable `k`).
    private static func walkFunction(_ f: FunctionDecl, _ out: inout Set<String>) {
        for p in f.params {
            if let d = p.defaultValue { walk(d, nested: true, &out) }
        }
        var body = Set<String>()
        for s in f.body { walk(s, nested: true, &body) }
        if let e = f.expressionBody { walk(e, nested: true, &body) }
        for p in f.params { body.remove(p.name) }
        out.formUnion(body)
    }

    private static func walk(_ e: Expr, nested: Bool, _ out: inout Set<String>) {
        switch e {
        case .literal: break
        case .name(let n, _): if nested { out.insert(n) }
        case .interpolated(let parts, _):
            for p in parts { if case .expr(let x, _) = p { walk(x, nested: nested, &out) } }
        case .list(let xs, _): for x in xs { walk(x, nested: nested, &out) }
        case .dict(let ps, _): for (k, v) in ps { walk(k, nested: nested, &out); walk(v, nested: nested, &out) }
        case .unary(_, let x, _), .not(let x, _), .member(let x, _, _): walk(x, nested: nested, &out)
        case .binary(_, let a, let b, _), .and(let a, let b, _), .or(let a, let b, _), .index(let a, let b, _):
            walk(a, nested: nested, &out); walk(b, nested: nested, &out)
        case .call(let f, let args, _):
            walk(f, nested: nested, &out)
            for a in args { walk(a.value, nested: nested, &out) }
        case .slice(let a, let b, let c, let d, _):
            walk(a, nested: nested, &out)
            for x in [b, c, d] { if let x { walk(x, nested: nested, &out) } }
        case .function(let f): walkFunction(f, &out)
        case .ifExpr(let c, let a, let b, _):
            walk(c, nested: nested, &out)
            for x in a { walk(x, nested: nested, &out) }
            for x in b ?? [] { walk(x, nested: nested, &out) }
        }
    }

    /// Whether evaluating `e` can assign no variable anywhere: it calls nothing and runs no
    /// statements (literals, names, and operators and indexing of such; operators and indexing
    /// run only native code). Code that reads a global after such an expression reads the value
    /// it held before it.
    static func assignsNothing(_ e: Expr) -> Bool {
        switch e {
        case .literal, .name: return true
        case .unary(_, let x, _), .not(let x, _): return assignsNothing(x)
        case .binary(_, let a, let b, _), .and(let a, let b, _), .or(let a, let b, _), .index(let a, let b, _):
            return assignsNothing(a) && assignsNothing(b)
        default: return false
        }
    }

    /// Whether evaluating `e` can run statements of the enclosing function (an `if` used as a
    /// value holds blocks that may assign its locals); nested functions' bodies do not count.
    static func runsStatements(_ e: Expr) -> Bool {
        switch e {
        case .literal, .name, .function: return false
        case .ifExpr: return true
        case .interpolated(let parts, _):
            return parts.contains { if case .expr(let x, _) = $0 { return runsStatements(x) }; return false }
        case .list(let xs, _): return xs.contains(where: runsStatements)
        case .dict(let ps, _): return ps.contains { runsStatements($0.0) || runsStatements($0.1) }
        case .unary(_, let x, _), .not(let x, _), .member(let x, _, _): return runsStatements(x)
        case .binary(_, let a, let b, _), .and(let a, let b, _), .or(let a, let b, _), .index(let a, let b, _):
            return runsStatements(a) || runsStatements(b)
        case .call(let f, let args, _): return runsStatements(f) || args.contains { runsStatements($0.value) }
        case .slice(let a, let b, let c, let d, _):
            return runsStatements(a) || [b, c, d].contains { $0.map(runsStatements) ?? false }
        }
    }

    /// Names a chunk assigns at its top level (outside functions), with imported files' names.
    static func topLevelNames(_ body: [Stmt], imports: (String, SourceLoc) -> [String]) -> [String] {
        var out: [String] = []
        func visit(_ s: Stmt) {
            switch s {
            case .assign(let ts, _, _): for t in ts { if case .name(let n, _) = t { out.append(n) } }
            case .function(let f): if let n = f.name { out.append(n) }
            case .ifStmt(_, let a, let b, _): for x in a + (b ?? []) { visit(x) }
            case .whileStmt(_, let body, _): for x in body { visit(x) }
            case .forStmt(let names, _, let body, _):
                out += names.map(\.0)
                for x in body { visit(x) }
            case .tryStmt(let a, let name, let b, _):
                if let (n, _) = name { out.append(n) }
                for x in a + b { visit(x) }
            case .param(let n, _, _, _): out.append(n)
            case .importStmt(let path, let loc): out += imports(path, loc)
            default: break
            }
        }
        for s in body { visit(s) }
        return out
    }
}
