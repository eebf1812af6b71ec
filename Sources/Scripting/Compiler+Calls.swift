// Calls. A call of a script function with plain positional arguments takes the fast path: the
// arguments go straight into the callee's frame on the value stack, with no array and no binding.
// Everything else (named arguments, defaults, `*rest`, builtins) goes through `Calls.call`.

extension Compiler {
    func compileCall(_ callee: Expr, _ args: [Argument], _ loc: SourceLoc) -> Eval {
        if case .member(let o, let name, _) = callee { return compileMethodCall(o, name, args, loc) }
        let calleeE = compileExpr(callee)
        // A global callee (the common case: a top-level fn) is read straight from its cell.
        var globalCallee: (UnsafeMutablePointer<Value>, UnsafeMutablePointer<Bool>)? = nil
        if case .name(let n, _) = callee, fs.lookupLocal(n) == nil, !(fs.parent.map { !$0.isTopLevel } ?? false),
           let g = globals.lookup(n) {
            globalCallee = (globals.pointer(g), globals.definedPointer(g))
        }
        let st = self.st
        let simple = args.allSatisfy { if case .positional = $0.kind { return true }; return false }
        if simple {
            let es = args.map { EvalBox(run: compileExpr($0.value)) }
            switch es.count {
            case 0:
                return { fp in
                    let c = try calleeE(fp)
                    if case .function(let f) = c, f.proto.fastArity == 0 {
                        return try Calls.enter(f, base: st.pointee.sp, argc: 0, st: st, loc: loc)
                    }
                    return try Calls.call(c, [], [], st: st, loc: loc)
                }
            case 1:
                let e0 = es[0].run
                if let (gp, gd) = globalCallee {
                    return { fp in
                        let a0 = try e0(fp)
                        if gd.pointee, case .function(let f) = gp.pointee, f.proto.fastArity == 1 {
                            let base = st.pointee.sp
                            guard base + 1 <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
                            base.initialize(to: a0)
                            st.pointee.sp = base + 1
                            return try Calls.enter(f, base: base, argc: 1, st: st, loc: loc)
                        }
                        return try Calls.call(try calleeE(fp), [a0], [], st: st, loc: loc)
                    }
                }
                return { fp in
                    let c = try calleeE(fp)
                    let a0 = try e0(fp)
                    if case .function(let f) = c, f.proto.fastArity == 1 {
                        let base = st.pointee.sp
                        guard base + 1 <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
                        base.initialize(to: a0)
                        st.pointee.sp = base + 1
                        return try Calls.enter(f, base: base, argc: 1, st: st, loc: loc)
                    }
                    return try Calls.call(c, [a0], [], st: st, loc: loc)
                }
            case 2:
                let e0 = es[0].run, e1 = es[1].run
                return { fp in
                    let c = try calleeE(fp)
                    let a0 = try e0(fp)
                    let a1 = try e1(fp)
                    if case .function(let f) = c, f.proto.fastArity == 2 {
                        let base = st.pointee.sp
                        guard base + 2 <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
                        base.initialize(to: a0)
                        (base + 1).initialize(to: a1)
                        st.pointee.sp = base + 2
                        return try Calls.enter(f, base: base, argc: 2, st: st, loc: loc)
                    }
                    return try Calls.call(c, [a0, a1], [], st: st, loc: loc)
                }
            default:
                return { fp in
                    let c = try calleeE(fp)
                    var vals: [Value] = []
                    vals.reserveCapacity(es.count)
                    for e in es { vals.append(try e.run(fp)) }
                    if case .function(let f) = c, f.proto.fastArity == vals.count {
                        let base = st.pointee.sp
                        guard base + vals.count <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
                        for (i, v) in vals.enumerated() { (base + i).initialize(to: v) }
                        st.pointee.sp = base + vals.count
                        return try Calls.enter(f, base: base, argc: vals.count, st: st, loc: loc)
                    }
                    return try Calls.call(c, vals, [], st: st, loc: loc)
                }
            }
        }
        let collect = compileArguments(args)
        return { fp in
            let c = try calleeE(fp)
            let (pos, named) = try collect(fp)
            return try Calls.call(c, pos, named, st: st, loc: loc)
        }
    }

