// The specialiser (see Specialised+Operands.swift): calls. A call of a script function with
// positional arguments puts them straight into the callee's frame (no argument array, no
// binding, which is the identity when the arity matches: `FunctionProto.fastArity`); a global
// callee is read through its plain-prototype pointer (`Globals.plainPointer`), with no copy of
// the value. Every other case goes through `Calls.call`, as the plain form does. The callee is
// read before the arguments are evaluated, as in the plain form: a fast path that takes the
// prototype first calls the function the global held then, whatever the arguments assign.

extension Compiler {
    /// A call with positional arguments only, or nil.
    func specialisedCall(_ callee: Expr, _ args: [Argument], _ loc: SourceLoc) -> Eval? {
        guard args.allSatisfy({ if case .positional = $0.kind { return true }; return false }) else { return nil }
        let calleeE = compileExpr(callee)
        let st = self.st
        if let (gp, gd, gq) = globalCallee(callee) {
            // Arguments that assign nothing leave the global as it was, so the callee may be
            // read where it lies after them, with no copy (builtins such as `sqrt(x)`).
            let pure = args.allSatisfy { NameCollector.assignsNothing($0.value) }
            if args.count == 1 {
                return withArgument(args[0].value, GlobalCall1(gp: gp, gd: gd, gq: gq, argumentsAssignNothing: pure,
                                                               calleeE: calleeE, st: st, loc: loc)).run
            }
            if args.count == 2 {
                let e0 = compileExpr(args[0].value), e1 = compileExpr(args[1].value)
                if pure {
                    return { fp in
                        if let raw = gq.pointee, Calls.plainArity(raw, is: 2) {
                            let a0 = try e0(fp)
                            return try Calls.callPlain2(raw, a0, try e1(fp), st: st, loc: loc)
                        }
                        // An unassigned global is reported before the arguments are evaluated.
                        guard gd.pointee else { return try Calls.call(try calleeE(fp), [try e0(fp), try e1(fp)], [], st: st, loc: loc) }
                        let a0 = try e0(fp)
                        let a1 = try e1(fp)
                        // No argument array: a closure's frame, or a builtin's direct form (read
                        // where it lies: passing the global on would copy it).
                        if case .function = gp.pointee { return try Calls.call2(gp.pointee, a0, a1, st: st, loc: loc) }
                        if case .builtin(let nf) = gp.pointee, let direct = nf.direct2, let v = direct(a0, a1) { return v }
                        return try Calls.call(gp.pointee, [a0, a1], [], st: st, loc: loc)
                    }
                }
                return { fp in
                    if let raw = gq.pointee, Calls.plainArity(raw, is: 2) {
                        let a0 = try e0(fp)
                        return try Calls.callPlain2(raw, a0, try e1(fp), st: st, loc: loc)
                    }
                    let c = try calleeE(fp)
                    let a0 = try e0(fp)
                    return try Calls.call2(c, a0, try e1(fp), st: st, loc: loc)
                }
            }
        }
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
            return { fp in
                let c = try calleeE(fp)
                return try Calls.call1(c, try e0(fp), st: st, loc: loc)
            }
        case 2:
            let e0 = es[0].run, e1 = es[1].run
            return { fp in
                let c = try calleeE(fp)
                let a0 = try e0(fp)
                return try Calls.call2(c, a0, try e1(fp), st: st, loc: loc)
            }
        default:
            let fill = CodeTree.fill(es), n = es.count
            return { fp in
                let c = try calleeE(fp)
                var vals: [Value] = []
                vals.reserveCapacity(n)
                try fill(fp, &vals)
                if case .function(let f) = c, f.proto.fastArity == vals.count {
                    let base = try Calls.push(vals, st: st, loc: loc)
                    return try Calls.enter(f, base: base, argc: vals.count, st: st, loc: loc)
                }
                return try Calls.call(c, vals, [], st: st, loc: loc)
            }
        }
    }

    /// The cells of the global a call `name(…)` reads (its value, whether it has one, its
    /// plain-prototype pointer), when `callee` is a name that resolves to a global here (not a
    /// local, and not inside a nested function where it could be an upvalue).
    func globalCallee(_ callee: Expr) -> (UnsafeMutablePointer<Value>, UnsafeMutablePointer<Bool>, UnsafeMutablePointer<UnsafeRawPointer?>)? {
        guard case .name(let n, _) = callee, fs.lookupLocal(n) == nil, !(fs.parent.map { !$0.isTopLevel } ?? false),
              let g = globals.lookup(n) else { return nil }
        return (globals.pointer(g), globals.definedPointer(g), globals.plainPointer(g))
    }

    /// The plain-prototype pointer of the global a call `name(…)` reads (see `globalCallee`).
    func globalPlainPointer(_ callee: Expr) -> UnsafeMutablePointer<UnsafeRawPointer?>? { globalCallee(callee)?.2 }

    /// A method call with positional arguments only, or nil. `xs.append(x)` and
    /// `d.get(k, default)` have their receiver and argument in their shapes and the list or dict
    /// case inline; a call with no arguments uses the method's direct form when it has one.
    /// `dispatch` is the plain form's method lookup and call.
    func specialisedMethodCall(_ o: Expr, _ name: String, _ args: [Argument], _ loc: SourceLoc,
                               _ dispatch: @escaping MethodDispatch) -> Eval? {
        guard args.allSatisfy({ if case .positional = $0.kind { return true }; return false }) else { return nil }
        if name == "append" && args.count == 1 {
            return withOperands(o, args[0].value, AppendCall(maxElements: limits.maxElements, dispatch: dispatch, loc: loc)).run
        }
        if name == "get" && (args.count == 1 || args.count == 2) {
            var constantDefault: Value? = args.count == 1 ? .null : nil
            if args.count == 2, case .literal(let c, _) = args[1].value {
                switch c {
                case .null, .bool, .int, .float, .string: constantDefault = c
                default: break
                }
            }
            return withOperands(o, args[0].value, DictGetCall(hasDefault: args.count == 2,
                                                                defaultRunsStatements: args.count == 2 && NameCollector.runsStatements(args[1].value),
                                                                constantDefault: constantDefault,
                                                                dispatch: dispatch) {
                args.count == 2 ? self.compileExpr(args[1].value) : { _ in .null }
            }).run
        }
        let oe = compileExpr(o)
        if args.isEmpty {
            // `s.upper()`, `xs.copy()`: the method's direct form when it has one.
            let lib = interpreter.library
            let tables = (lib.methods["string"]?[name], lib.methods["list"]?[name], lib.methods["dict"]?[name], lib.methods["range"]?[name])
            return { fp in
                let recv = try oe(fp)
                let method: NativeFunction?
                switch recv {
                case .string: method = tables.0
                case .list: method = tables.1
                case .dict: method = tables.2
                case .range: method = tables.3
                default: method = nil
                }
                if let direct = method?.directMethod0, let v = direct(recv) { return v }
                return try dispatch(recv, [], [])
            }
        }
        let fill = CodeTree.fill(args.map { EvalBox(run: compileExpr($0.value)) }), n = args.count
        return { fp in
            let recv = try oe(fp)
            var pos: [Value] = []
            pos.reserveCapacity(n)
            try fill(fp, &pos)
            return try dispatch(recv, pos, [])
        }
    }
}

