// Captured locals whose closures may copy their value instead of sharing a cell.

/// Which captured locals nested functions can capture by value.
///
/// A local assigned exactly once, by a statement at the top of its function's body that comes
/// before every nested function mentioning it, holds the same binding wherever a closure can
/// see it: capturing its value gives what capturing the variable would. Such a local stays a
/// plain slot in its own function (every fast path for uncaptured locals applies; string
/// building with a dict that a later lambda reads was a third slower through the cell) and each
/// closure gets a cell of its own holding the value.
enum CaptureByValue {
    static func names(_ decl: FunctionDecl, captured: Set<String>) -> Set<String> {
        if captured.isEmpty || decl.expressionBody != nil { return [] }
        var counts: [String: Int] = [:]
        for p in decl.params { counts[p.name, default: 0] += 2 }
        for s in decl.body { count(s, &counts) }
        var out = Set<String>()
        for (i, s) in decl.body.enumerated() {
            guard case .assign(let targets, _, _) = s, targets.count == 1, case .name(let n, _) = targets[0],
                  captured.contains(n), counts[n] == 1 else { continue }
            // No closure made at or before this statement may mention the name.
            let before = NameCollector.namesInNestedFunctions(Array(decl.body[0...i]), nil, params: decl.params)
            if !before.contains(n) { out.insert(n) }
        }
        return out
    }

    /// Counts, per name, the places that bind it here or in nested functions (conservatively:
    /// a nested function's own local of the same name counts too).
    private static func count(_ s: Stmt, _ c: inout [String: Int]) {
        switch s {
        case .expr(let e): count(e, &c)
        case .assign(let ts, let v, _):
            for t in ts {
                if case .name(let n, _) = t { c[n, default: 0] += 1 } else { count(t, &c) }
            }
            count(v, &c)
        case .compoundAssign(_, let t, let v, _):
            if case .name(let n, _) = t { c[n, default: 0] += 2 } else { count(t, &c) }
            count(v, &c)
        case .function(let f):
            if let n = f.name { c[n, default: 0] += 2 }
            count(f, &c)
        case .ifStmt(let cond, let a, let b, _):
            count(cond, &c)
            for x in a + (b ?? []) { count(x, &c) }
        case .whileStmt(let cond, let body, _):
            count(cond, &c)
            for x in body { count(x, &c) }
        case .forStmt(let names, let seq, let body, _):
            for (n, _) in names { c[n, default: 0] += 2 }
            count(seq, &c)
            for x in body { count(x, &c) }
        case .returnStmt(let e, _): if let e { count(e, &c) }
        case .tryStmt(let a, let name, let b, _):
            if let (n, _) = name { c[n, default: 0] += 2 }
            for x in a + b { count(x, &c) }
        case .assertStmt(let cond, let m, _):
            count(cond, &c)
            if let m { count(m, &c) }
        case .global(let names, _): for (n, _) in names { c[n, default: 0] += 2 }
        case .param(let n, let e, _, _):
            c[n, default: 0] += 2
            count(e, &c)
        case .breakStmt, .continueStmt, .importStmt: break
        }
    }

    private static func count(_ f: FunctionDecl, _ c: inout [String: Int]) {
        for p in f.params {
            c[p.name, default: 0] += 2
            if let d = p.defaultValue { count(d, &c) }
        }
        for s in f.body { count(s, &c) }
        if let e = f.expressionBody { count(e, &c) }
    }

    private static func count(_ e: Expr, _ c: inout [String: Int]) {
        switch e {
        case .literal, .name: break
        case .interpolated(let parts, _):
            for p in parts { if case .expr(let x, _) = p { count(x, &c) } }
        case .list(let xs, _): for x in xs { count(x, &c) }
        case .dict(let ps, _): for (k, v) in ps { count(k, &c); count(v, &c) }
        case .unary(_, let x, _), .not(let x, _), .member(let x, _, _): count(x, &c)
        case .binary(_, let a, let b, _), .and(let a, let b, _), .or(let a, let b, _), .index(let a, let b, _):
            count(a, &c); count(b, &c)
        case .call(let f, let args, _):
            count(f, &c)
            for a in args { count(a.value, &c) }
        case .slice(let a, let b, let x, let d, _):
            count(a, &c)
            for y in [b, x, d] { if let y { count(y, &c) } }
        case .function(let f): count(f, &c)
        case .ifExpr(let cond, let a, let b, _):
            count(cond, &c)
            for x in a + (b ?? []) { count(x, &c) }
        }
    }
}
