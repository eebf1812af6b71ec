// The specialiser (see Specialised+Operands.swift): calls of global functions fused into the code around them. Recursive code such as
// `fib(n - 1) + fib(n - 2)` spends its time in call sites; compiled as one closure, both
// arguments are computed with an int fast path, both calls go straight into the callee's body
// (no closure per call site), and the results are combined with an int fast path. A function
// body `if n < 2 { return n }` followed by such an expression is one closure as well, so a call
// of `fib` costs one indirect call. Every check stays: overflow, the interrupt flag and the
// depth limit (in `Calls.enterPlain`), call stacks and locations in errors.
//
// The hot paths read only trivial data (ints and raw pointers). What only errors and the
// general paths need (locations, the callee's code) lives in small classes that the hot data
// points to unretained; `Interpreter.compiledObjects` keeps them alive. Copying a struct that
// holds references out of a closure context costs a retain, or a memcpy when it is large, on
// every run.

/// `local`, `local + k` or `local - k` with `k` an int literal: the int fast path.
struct SlotOffset {
    enum Kind { case plain, add, sub }
    let slot: Int
    let kind: Kind
    let k: Int

    /// The result when the local holds an int and nothing overflows; nil sends the caller to
    /// the general path, which raises the right error.
    @inline(__always) func int(_ fp: Frame) -> Int? {
        guard case .int(let x) = fp[slot] else { return nil }
        switch kind {
        case .plain: return x
        case .add:
            let (r, o) = x.addingReportingOverflow(k)
            return o ? nil : r
        case .sub:
            let (r, o) = x.subtractingReportingOverflow(k)
            return o ? nil : r
        }
    }
}


/// What a call `g(a)` of a global needs besides its fast path.
final class GlobalCallSite {
    let argument: SlotOffset
    let calleeE: Eval
    let st: UnsafeMutablePointer<VMState>
    /// The call's location and the argument expression's.
    let loc: SourceLoc
    let argumentLoc: SourceLoc
    let limits: Limits

    init(argument: SlotOffset, calleeE: @escaping Eval, st: UnsafeMutablePointer<VMState>,
         loc: SourceLoc, argumentLoc: SourceLoc, limits: Limits) {
        self.argument = argument
        self.calleeE = calleeE
        self.st = st
        self.loc = loc
        self.argumentLoc = argumentLoc
        self.limits = limits
    }

    /// The call by the general path, in the plain form's order: the callee, then the argument
    /// by the operators' general code.
    @inline(never) func slowCall(_ fp: Frame) throws -> Value {
        let c = try calleeE(fp)
        let a0: Value
        switch argument.kind {
        case .plain: a0 = fp[argument.slot]
        case .add: a0 = try AddOp.apply(fp[argument.slot], .int(argument.k), argumentLoc, limits)
        case .sub: a0 = try SubOp.apply(fp[argument.slot], .int(argument.k), argumentLoc, limits)
        }
        return try Calls.call1(c, a0, st: st, loc: loc)
    }
}

/// A call site's location, read only when an error needs it.
struct SiteLocation: CallLocation {
    unowned(unsafe) let site: GlobalCallSite
    var location: SourceLoc { site.loc }
}


/// `g(a)`: the fast path when `a` is an int and `g` a plain function of one parameter.
struct GlobalCallOperand {
    let argument: SlotOffset
    let gq: UnsafeMutablePointer<UnsafeRawPointer?>
    unowned(unsafe) let site: GlobalCallSite

    @inline(__always) func value(_ fp: Frame, _ st: UnsafeMutablePointer<VMState>) throws -> Value {
        if let x = argument.int(fp), let raw = gq.pointee, Calls.plainArity(raw, is: 1) {
            return try Calls.callPlain1(raw, .int(x), st: st, loc: SiteLocation(site: site))
        }
        return try site.slowCall(fp)
    }
}


/// What `g(a) op h(b)` needs besides its fast path.
final class ArithmeticSite {
    let op: BinaryOp
    let loc: SourceLoc
    let limits: Limits
    init(op: BinaryOp, loc: SourceLoc, limits: Limits) {
        self.op = op
        self.loc = loc
        self.limits = limits
    }

    @inline(never) func slow(_ x: Value, _ y: Value) throws -> Value {
        switch op {
        case .add: return try AddOp.apply(x, y, loc, limits)
        case .sub: return try SubOp.apply(x, y, loc, limits)
        default: return try MulOp.apply(x, y, loc, limits)
        }
    }
}