/// A call of a global function with one positional argument.
struct GlobalCall1: ArgumentConsumer {
    let gp: UnsafeMutablePointer<Value>
    let gd: UnsafeMutablePointer<Bool>
    let gq: UnsafeMutablePointer<UnsafeRawPointer?>
    /// The argument assigns nothing (`NameCollector.assignsNothing`), so the global still holds
    /// the callee after it.
    let argumentsAssignNothing: Bool
    let calleeE: Eval
    let st: UnsafeMutablePointer<VMState>
    let loc: SourceLoc

    func make<A: ArgumentCode>(_ a: A) -> EvalBox {
        // What only the general path reads is behind one reference: the closure's captures are
        // loaded in full on every call, and the location alone is three words.
        let gq = gq, st = st, site = GlobalCall1Site(gp: gp, gd: gd, calleeE: calleeE, loc: loc)
        if argumentsAssignNothing {
            return EvalBox { fp in
                if let raw = gq.pointee, Calls.plainArity(raw, is: 1) { return try Calls.callPlain1(raw, try a.value(fp), st: st, loc: site) }
                // An unassigned global is reported before the argument is evaluated.
                guard site.gd.pointee else { return try Calls.call1(try site.calleeE(fp), try a.value(fp), st: st, loc: site.loc) }
                let a0 = try a.value(fp)
                // A builtin's direct form needs no location (`sqrt(x)`): not copied out of the site.
                if case .builtin(let nf) = site.gp.pointee, let direct = nf.direct1, let v = direct(a0) { return v }
                return try Calls.call1(site.gp.pointee, a0, st: st, loc: site.loc)
            }
        }
        return EvalBox { fp in
            if let raw = gq.pointee, Calls.plainArity(raw, is: 1) { return try Calls.callPlain1(raw, try a.value(fp), st: st, loc: site) }
            // Not a plain function of one parameter: the general path, callee first.
            let c = try site.calleeE(fp)
            return try Calls.call1(c, try a.value(fp), st: st, loc: site.loc)
        }
    }
}

