// Calls. A call of a script function with plain positional arguments takes the fast path: the
// arguments go straight into the callee's frame on the value stack, with no array and no binding.
// Everything else (named arguments, defaults, `*rest`, builtins) goes through `Calls.call`.

extension Compiler {
    func compileCall(_ callee: Expr, _ args: [Argument], _ loc: SourceLoc) -> Eval {
        if case .member(let o, let name, _) = callee { return compileMethodCall(o, name, args, loc) }
        let calleeE = compileExpr(callee)
        // A global callee (the common case: a top-level fn) is read straight from its cell.
        var globalCallee: (UnsafeMutablePointer<Value>, UnsafeMutablePointer<Bool>, UnsafeMutablePointer<UnsafeRawPointer?>)? = nil
        if case .name(let n, _) = callee, fs.lookupLocal(n) == nil, !(fs.parent.map { !$0.isTopLevel } ?? false),
           let g = globals.lookup(n) {
            globalCallee = (globals.pointer(g), globals.definedPointer(g), globals.plainPointer(g))
        }
        let st = self.st
        let simple = args.allSatisfy { if case .positional = $0.kind { return true }; return false }
        // The general form of a call with positional arguments: evaluate the callee and the
        // arguments, then enter a script function of that arity directly, or bind through
        // `Calls.call`. The specialised forms below do the same for one and two arguments and
        // for global callees.
        if simple && !specialised { return positionalCall(calleeE, args.map { EvalBox(run: compileExpr($0.value)) }, loc) }
        if simple {
            if let (gp, gd, gq) = globalCallee, args.count == 1 {
                return withArgument(args[0].value, GlobalCall1(gp: gp, gd: gd, gq: gq, calleeE: calleeE, st: st, loc: loc)).run
            }
            if let (gp, gd, gq) = globalCallee, args.count == 2 {
                let e0 = compileExpr(args[0].value), e1 = compileExpr(args[1].value)
                return { fp in
                    let a0 = try e0(fp)
                    let a1 = try e1(fp)
                    if let raw = gq.pointee, Calls.plainArity(raw, is: 2) { return try Calls.callPlain2(raw, a0, a1, st: st, loc: loc) }
                    guard gd.pointee else { return try Calls.call(try calleeE(fp), [a0, a1], [], st: st, loc: loc) }
                    // A builtin's direct form needs no argument array.
                    if case .builtin(let nf) = gp.pointee, let direct = nf.direct2, let v = direct(a0, a1) { return v }
                    return try Calls.call(gp.pointee, [a0, a1], [], st: st, loc: loc)
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
                    let a0 = try e0(fp)
                    if case .function(let f) = c, f.proto.fastArity == 1 {
                        let base = st.pointee.sp
                        guard base + 1 <= st.pointee.end else { throw Calls.stackOverflow(loc) }
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
                        guard base + 2 <= st.pointee.end else { throw Calls.stackOverflow(loc) }
                        base.initialize(to: a0)
                        (base + 1).initialize(to: a1)
                        st.pointee.sp = base + 2
                        return try Calls.enter(f, base: base, argc: 2, st: st, loc: loc)
                    }
                    return try Calls.call(c, [a0, a1], [], st: st, loc: loc)
                }
            default:
                return positionalCall(calleeE, es, loc)
            }
        }
        let collect = compileArguments(args)
        return { fp in
            let c = try calleeE(fp)
            let (pos, named) = try collect(fp)
            return try Calls.call(c, pos, named, st: st, loc: loc)
        }
    }

