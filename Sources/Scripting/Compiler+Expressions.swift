// Expressions: literals, names, operators, indexing, members and the rest, each compiled to the
// closure that evaluates it in the language's order (operands left to right). The specialiser's
// forms for operators and indexing are in Specialised+Operands.swift and
// Specialised+Indexing.swift.

extension Compiler {
    func compileExpr(_ e: Expr) -> Eval {
        switch e {
        case .literal(let v, _):
            return { _ in v }

        case .name(let n, let loc):
            guard let r = resolve(n, loc) else { return dead }
            return read(r, n, loc)

        case .interpolated(let parts, let loc):
            return compileInterpolation(parts, loc)

        case .list(let items, _):
            // A literal's list is allocated once with room for exactly its elements, inline
            // (ListObject.swift); short ones (pairs, tree nodes) evaluate into locals first.
            if specialised, let e = specialisedListLiteral(items) { return e }
            switch items.count {
            case 1:
                let a = compileExpr(items[0])
                return { fp in .list(ListObject.make(try a(fp))) }
            case 2:
                let a = compileExpr(items[0]), b = compileExpr(items[1])
                return { fp in
                    let x = try a(fp)
                    return .list(ListObject.make(x, try b(fp)))
                }
            case 3:
                let a = compileExpr(items[0]), b = compileExpr(items[1]), c = compileExpr(items[2])
                return { fp in
                    let x = try a(fp), y = try b(fp)
                    return .list(ListObject.make(x, y, try c(fp)))
                }
            default:
                break
            }
            let fill = CodeTree.listFill(items.map { EvalBox(run: compileExpr($0)) })
            let n = items.count
            return { fp in
                let l = ListObject.make(capacity: n)
                try fill(fp, l)
                return .list(l)
            }

        case .dict(let pairs, _):
            let entries = pairs.map { pair -> DictFillBox in
                let v = compileExpr(pair.1)
                // A string literal key (records: `{"id": i, "name": …}`) is converted once.
                if case .literal(.string(let k), _) = pair.0 {
                    let key = DictKey.string(k)
                    return DictFillBox { fp, d in d[key] = try v(fp) }
                }
                let k = compileExpr(pair.0), kloc = pair.0.loc
                return DictFillBox { fp, d in
                    let kv = try k(fp)
                    guard let key = DictKey(kv) else { throw Failure("\(kv.typeName) cannot be a dict key (use a string, number or bool)", at: kloc) }
                    d[key] = try v(fp)
                }
            }
            let fill = CodeTree.dictFill(entries), n = pairs.count
            return { fp in
                let d = n == 0 ? DictObject() : DictObject(capacity: n)
                try fill(fp, d)
                return .dict(d)
            }

        case .unary(let op, let x, let loc):
            let xe = compileExpr(x)
            if op == .plus {
                return { fp in
                    let v = try xe(fp)
                    guard v.doubleValue != nil else { throw Failure(ErrorText.unsupportedOperand("+", v), at: loc) }
                    return v
                }
            }
            return { fp in
                let v = try xe(fp)
                if case .float(let d) = v { return .float(-d) }
                return try negate(v, loc)
            }

        case .binary(let op, let l, let r, let loc):
            if op.isComparison {
                let t = compileComparison(op, l, r, loc)
                return { fp in .bool(try t(fp)) }
            }
            if specialised { return specialisedArithmetic(op, l, r, loc, e) }
            return compileArithmetic(op, compileExpr(l), compileExpr(r), loc)

        case .and(let a, let b, _):
            let ae = compileExpr(a), be = compileExpr(b)
            return { fp in
                let x = try ae(fp)
                return x.isTruthy ? try be(fp) : x
            }

        case .or(let a, let b, _):
            let ae = compileExpr(a), be = compileExpr(b)
            return { fp in
                let x = try ae(fp)
                return x.isTruthy ? x : try be(fp)
            }

        case .not(let x, _):
            let t = compileTest(x)
            return { fp in .bool(!(try t(fp))) }

        case .call(let callee, let args, let loc):
            return compileCall(callee, args, loc)

        case .member(let o, let name, let loc):
            return compileMember(o, name, loc)

        case .index(let c, let i, let loc):
            if specialised { return specialisedIndex(c, i, loc) }
            let ce = compileExpr(c), ie = compileExpr(i)
            return { fp in
                let container = try ce(fp)
                return try Indexing.get(container, try ie(fp), loc)
            }

        case .slice(let c, let a, let b, let s, let loc):
            if specialised, let fast = specialisedSlice(c, a, b, s, loc) { return fast }
            let ce = compileExpr(c)
            let ae = a.map { compileExpr($0) }, be = b.map { compileExpr($0) }, se = s.map { compileExpr($0) }
            return { fp in
                try Indexing.slice(try ce(fp), try ae?(fp) ?? .null, try be?(fp) ?? .null, try se?(fp) ?? .null, loc)
            }

        case .function(let decl):
            return compileFunction(decl, name: decl.name ?? "<lambda:\(decl.loc.line)>")

        case .ifExpr(let c, let a, let b, _):
            let t = compileTest(c)
            let then = compileValueBlock(a)
            let other = b.map { compileValueBlock($0) }
            return { fp in
                if try t(fp) { return try then(fp) }
                return try other?(fp) ?? .null
            }
        }
    }