/// The parts of a `GlobalCall1` that its fast path does not read (and its location for errors).
final class GlobalCall1Site: CallLocation {
    let gp: UnsafeMutablePointer<Value>
    let gd: UnsafeMutablePointer<Bool>
    let calleeE: Eval
    let loc: SourceLoc
    var location: SourceLoc { loc }

    init(gp: UnsafeMutablePointer<Value>, gd: UnsafeMutablePointer<Bool>, calleeE: @escaping Eval, loc: SourceLoc) {
        self.gp = gp
        self.gd = gd
        self.calleeE = calleeE
        self.loc = loc
    }
}

/// `xs.append(x)`.
struct AppendCall: PairConsumer {
    let maxElements: Int
    let dispatch: MethodDispatch
    let loc: SourceLoc
    func make<C: ArgumentCode, A: ArgumentCode>(_ receiver: C, _ x: A) -> EvalBox {
        let maxElements = maxElements, dispatch = dispatch, loc = loc
        // A list in a local variable is appended to where it lies (as in `IndexGet`).
        if let local = receiver as? LocalArgument {
            let slot = local.slot
            return EvalBox { fp in
                let v = try x.value(fp)
                if let l = (fp + slot).unretainedList() {
                    // The count when the list is full, else nil after appending.
                    let full = l._withUnsafeGuaranteedRef { l -> Int? in
                        guard l.count < maxElements else { return l.count }
                        l.append(v)
                        return nil
                    }
                    guard let count = full else { return .null }
                    throw Failure(ErrorText.listTooLarge(count + 1, limit: maxElements), at: loc)
                }
                return try dispatch((fp + slot).load, [v], [])
            }
        }
        return EvalBox { fp in
            let recv = try receiver.value(fp)
            let v = try x.value(fp)
            if case .list(let l) = recv {
                guard l.count < maxElements else { throw Failure(ErrorText.listTooLarge(l.count + 1, limit: maxElements), at: loc) }
                l.append(v)
                return .null
            }
            return try dispatch(recv, [v], [])
        }
    }
}


/// `d.get(k)` and `d.get(k, default)`.
struct DictGetCall: PairConsumer {
    let hasDefault: Bool
    /// The default may assign the receiver's local, so the receiver is read first.
    let defaultRunsStatements: Bool
    /// The default when it is absent (nil) or a scalar literal: nothing to evaluate per call.
    let constantDefault: Value?
    let dispatch: MethodDispatch
    /// Compiles the default, after the key (source order).
    let compileDefault: () -> Eval
    func make<C: ArgumentCode, A: ArgumentCode>(_ receiver: C, _ k: A) -> EvalBox {
        let hasDefault = hasDefault, dispatch = dispatch
        // A dict in a local variable, a constant default: the key, when it is a local too, is
        // read where it lies (nothing runs between reading it and the lookup).
        if let local = receiver as? LocalArgument, let c = constantDefault {
            let slot = local.slot
            if let key = k as? LocalArgument {
                let kslot = key.slot
                return EvalBox { fp in
                    if case .dict = fp[slot] { return (fp + slot).dictValue((fp + kslot).pointee) ?? c }
                    let key = (fp + kslot).load
                    return try dispatch((fp + slot).load, hasDefault ? [key, c] : [key], [])
                }
            }
            return EvalBox { fp in
                let key = try k.value(fp)
                if case .dict = fp[slot] { return (fp + slot).dictValue(key) ?? c }
                return try dispatch((fp + slot).load, hasDefault ? [key, c] : [key], [])
            }
        }
        let d = compileDefault()
        // A dict in a local variable is read where it lies (as in `IndexGet`).
        if let local = receiver as? LocalArgument, !defaultRunsStatements {
            let slot = local.slot
            return EvalBox { fp in
                let key = try k.value(fp)
                let def = try d(fp)
                if case .dict = fp[slot] {
                    return (fp + slot).dictValue(key) ?? def
                }
                let recv = (fp + slot).load
                return try dispatch(recv, hasDefault ? [key, def] : [key], [])
            }
        }
        return EvalBox { fp in
            let recv = try receiver.value(fp)
            let key = try k.value(fp)
            let def = try d(fp)
            if case .dict(let dict) = recv {
                switch dict.lookup(key) {
                case .at(let i): return dict.value(at: i)
                case .absent: return def
                case .otherKind:
                    guard let dk = DictKey(key) else { return def }
                    return dict[dk] ?? def
                }
            }
            return try dispatch(recv, hasDefault ? [key, def] : [key], [])
        }
    }
}