    /// A call with positional arguments only, for any callee and any number of arguments.
    func positionalCall(_ calleeE: @escaping Eval, _ es: [EvalBox], _ loc: SourceLoc) -> Eval {
        let st = self.st
        let fill = CodeTree.fill(es), n = es.count
        return { fp in
            let c = try calleeE(fp)
            var vals: [Value] = []
            vals.reserveCapacity(n)
            try fill(fp, &vals)
            if case .function(let f) = c, f.proto.fastArity == vals.count {
                let base = st.pointee.sp
                guard base + vals.count <= st.pointee.end else { throw Calls.stackOverflow(loc) }
                for (i, v) in vals.enumerated() { (base + i).initialize(to: v) }
                st.pointee.sp = base + vals.count
                return try Calls.enter(f, base: base, argc: vals.count, st: st, loc: loc)
            }
            return try Calls.call(c, vals, [], st: st, loc: loc)
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
        // `xs.append(x)` and `d.get(k, default)` in loops: receiver and argument in their most
        // specific shapes, the list or dict case inline.
        if simple && name == "append" && args.count == 1 {
            return withOperands(o, args[0].value, AppendCall(maxElements: limits.maxElements, dispatch: dispatch, loc: loc)).run
        }
        if simple && name == "get" && (args.count == 1 || args.count == 2) {
            return withOperands(o, args[0].value, DictGetCall(hasDefault: args.count == 2,
                                                                defaultRunsStatements: args.count == 2 && NameCollector.runsStatements(args[1].value),
                                                                dispatch: dispatch) {
                args.count == 2 ? self.compileExpr(args[1].value) : { _ in .null }
            }).run
        }
        let oe = compileExpr(o)
        if simple && args.isEmpty {
            // `s.upper()`, `xs.copy()`: the method's direct form when it has one.
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
        if simple {
            let fill = CodeTree.fill(args.map { EvalBox(run: compileExpr($0.value)) }), n = args.count
            return { fp in
                let recv = try oe(fp)
                var pos: [Value] = []
                pos.reserveCapacity(n)
                try fill(fp, &pos)
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

// MARK: - Specialised argument shapes

/// How a call site computes one argument. Call sites are generic over it, so `f(n - 1)` gets
/// the subtraction inlined into the call closure instead of a closure call of its own.
protocol ArgumentCode {
    func value(_ fp: Frame) throws -> Value
}

struct LocalArgument: ArgumentCode {
    let slot: Int
    @inline(__always) func value(_ fp: Frame) throws -> Value { (fp + slot).load }
}

struct ConstantArgument: ArgumentCode {
    let constant: Value
    @inline(__always) func value(_ fp: Frame) throws -> Value { constant }
}

struct EvalArgument: ArgumentCode {
    let eval: Eval
    @inline(__always) func value(_ fp: Frame) throws -> Value { try eval(fp) }
}

/// `local op constant`, e.g. `n - 1` or `i * 0.5`. The hot data is trivial (a slot and a
/// number), so the closures that hold it copy no references per run; the constant as a value,
/// the location and the limits are behind `site`, for the general path only.
struct LocalOpConstant<O: BinaryOperator>: ArgumentCode {
    let slot: Int
    let number: NumericConstant
    unowned(unsafe) let site: OperatorSite

    @inline(__always) func value(_ fp: Frame) throws -> Value {
        switch number {
        case .int(let k):
            if case .int(let x) = fp[slot], let r = O.ints(x, k) { return .int(r) }
        case .float(let k):
            if case .float(let x) = fp[slot], let r = O.floats(x, k) { return .float(r) }
            if case .int(let x) = fp[slot], let r = O.floats(Double(x), k) { return .float(r) }
        case .other: break
        }
        return try site.apply(O.self, (fp + slot).load)
    }
}

/// A literal operand as the fast paths see it.
enum NumericConstant {
    case int(Int)
    case float(Double)
    case other

    init(_ v: Value) {
        switch v {
        case .int(let i): self = .int(i)
        case .float(let d): self = .float(d)
        default: self = .other
        }
    }
}

/// What an operator's general path needs: its location, the limits, and the right operand
/// when it is a constant. Compiled code points to it unretained (kept alive by
/// `Interpreter.compiledObjects`).
final class OperatorSite {
    let constant: Value
    let loc: SourceLoc
    let limits: Limits
    init(constant: Value, loc: SourceLoc, limits: Limits) {
        self.constant = constant
        self.loc = loc
        self.limits = limits
    }

    /// `x op constant` by the general code.
    @inline(never) func apply<O: BinaryOperator>(_: O.Type, _ x: Value) throws -> Value {
        try O.apply(x, constant, loc, limits)
    }

    /// `x op constant` for a comparison, by the general code.
    @inline(never) func test<O: ComparisonOperator>(_: O.Type, _ x: Value) throws -> Bool {
        try O.test(x, constant, loc)
    }

    /// `slot += t` for a string in the slot (see `appendString`).
    func appendString(_ slot: Frame, _ t: String) throws { try Scripting.appendString(slot, t, loc, limits) }

    /// `x op y` by the general code.
    @inline(never) func apply<O: BinaryOperator>(_: O.Type, _ x: Value, _ y: Value) throws -> Value {
        try O.apply(x, y, loc, limits)
    }
}

extension Compiler {
    /// A new `OperatorSite`, kept for the interpreter's lifetime.
    func operatorSite(_ constant: Value, _ loc: SourceLoc) -> OperatorSite {
        let site = OperatorSite(constant: constant, loc: loc, limits: limits)
        interpreter.compiledObjects.append(site)
        return site
    }
}

/// Builds code from an argument of any shape (Swift has no generic closures, so a protocol).
/// `Code` is an `EvalBox` or `ExecBox`, never a bare function type: a function type as an
/// associated type is kept at its most general abstraction, and every call of it would go
/// through reabstraction thunks.
protocol ArgumentConsumer {
    associatedtype Code
    func make<A: ArgumentCode>(_ a: A) -> Code
}

/// A call of a global function with one positional argument.
struct GlobalCall1: ArgumentConsumer {
    let gp: UnsafeMutablePointer<Value>
    let gd: UnsafeMutablePointer<Bool>
    let gq: UnsafeMutablePointer<UnsafeRawPointer?>
    let calleeE: Eval
    let st: UnsafeMutablePointer<VMState>
    let loc: SourceLoc

    func make<A: ArgumentCode>(_ a: A) -> EvalBox {
        let gp = gp, gd = gd, gq = gq, calleeE = calleeE, st = st, loc = loc
        return EvalBox { fp in
            let a0 = try a.value(fp)
            if let raw = gq.pointee, Calls.plainArity(raw, is: 1) { return try Calls.callPlain1(raw, a0, st: st, loc: loc) }
            // Not a plain function of one parameter: the general path.
            guard gd.pointee else { return try Calls.call(try calleeE(fp), [a0], [], st: st, loc: loc) }
            return try Calls.call1(gp.pointee, a0, st: st, loc: loc)
        }
    }
}

extension Compiler {
    /// Hands `consumer` the argument `e` in its most specific shape.
    func withArgument<C: ArgumentConsumer>(_ e: Expr, _ consumer: C) -> C.Code {
        if !specialised { return consumer.make(EvalArgument(eval: compileExpr(e))) }
        if case .binary(let op, let l, .literal(let c, _), let loc) = e, case .name(let n, _) = l,
           !fs.isTopLevel, let local = fs.lookupLocal(n), !local.captured {
            let s = local.slot, n = NumericConstant(c)
            switch op {
            case .add: return consumer.make(LocalOpConstant<AddOp>(slot: s, number: n, site: operatorSite(c, loc)))
            case .sub: return consumer.make(LocalOpConstant<SubOp>(slot: s, number: n, site: operatorSite(c, loc)))
            case .mul: return consumer.make(LocalOpConstant<MulOp>(slot: s, number: n, site: operatorSite(c, loc)))
            default: break
            }
        }
        switch operand(e) {
        case .local(let s): return consumer.make(LocalArgument(slot: s))
        case .constant(let c): return consumer.make(ConstantArgument(constant: c))
        case .eval(let ev): return consumer.make(EvalArgument(eval: ev))
        }
    }
}

/// `x += e` (and `-=`, `*=`) on an uncaptured local: one closure for the whole statement.
/// Numbers are combined in place; anything else goes through `site`.
struct CompoundLocal<O: BinaryOperator>: ArgumentConsumer {
    let slot: Int
    unowned(unsafe) let site: OperatorSite
    func make<A: ArgumentCode>(_ a: A) -> ExecBox {
        let slot = slot, site = site
        return ExecBox { fp in
            let y = try a.value(fp)
            if case .float(let x) = fp[slot], case .float(let t) = y, let r = O.floats(x, t) {
                (fp + slot).initialize(to: .float(r))
                return .next
            }
            if case .int(let x) = fp[slot], case .int(let t) = y, let r = O.ints(x, t) {
                (fp + slot).initialize(to: .int(r))
                return .next
            }
            if O.self == AddOp.self, case .string = fp[slot], case .string(let t) = y {
                try site.appendString(fp + slot, t)
                return .next
            }
            (fp + slot).store(try site.apply(O.self, (fp + slot).load, y))
            return .next
        }
    }
}

// MARK: - Two operands

/// Builds code from a container (a local or any expression) and an argument of any shape.
protocol PairConsumer {
    associatedtype Code
    func make<C: ArgumentCode, A: ArgumentCode>(_ container: C, _ argument: A) -> Code
}

private struct FirstOperand<P: PairConsumer>: ArgumentConsumer {
    unowned let compiler: Compiler
    let second: Expr
    let consumer: P
    func make<C: ArgumentCode>(_ c: C) -> P.Code { compiler.withArgument(second, SecondOperand(first: c, consumer: consumer)) }
}

private struct SecondOperand<C: ArgumentCode, P: PairConsumer>: ArgumentConsumer {
    let first: C
    let consumer: P
    func make<A: ArgumentCode>(_ a: A) -> P.Code { consumer.make(first, a) }
}

extension Compiler {
    /// Compiles `container` (as a local slot or an expression), then `argument` in its most
    /// specific shape, and hands both to `consumer`.
    func withOperands<P: PairConsumer>(_ container: Expr, _ argument: Expr, _ consumer: P) -> P.Code {
        let first = FirstOperand(compiler: self, second: argument, consumer: consumer)
        // The local is read after `argument` is evaluated, which is the same list unless
        // `argument` runs statements (an `if` value block) that may assign it.
        if case .name(let n, _) = container, !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured,
           !NameCollector.runsStatements(argument) {
            return first.make(LocalArgument(slot: l.slot))
        }
        return first.make(EvalArgument(eval: compileExpr(container)))
    }
}

/// `c[i]`.
struct IndexGet: PairConsumer {
    let loc: SourceLoc
    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> EvalBox {
        let loc = loc
        // A list in a local variable is read where it lies, without copying the reference out
        // of the slot (a retain and a release per access). Reading a local has no effects and
        // no index expression can assign to the caller's uncaptured local, so taking the index
        // first reads the same list.
        if let local = c as? LocalArgument {
            let slot = local.slot
            return EvalBox { fp in
                let index = try i.value(fp)
                if case .int(let k) = index, let v = (fp + slot).listElement(k) { return v }
                if let v = (fp + slot).dictValue(index) { return v }
                return try Indexing.get((fp + slot).load, index, loc)
            }
        }
        return EvalBox { fp in
            let container = try c.value(fp), index = try i.value(fp)
            if case .list(let l) = container, case .int(let k) = index, k >= 0, k < l.count { return l.element(k) }
            return try Indexing.get(container, index, loc)
        }
    }
}

extension UnsafeMutablePointer where Pointee == Value {
    /// Element `k` of the list in this slot when there is a list and `k` is in range, read
    /// through an unretained reference (the slot keeps the list alive meanwhile).
    @inline(__always) func listElement(_ k: Int) -> Value? {
        guard let l = unretainedList() else { return nil }
        return l._withUnsafeGuaranteedRef { l in k >= 0 && k < l.count ? l.element(k) : nil }
    }

    /// The value at `key` of the dict in this slot when there is a dict and the key is in it,
    /// read through an unretained reference.
    @inline(__always) func dictValue(_ key: Value) -> Value? {
        guard let d = unretainedDict() else { return nil }
        return d._withUnsafeGuaranteedRef { d in
            switch d.lookup(key) {
            case .at(let i): return d.value(at: i)
            case .absent: return nil
            case .otherKind:
                guard let k = DictKey(key) else { return nil }
                return d[k]
            }
        }
    }

    /// The value at a constant key (hashed once by the compiler) of the dict in this slot, read
    /// through an unretained reference; nil when there is no dict or no such key.
    @inline(__always) func dictValue(_ key: DictKey, hash: Int) -> Value? {
        guard let d = unretainedDict() else { return nil }
        return d._withUnsafeGuaranteedRef { $0.value(key, hash: hash) }
    }

    /// Replaces the value at a constant key (hashed once by the compiler) of the dict in this
    /// slot when there is a dict holding the key (true), through an unretained reference.
    @inline(__always) func replaceDictValue(_ key: DictKey, hash: Int, _ v: Value) -> Bool {
        guard let d = unretainedDict() else { return false }
        return d._withUnsafeGuaranteedRef { $0.replace(key, hash: hash, v) }
    }

    /// Stores `v` at `key` of the dict in this slot when there is a dict, the key can be a dict
    /// key and the store keeps the dict within `maxElements` (true); false otherwise.
    @inline(__always) func setDictValue(_ key: Value, _ v: Value, maxElements: Int) -> Bool {
        guard let d = unretainedDict() else { return false }
        return d._withUnsafeGuaranteedRef { d in
            if case .at(let i) = d.lookup(key) {
                d.setValue(at: i, v)
                return true
            }
            guard d.count < maxElements, let k = DictKey(key) else { return false }
            d[k] = v
            return true
        }
    }

    /// Stores `v` as element `k` of the list in this slot when there is a list and `k` is in
    /// range (true), through an unretained reference; false otherwise.
    @inline(__always) func setListElement(_ k: Int, _ v: Value) -> Bool {
        guard let l = unretainedList() else { return false }
        return l._withUnsafeGuaranteedRef { l in
            guard k >= 0 && k < l.count else { return false }
            l.setElement(k, v)
            return true
        }
    }
}

/// `c[i] = value` (the value is computed first).
struct IndexSet: PairConsumer {
    let value: Eval
    let loc: SourceLoc
    let limits: Limits
    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> ExecBox {
        let value = value, loc = loc, limits = limits
        // A list in a local variable is written where it lies (as in `IndexGet`).
        if let local = c as? LocalArgument {
            let slot = local.slot
            return ExecBox { fp in
                let v = try value(fp)
                let index = try i.value(fp)
                if case .int(let k) = index, (fp + slot).setListElement(k, v) { return .next }
                if (fp + slot).setDictValue(index, v, maxElements: limits.maxElements) { return .next }
                try Indexing.set((fp + slot).load, index, v, loc, limits)
                return .next
            }
        }
        return ExecBox { fp in
            let v = try value(fp)
            let container = try c.value(fp), index = try i.value(fp)
            if case .list(let l) = container, case .int(let k) = index, k >= 0, k < l.count {
                l.setElement(k, v)
                return .next
            }
            // An existing int or string key is replaced where it is found; a new int key below
            // the size limit (counting loops) is added without the general path.
            if case .dict(let d) = container {
                if case .at(let p) = d.lookup(index) {
                    d.setValue(at: p, v)
                    return .next
                }
                if case .int(let k) = index, d.count < limits.maxElements {
                    d[.int(k)] = v
                    return .next
                }
            }
            try Indexing.set(container, index, v, loc, limits)
            return .next
        }
    }
}

/// `c[i] op= e`: the element is read, `e` evaluated, the two combined and stored back. A list
/// element at an in-range int index is updated in place, floats and ints combined inline;
/// anything else goes through `Indexing.get`/`set`. A list in a local variable is read and
/// written where it lies (as in `IndexGet`); the compiler uses this only when `e` cannot assign
/// the local (`NameCollector.runsStatements`).
struct CompoundIndex<O: BinaryOperator>: PairConsumer {
    let value: Eval
    let loc: SourceLoc
    let iloc: SourceLoc
    let limits: Limits

    @inline(__always) static func combine(_ old: Value, _ y: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .float(let a) = old, case .float(let b) = y, let f = O.floats(a, b) { return .float(f) }
        if case .int(let a) = old, case .int(let b) = y, let n = O.ints(a, b) { return .int(n) }
        return try O.apply(old, y, loc, limits)
    }

    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> ExecBox {
        let value = value, loc = loc, iloc = iloc, limits = limits
        if let local = c as? LocalArgument {
            let slot = local.slot
            return ExecBox { fp in
                let index = try i.value(fp)
                if case .int(let k) = index, let old = (fp + slot).listElement(k) {
                    let r = try CompoundIndex.combine(old, try value(fp), loc, limits)
                    if (fp + slot).setListElement(k, r) { return .next }
                    // `e` shortened the list: the general store reports the index.
                    try Indexing.set((fp + slot).load, index, r, iloc, limits)
                    return .next
                }
                let container = (fp + slot).load
                if case .dict(let d) = container, try CompoundIndex.updateEntry(d, index, value, fp, loc, iloc, limits) {
                    return .next
                }
                let old = try Indexing.get(container, index, iloc)
                try Indexing.set(container, index, try O.apply(old, try value(fp), loc, limits), iloc, limits)
                return .next
            }
        }
        return ExecBox { fp in
            let container = try c.value(fp), index = try i.value(fp)
            if case .list(let l) = container, case .int(let k) = index, k >= 0, k < l.count {
                let r = try CompoundIndex.combine(l.element(k), try value(fp), loc, limits)
                if k < l.count { l.setElement(k, r) } else { try Indexing.set(container, index, r, iloc, limits) }
                return .next
            }
            if case .dict(let d) = container, try CompoundIndex.updateEntry(d, index, value, fp, loc, iloc, limits) {
                return .next
            }
            let old = try Indexing.get(container, index, iloc)
            try Indexing.set(container, index, try O.apply(old, try value(fp), loc, limits), iloc, limits)
            return .next
        }
    }

    /// `d[k] op= e` on an entry that exists: the key is found (hashed) once, `e` evaluated, and
    /// the result written at the same position unless `e` removed entries meanwhile (then
    /// through the general store, which finds the key again or adds it back). Returns false,
    /// having evaluated nothing, when the key is absent or not an int or string (the general
    /// path then gives the error or handles the key).
    @inline(__always) static func updateEntry(_ d: DictObject, _ index: Value, _ value: Eval, _ fp: Frame,
                                              _ loc: SourceLoc, _ iloc: SourceLoc, _ limits: Limits) throws -> Bool {
        guard case .at(let p) = d.lookup(index) else { return false }
        let moves = d.moves
        let r = try combine(d.value(at: p), try value(fp), loc, limits)
        if d.moves == moves { d.setValue(at: p, r) } else { try Indexing.set(.dict(d), index, r, iloc, limits) }
        return true
    }
}

/// `xs.append(x)`.
struct AppendCall: PairConsumer {
    let maxElements: Int
    let dispatch: (Value, [Value], [(String, Value)]) throws -> Value
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
    let dispatch: (Value, [Value], [(String, Value)]) throws -> Value
    /// Compiles the default, after the key (source order).
    let compileDefault: () -> Eval
    func make<C: ArgumentCode, A: ArgumentCode>(_ receiver: C, _ k: A) -> EvalBox {
        let d = compileDefault()
        let hasDefault = hasDefault, dispatch = dispatch
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