/// `g(a) op h(b)` with `op` one of `+ - *`: both calls, then the operator with an int fast path.
struct FusedCallArithmetic: ArgumentCode {
    let op: BinaryOp
    let left: GlobalCallOperand
    let right: GlobalCallOperand
    let st: UnsafeMutablePointer<VMState>
    unowned(unsafe) let site: ArithmeticSite

    @inline(__always) func value(_ fp: Frame) throws -> Value {
        let x = try left.value(fp, st)
        let y = try right.value(fp, st)
        if case .int(let a) = x, case .int(let b) = y {
            switch op {
            case .add:
                let (r, o) = a.addingReportingOverflow(b)
                if !o { return .int(r) }
            case .sub:
                let (r, o) = a.subtractingReportingOverflow(b)
                if !o { return .int(r) }
            default:
                let (r, o) = a.multipliedReportingOverflow(by: b)
                if !o { return .int(r) }
            }
        }
        return try site.slow(x, y)
    }
}


/// The comparison of a local with an int literal, for `if n < 2 { return n }`.
final class ComparisonSite {
    let op: BinaryOp
    let loc: SourceLoc
    init(op: BinaryOp, loc: SourceLoc) {
        self.op = op
        self.loc = loc
    }

    @inline(never) func slow(_ x: Value, _ k: Int) throws -> Bool {
        let c = Value.int(k)
        switch op {
        case .lt: return try LtOp.test(x, c, loc)
        case .le: return try LeOp.test(x, c, loc)
        case .gt: return try GtOp.test(x, c, loc)
        case .ge: return try GeOp.test(x, c, loc)
        case .eq: return try EqOp.test(x, c, loc)
        default: return try NeOp.test(x, c, loc)
        }
    }
}


/// `local op k` for the six comparisons and an int literal `k`.
struct LocalComparesInt: TestCode {
    let slot: Int
    let k: Int
    let op: BinaryOp
    unowned(unsafe) let site: ComparisonSite

    @inline(__always) func test(_ fp: Frame) throws -> Bool {
        if case .int(let x) = fp[slot] {
            switch op {
            case .lt: return x < k
            case .le: return x <= k
            case .gt: return x > k
            case .ge: return x >= k
            case .eq: return x == k
            default: return x != k
            }
        }
        return try site.slow(fp[slot], k)
    }
}


extension Compiler {
    /// A function body that starts with an early return, `if c { return e }` followed by more
    /// statements, as one branch that returns its value directly; a comparison of a local with
    /// an int literal (`if n < 2 { return n }`) is inlined into it. Nil for any other body.
    func specialisedTailValue(_ stmts: [Stmt]) -> Eval? {
        guard stmts.count > 1, case .ifStmt(let c, let then, nil, _) = stmts[0], then.count == 1,
              case .returnStmt(let e, _) = then[0], fs.valueIfDepth == 0 else { return nil }
        let rest = Array(stmts.dropFirst())
        if let t = localComparesInt(c) {
            fs.pushBlock()
            let early = e.map { operand($0) } ?? .constant(.null)
            fs.popBlock()
            return earlyReturn(t, early, rest)
        }
        let test = compileTest(c)
        fs.pushBlock()
        let early = e.map { operand($0) } ?? .constant(.null)
        fs.popBlock()
        return earlyReturn(ClosureTest(test: test), early, rest)
    }

    /// The branch `if test { return early }` followed by the statements `rest`; a `rest` that
    /// is one fused call expression (`fib(n - 1) + fib(n - 2)`) is inlined into the branch.
    func earlyReturn<T: TestCode>(_ test: T, _ early: Operand, _ rest: [Stmt]) -> Eval {
        if rest.count == 1, case .expr(let e) = rest[0], let fused = fusedCallArithmetic(e) {
            return earlyReturn(test, early, fused)
        }
        return earlyReturn(test, early, EvalArgument(eval: compileTailValue(rest, pushScope: false)))
    }

    func earlyReturn<T: TestCode>(_ test: T, _ early: Operand, _ rest: FusedCallArithmetic) -> Eval {
        if case .local(let s) = early {
            let node = EarlyReturnThenFusedCalls(test: test, slot: s, rest: rest)
            return { fp in try node.run(fp) }
        }
        return earlyReturn(test, early, FusedRest(rest: rest))
    }

