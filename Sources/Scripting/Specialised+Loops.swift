// The specialiser (see Specialised+Operands.swift): `while` loops, generic over the shape of
// their test, so that `while i < j` or `while k != 0` runs the comparison inside the loop's
// closure instead of calling a closure for it on every iteration.

extension Compiler {
    /// `while c { body }`: the test as a comparison of a local with a local or an int literal,
    /// a constant, or any condition; the body as the plain form compiles it.
    func specialisedWhile(_ c: Expr, _ body: [Stmt], _ loc: SourceLoc) -> Exec {
        if let t = localComparesInt(c) { return whileLoop(t, body, loc) }
        if case .literal(let v, _) = c, v.isTruthy { return whileLoop(ConstantTest(), body, loc) }
        if case .binary(let op, .name(let a, _), .name(let b, _), let cloc) = c, !fs.isTopLevel,
           let la = fs.lookupLocal(a), !la.captured, let lb = fs.lookupLocal(b), !lb.captured {
            let x = la.slot, y = lb.slot, site = operatorSite(.null, cloc)
            switch op {
            case .lt: return whileLoop(LocalComparesLocal<LtOp>(a: x, b: y, site: site), body, loc)
            case .le: return whileLoop(LocalComparesLocal<LeOp>(a: x, b: y, site: site), body, loc)
            case .gt: return whileLoop(LocalComparesLocal<GtOp>(a: x, b: y, site: site), body, loc)
            case .ge: return whileLoop(LocalComparesLocal<GeOp>(a: x, b: y, site: site), body, loc)
            case .eq: return whileLoop(LocalComparesLocal<EqOp>(a: x, b: y, site: site), body, loc)
            case .ne: return whileLoop(LocalComparesLocal<NeOp>(a: x, b: y, site: site), body, loc)
            default: break
            }
        }
        return whileLoop(ClosureTest(test: compileTest(c)), body, loc)
    }

    /// The loop: the test is compiled before the body, as in the plain form.
    private func whileLoop<T: TestCode>(_ test: T, _ body: [Stmt], _ loc: SourceLoc) -> Exec {
        fs.loopDepth += 1
        let b = compileBlock(body)
        fs.loopDepth -= 1
        let flag = self.flag
        return { fp in
            while try test.test(fp) {
                switch try b(fp) {
                case .next, .continueLoop: break
                case .breakLoop: return .next
                case .returned: return .returned
                }
                try flag.check(loc)
            }
            return .next
        }
    }
}


/// A test that always holds (`while true`).
struct ConstantTest: TestCode {
    @inline(__always) func test(_ fp: Frame) throws -> Bool { true }
}


/// `a op b` for two uncaptured locals and a comparison: two ints are compared inline,
/// anything else by the operator's general code.
struct LocalComparesLocal<O: ComparisonOperator>: TestCode {
    let a: Int
    let b: Int
    /// The location, for the general code (the hot data stays trivial to copy).
    unowned(unsafe) let site: OperatorSite

    @inline(__always) func test(_ fp: Frame) throws -> Bool {
        if O.hasIntFastPath, case .int(let x) = fp[a], case .int(let y) = fp[b] { return O.ints(x, y) }
        return try LocalComparesLocal.slow(fp[a], fp[b], site)
    }

    @inline(never) static func slow(_ x: Value, _ y: Value, _ site: OperatorSite) throws -> Bool {
        try O.test(x, y, site.loc)
    }
}