    /// Evaluates arguments of any kind into positional values and named pairs.
    func compileArguments(_ args: [Argument]) -> (Frame) throws -> ([Value], [(String, Value)]) {
        let compiled = args.map { ($0.kind, EvalBox(run: compileExpr($0.value)), $0.loc) }
        return { fp in
            var pos: [Value] = []
            var named: [(String, Value)] = []
            for (kind, e, aloc) in compiled {
                let v = try e.run(fp)
                switch kind {
                case .positional: pos.append(v)
                case .named(let n):
                    if named.contains(where: { $0.0 == n }) { throw Failure("argument '\(n)' given twice", at: aloc) }
                    named.append((n, v))
                case .spread:
                    switch v {
                    case .list(let l): pos.append(contentsOf: l.items)
                    case .range(let r):
                        guard let items = try Iteration.elements(.range(r), limits: self.limits, loc: aloc) else { break }
                        pos.append(contentsOf: items)
                    default: throw Failure("'*' needs a list to spread, not \(v.typeName)", at: aloc)
                    }
                case .spreadNamed:
                    guard case .dict(let d) = v else { throw Failure("'**' needs a dict to spread, not \(v.typeName)", at: aloc) }
                    for (k, x) in d.pairs {
                        guard case .string(let name) = k else { throw Failure("'**' needs a dict with string keys", at: aloc) }
                        if named.contains(where: { $0.0 == name }) { throw Failure("argument '\(name)' given twice", at: aloc) }
                        named.append((name, x))
                    }
                }
            }
            return (pos, named)
        }
    }

    func compileMethodCall(_ o: Expr, _ name: String, _ args: [Argument], _ loc: SourceLoc) -> Eval {
        let oe = compileExpr(o)
        let st = self.st
        let lib = interpreter.library
        let tables = (lib.methods["string"]?[name], lib.methods["list"]?[name], lib.methods["dict"]?[name], lib.methods["range"]?[name])
        let dispatch: (Value, [Value], [(String, Value)]) throws -> Value = { recv, pos, named in
            var method: NativeFunction? = nil
            switch recv {
            case .string: method = tables.0
            case .list: method = tables.1
            case .dict: method = tables.2
            case .range: method = tables.3
            case .native(let n):
                if let m = n.method(name) { return try Calls.callNative(m, pos, named, receiver: recv, st: st, loc: loc) }
                let p: Value?
                do { p = try n.property(name) } catch { throw Failure.wrap(error, at: loc) }
                if let p { return try Calls.call(p, pos, named, st: st, loc: loc) }
                throw Failure("\(n.typeName) has no member '\(name)'" + Suggest.didYouMean(name, n.members.map(\.name)), at: loc)
            default: break
            }
            guard let method else { throw lib.noMember(recv, name, loc) }
            return try Calls.callNative(method, pos, named, receiver: recv, st: st, loc: loc)
        }
        let simple = args.allSatisfy { if case .positional = $0.kind { return true }; return false }
        if simple && name == "append" && args.count == 1 {
            let a = compileExpr(args[0].value)
            let maxElements = limits.maxElements
            return { fp in
                let recv = try oe(fp)
                let v = try a(fp)
                if case .list(let l) = recv {
                    guard l.count < maxElements else { throw Failure("list too large (limit is \(maxElements) elements)", at: loc) }
                    l.append(v)
                    return .null
                }
                return try dispatch(recv, [v], [])
            }
        }
        if simple && name == "get" && (args.count == 1 || args.count == 2) {
            let k = compileExpr(args[0].value)
            let d: Eval = args.count == 2 ? compileExpr(args[1].value) : { _ in .null }
            return { fp in
                let recv = try oe(fp)
                let key = try k(fp)
                let def = try d(fp)
                if case .dict(let dict) = recv {
                    guard let dk = DictKey(key) else { return def }
                    return dict[dk] ?? def
                }
                return try dispatch(recv, args.count == 2 ? [key, def] : [key], [])
            }
        }
        if simple {
            let es = args.map { EvalBox(run: compileExpr($0.value)) }
            return { fp in
                let recv = try oe(fp)
                var pos: [Value] = []
                pos.reserveCapacity(es.count)
                for e in es { pos.append(try e.run(fp)) }
                return try dispatch(recv, pos, [])
            }
        }
        let collect = compileArguments(args)
        return { fp in
            let recv = try oe(fp)
            let (pos, named) = try collect(fp)
            return try dispatch(recv, pos, named)
        }
    }
}