    func earlyReturn<T: TestCode, R: ArgumentCode>(_ test: T, _ early: Operand, _ rest: R) -> Eval {
        switch early {
        case .local(let s):
            return { fp in
                if try test.test(fp) {
                    if case .int(let i) = fp[s] { return .int(i) }
                    return fp[s]
                }
                return try rest.value(fp)
            }
        case .constant(let v):
            // An int is returned as a bare number, with no general copy of the captured value.
            if case .int(let k) = v { return { fp in try test.test(fp) ? .int(k) : try rest.value(fp) } }
            return { fp in try test.test(fp) ? v : try rest.value(fp) }
        case .eval(let ev): return { fp in try test.test(fp) ? try ev(fp) : try rest.value(fp) }
        }
    }

    /// `local`, `local + k` or `local - k` (an uncaptured local inside a function, an int literal).
    func slotOffset(_ e: Expr) -> SlotOffset? {
        guard !fs.isTopLevel else { return nil }
        switch e {
        case .name(let n, _):
            guard let l = fs.lookupLocal(n), !l.captured else { return nil }
            return SlotOffset(slot: l.slot, kind: .plain, k: 0)
        case .binary(let op, .name(let n, _), .literal(.int(let k), _), _) where op == .add || op == .sub:
            guard let l = fs.lookupLocal(n), !l.captured else { return nil }
            return SlotOffset(slot: l.slot, kind: op == .add ? .add : .sub, k: k)
        default:
            return nil
        }
    }

    /// `g(a)` with one positional argument in the `SlotOffset` shape and `g` a global.
    func globalCallOperand(_ e: Expr) -> GlobalCallOperand? {
        guard case .call(let callee, let args, let loc) = e, args.count == 1, case .positional = args[0].kind,
              let gq = globalPlainPointer(callee), let a = slotOffset(args[0].value) else { return nil }
        let site = GlobalCallSite(argument: a, calleeE: compileExpr(callee), st: st,
                                  loc: loc, argumentLoc: args[0].value.loc, limits: limits)
        interpreter.compiledObjects.append(site)
        return GlobalCallOperand(argument: a, gq: gq, site: site)
    }

    /// `g(a) op h(b)` in the fused shape, or nil.
    func fusedCallArithmetic(_ e: Expr) -> FusedCallArithmetic? {
        guard case .binary(let op, let l, let r, let loc) = e, op == .add || op == .sub || op == .mul,
              case .call = l, case .call = r, slotOffsetCall(l), slotOffsetCall(r),
              let left = globalCallOperand(l), let right = globalCallOperand(r) else { return nil }
        let site = ArithmeticSite(op: op, loc: loc, limits: limits)
        interpreter.compiledObjects.append(site)
        return FusedCallArithmetic(op: op, left: left, right: right, st: st, site: site)
    }

    /// Whether `e` has the shape `globalCallOperand` takes (checked first, so nothing is compiled
    /// for a left operand when the right one does not fit).
    private func slotOffsetCall(_ e: Expr) -> Bool {
        guard case .call(let callee, let args, _) = e, args.count == 1, case .positional = args[0].kind else { return false }
        return globalPlainPointer(callee) != nil && slotOffset(args[0].value) != nil
    }

    /// `local op k` with an uncaptured local and an int literal, for the six comparisons.
    func localComparesInt(_ c: Expr) -> LocalComparesInt? {
        guard case .binary(let op, .name(let n, _), .literal(.int(let k), _), let loc) = c,
              [.lt, .le, .gt, .ge, .eq, .ne].contains(op), !fs.isTopLevel,
              let l = fs.lookupLocal(n), !l.captured else { return nil }
        let site = ComparisonSite(op: op, loc: loc)
        interpreter.compiledObjects.append(site)
        return LocalComparesInt(slot: l.slot, k: k, op: op, site: site)
    }
}


/// A body `if test { return local }` followed by a fused call expression, as one object: the
/// closure that runs it captures one reference, where captured structs this size would be
/// copied out of the closure context on every call.
final class EarlyReturnThenFusedCalls<T: TestCode> {
    let test: T
    let slot: Int
    let rest: FusedCallArithmetic

    init(test: T, slot: Int, rest: FusedCallArithmetic) {
        self.test = test
        self.slot = slot
        self.rest = rest
    }

    @inline(__always) func run(_ fp: Frame) throws -> Value {
        if try test.test(fp) {
            if case .int(let i) = fp[slot] { return .int(i) }
            return fp[slot]
        }
        return try rest.value(fp)
    }
}


/// A fused call expression as a generic operand (it is one already; this wrapper keeps the
/// overload that takes the concrete type from calling itself).
struct FusedRest: ArgumentCode {
    let rest: FusedCallArithmetic
    @inline(__always) func value(_ fp: Frame) throws -> Value { try rest.value(fp) }
}
