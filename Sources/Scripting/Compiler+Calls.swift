// Calls: the callee, then the arguments left to right, then `Calls.call`, which enters a
// script function (binding the arguments to its parameters: arity, named arguments, defaults,
// `*rest`, `**named`, and their errors) or calls a builtin or a native object. A method call
// evaluates its receiver first and finds the method by the receiver's type. The specialiser's
// forms (arguments straight into the callee's frame, global callees, `xs.append(x)`, …) are in
// Specialised+Calls.swift and Specialised+FusedCalls.swift.

/// Finds a method on a receiver and calls it with evaluated arguments.
typealias MethodDispatch = (Value, [Value], [(String, Value)]) throws -> Value

extension Compiler {
    func compileCall(_ callee: Expr, _ args: [Argument], _ loc: SourceLoc) -> Eval {
        if case .member(let o, let name, _) = callee { return compileMethodCall(o, name, args, loc) }
        if specialised, let fast = specialisedCall(callee, args, loc) { return fast }
        let calleeE = compileExpr(callee)
        let collect = compileArguments(args)
        let st = self.st
        return { fp in
            let c = try calleeE(fp)
            let (pos, named) = try collect(fp)
            return try Calls.call(c, pos, named, st: st, loc: loc)
        }
    }

    /// Evaluates arguments of any kind into positional values and named pairs.
    func compileArguments(_ args: [Argument]) -> (Frame) throws -> ([Value], [(String, Value)]) {
        let compiled = args.map { ($0.kind, EvalBox(run: compileExpr($0.value)), $0.loc) }
        let limits = self.limits
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
                    case .list(let l): pos.append(contentsOf: l.snapshot())
                    case .range(let r):
                        guard let items = try Iteration.elements(.range(r), limits: limits, loc: aloc) else { break }
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
        let dispatch = methodDispatch(name, loc)
        if specialised, let fast = specialisedMethodCall(o, name, args, loc, dispatch) { return fast }
        let oe = compileExpr(o)
        let collect = compileArguments(args)
        return { fp in
            let recv = try oe(fp)
            let (pos, named) = try collect(fp)
            return try dispatch(recv, pos, named)
        }
    }

    /// The method `name` of a receiver, called: the string, list, dict or range method of that
    /// name, or a native object's method, or a callable property of it.
    func methodDispatch(_ name: String, _ loc: SourceLoc) -> MethodDispatch {
        let st = self.st
        let lib = interpreter.library
        let tables = (lib.methods["string"]?[name], lib.methods["list"]?[name], lib.methods["dict"]?[name], lib.methods["range"]?[name])
        return { recv, pos, named in
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
    }
}