    /// A block used as a value: its last expression statement gives the value.
    func compileValueBlock(_ stmts: [Stmt]) -> Eval {
        fs.pushBlock()
        let savedLoops = fs.loopDepth
        fs.loopDepth = 0
        fs.valueIfDepth += 1
        defer {
            fs.popBlock()
            fs.loopDepth = savedLoops
            fs.valueIfDepth -= 1
        }
        guard let last = stmts.last else { return { _ in .null } }
        let first = compileStatements(Array(stmts.dropLast()), tail: false)
        let value: Eval
        switch last {
        case .expr(let e): value = compileExpr(e)
        case .ifStmt(let c, let a, let b, let loc): value = compileExpr(.ifExpr(c, a, b, loc))
        default:
            let x = compileStatement(last, tail: false)
            value = { fp in _ = try x(fp); return .null }
        }
        if stmts.count == 1 { return value }
        return { fp in
            _ = try first(fp)
            return try value(fp)
        }
    }

    private func compileInterpolation(_ parts: [InterpolationPart], _ loc: SourceLoc) -> Eval {
        let limits = self.limits
        let pieces: [TextFillBox] = parts.map {
            switch $0 {
            case .text(let t):
                return TextFillBox { _, s in
                    s += t
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            case .expr(let e, let spec?):
                let v = compileExpr(e), eloc = e.loc
                return TextFillBox { fp, s in
                    let x = try v(fp)
                    do { s += try spec.format(x) } catch { throw Failure.wrap(error, at: eloc) }
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            case .expr(let e, nil):
                let v = compileExpr(e)
                return TextFillBox { fp, s in
                    let x = try v(fp)
                    if case .string(let t) = x { s += t } else { s += x.description }
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            }
        }
        let fill = CodeTree.textFill(pieces)
        // Room for the literal text and a few bytes per value, when that is more than a small
        // string holds: the string then grows once instead of at every doubling.
        let estimate = parts.reduce(0) { n, p in
            if case .text(let t) = p { return n + t.utf8.count }
            return n + 8
        }
        if estimate > 15 {
            return { fp in
                var s = ""
                s.reserveCapacity(estimate)
                try fill(fp, &s)
                return .string(s)
            }
        }
        return { fp in
            var s = ""
            try fill(fp, &s)
            return .string(s)
        }
    }

    // MARK: - Operators

    func binaryFunction(_ op: BinaryOp, _ loc: SourceLoc) -> (Value, Value) throws -> Value {
        let limits = self.limits
        switch op {
        case .add: return { try AddOp.apply($0, $1, loc, limits) }
        case .sub: return { try SubOp.apply($0, $1, loc, limits) }
        case .mul: return { try MulOp.apply($0, $1, loc, limits) }
        case .div: return { try DivOp.apply($0, $1, loc, limits) }
        case .floorDiv: return { try FloorDivOp.apply($0, $1, loc, limits) }
        case .mod: return { try ModOp.apply($0, $1, loc, limits) }
        case .pow: return { try PowOp.apply($0, $1, loc, limits) }
        case .eq: return { .bool(try EqOp.test($0, $1, loc)) }
        case .ne: return { .bool(try NeOp.test($0, $1, loc)) }
        case .lt: return { .bool(try LtOp.test($0, $1, loc)) }
        case .le: return { .bool(try LeOp.test($0, $1, loc)) }
        case .gt: return { .bool(try GtOp.test($0, $1, loc)) }
        case .ge: return { .bool(try GeOp.test($0, $1, loc)) }
        case .in: return { .bool(try InOp.test($0, $1, loc)) }
        case .notIn: return { .bool(try NotInOp.test($0, $1, loc)) }
        }
    }

    private func compileArithmetic(_ op: BinaryOp, _ l: @escaping Eval, _ r: @escaping Eval, _ loc: SourceLoc) -> Eval {
        switch op {
        case .add: return arithmetic(AddOp.self, l, r, loc)
        case .sub: return arithmetic(SubOp.self, l, r, loc)
        case .mul: return arithmetic(MulOp.self, l, r, loc)
        case .div: return arithmetic(DivOp.self, l, r, loc)
        case .floorDiv: return arithmetic(FloorDivOp.self, l, r, loc)
        case .mod: return arithmetic(ModOp.self, l, r, loc)
        case .pow: return arithmetic(PowOp.self, l, r, loc)
        default: preconditionFailure("comparison compiled as arithmetic")
        }
    }

    /// `l op r`: the left operand, then the right, then the operator (Operators.swift holds
    /// what each does to each pair of types, and its errors).
    private func arithmetic<O: BinaryOperator>(_: O.Type, _ a: @escaping Eval, _ b: @escaping Eval, _ loc: SourceLoc) -> Eval {
        let limits = self.limits
        return { fp in
            let x = try a(fp)
            return try O.apply(x, try b(fp), loc, limits)
        }
    }

    func compileComparison(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ loc: SourceLoc) -> Test {
        if specialised { return specialisedComparison(op, l, r, loc) }
        let a = compileExpr(l), b = compileExpr(r)
        switch op {
        case .eq: return comparison(EqOp.self, a, b, loc)
        case .ne: return comparison(NeOp.self, a, b, loc)
        case .lt: return comparison(LtOp.self, a, b, loc)
        case .le: return comparison(LeOp.self, a, b, loc)
        case .gt: return comparison(GtOp.self, a, b, loc)
        case .ge: return comparison(GeOp.self, a, b, loc)
        case .in: return comparison(InOp.self, a, b, loc)
        case .notIn: return comparison(NotInOp.self, a, b, loc)
        default: preconditionFailure("arithmetic compiled as comparison")
        }
    }

    /// `l op r` for a comparison: the left operand, then the right, then the test.
    private func comparison<O: ComparisonOperator>(_: O.Type, _ a: @escaping Eval, _ b: @escaping Eval, _ loc: SourceLoc) -> Test {
        return { fp in
            let x = try a(fp)
            return try O.test(x, try b(fp), loc)
        }
    }

    /// A condition, compiled straight to Bool (no boxing of comparison results).
    func compileTest(_ e: Expr) -> Test {
        switch e {
        case .binary(let op, let l, let r, let loc) where op.isComparison:
            return compileComparison(op, l, r, loc)
        case .and(let a, let b, _):
            let ta = compileTest(a), tb = compileTest(b)
            return { fp in try ta(fp) ? try tb(fp) : false }
        case .or(let a, let b, _):
            let ta = compileTest(a), tb = compileTest(b)
            return { fp in try ta(fp) ? true : try tb(fp) }
        case .not(let x, _):
            let t = compileTest(x)
            return { fp in !(try t(fp)) }
        case .literal(let v, _):
            let b = v.isTruthy
            return { _ in b }
        default:
            if specialised, let fast = specialisedIndexTest(e) { return fast }
            let ev = compileExpr(e)
            return { fp in try ev(fp).isTruthy }
        }
    }

    // MARK: - Members

    func compileMember(_ o: Expr, _ name: String, _ loc: SourceLoc) -> Eval {
        let oe = compileExpr(o)
        let get = memberReader(name, loc)
        return { fp in try get(try oe(fp)) }
    }

    /// What `obj.name` reads from an object: a native object's property, or a method bound to
    /// its receiver, or a function's `name`/`doc`.
    func memberReader(_ name: String, _ loc: SourceLoc) -> (Value) throws -> Value {
        let lib = interpreter.library
        let tables = (lib.methods["string"]?[name], lib.methods["list"]?[name], lib.methods["dict"]?[name], lib.methods["range"]?[name])
        return { obj in
            var method: NativeFunction? = nil
            switch obj {
            case .string: method = tables.0
            case .list: method = tables.1
            case .dict: method = tables.2
            case .range: method = tables.3
            case .native(let n):
                do {
                    if let v = try n.property(name) { return v }
                } catch { throw Failure.wrap(error, at: loc) }
                if let m = n.method(name) { return .builtin(NativeFunction(bound: m, to: obj)) }
                throw Failure("\(n.typeName) has no member '\(name)'" + Suggest.didYouMean(name, n.members.map(\.name)), at: loc)
            case .function(let f):
                switch name {
                case "name": return .string(f.name)
                case "doc": return f.doc.map { .string($0) } ?? .null
                default: break
                }
            default: break
            }
            if let method { return .builtin(NativeFunction(bound: method, to: obj)) }
            throw lib.noMember(obj, name, loc)
        }
    }
}

