// Calls of global functions fused into the code around them. Recursive code such as
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
    let gp: UnsafeMutablePointer<Value>
    let gd: UnsafeMutablePointer<Bool>
    let gq: UnsafeMutablePointer<UnsafeRawPointer?>
    let calleeE: Eval
    let st: UnsafeMutablePointer<VMState>
    /// The call's location and the argument expression's.
    let loc: SourceLoc
    let argumentLoc: SourceLoc
    let limits: Limits

    init(argument: SlotOffset, gp: UnsafeMutablePointer<Value>, gd: UnsafeMutablePointer<Bool>,
         gq: UnsafeMutablePointer<UnsafeRawPointer?>, calleeE: @escaping Eval, st: UnsafeMutablePointer<VMState>,
         loc: SourceLoc, argumentLoc: SourceLoc, limits: Limits) {
        self.argument = argument
        self.gp = gp
        self.gd = gd
        self.gq = gq
        self.calleeE = calleeE
        self.st = st
        self.loc = loc
        self.argumentLoc = argumentLoc
        self.limits = limits
    }

    /// The argument by the operators' general code, then the call by the general path (or the
    /// plain one when only the argument was not an int).
    @inline(never) func slowCall(_ fp: Frame) throws -> Value {
        let a0: Value
        switch argument.kind {
        case .plain: a0 = fp[argument.slot]
        case .add: a0 = try AddOp.apply(fp[argument.slot], .int(argument.k), argumentLoc, limits)
        case .sub: a0 = try SubOp.apply(fp[argument.slot], .int(argument.k), argumentLoc, limits)
        }
        if let raw = gq.pointee, Calls.plainArity(raw, is: 1) { return try Calls.callPlain1(raw, a0, st: st, loc: loc) }
        guard gd.pointee else { return try Calls.call(try calleeE(fp), [a0], [], st: st, loc: loc) }
        return try Calls.call1(gp.pointee, a0, st: st, loc: loc)
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
    /// The cells of a global that a call `name(…)` reads directly, when `callee` is a name that
    /// resolves to a global here (not a local, and not inside a nested function where it could
    /// be an upvalue).
    func globalCallee(_ callee: Expr) -> (UnsafeMutablePointer<Value>, UnsafeMutablePointer<Bool>, UnsafeMutablePointer<UnsafeRawPointer?>)? {
        guard case .name(let n, _) = callee, fs.lookupLocal(n) == nil, !(fs.parent.map { !$0.isTopLevel } ?? false),
              let g = globals.lookup(n) else { return nil }
        return (globals.pointer(g), globals.definedPointer(g), globals.plainPointer(g))
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
              let (gp, gd, gq) = globalCallee(callee), let a = slotOffset(args[0].value) else { return nil }
        let site = GlobalCallSite(argument: a, gp: gp, gd: gd, gq: gq, calleeE: compileExpr(callee), st: st,
                                  loc: loc, argumentLoc: args[0].value.loc, limits: limits)
        interpreter.compiledObjects.append(site)
        return GlobalCallOperand(argument: a, gq: gq, site: site)
    }

    /// `g(a) op h(b)` in the fused shape, or nil.
    func fusedCallArithmetic(_ e: Expr) -> FusedCallArithmetic? {
        guard specialised, case .binary(let op, let l, let r, let loc) = e, op == .add || op == .sub || op == .mul,
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
        return globalCallee(callee) != nil && slotOffset(args[0].value) != nil
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

// MARK: - Specialised condition shapes

/// A condition a branch can inline (generic call sites specialise over it).
protocol TestCode {
    func test(_ fp: Frame) throws -> Bool
}

struct ClosureTest: TestCode {
    let test: Test
    @inline(__always) func test(_ fp: Frame) throws -> Bool { try test(fp) }
}

/// `local < constant` and the other comparisons of a local with a literal.
struct LocalComparesConstant<O: ComparisonOperator>: TestCode {
    let slot: Int
    let constant: Value
    let loc: SourceLoc
    @inline(__always) func test(_ fp: Frame) throws -> Bool { try O.test(fp[slot], constant, loc) }
}
