// The specialiser: faster forms of what the plain compiler (Compiler.swift,
// Compiler+Expressions.swift, Compiler+Calls.swift) compiles, used when `Interpreter.specialised`
// is on. The plain compiler asks for them at one hook per construct (`specialisedArithmetic`,
// `specialisedComparison`, `specialisedIndex`, `specialisedAssign`, `specialisedCompoundAssign`,
// `specialisedCall`, `specialisedMethodCall`, `specialisedTailValue`, `specialisedWhile`,
// `specialisedIndexTest`); a hook returns nil when it has no faster form, having compiled nothing. Every form here computes what the plain form
// computes, in the same order, and hands anything off its fast path to the same semantic helpers
// (the operators' `apply`/`test`, `Indexing`, `Calls`), so results and messages cannot diverge;
// the conformance suite runs in both modes.
//
// This file: operand shapes. An operand is a local slot, a constant, or any expression, and code
// is generic over that shape, so that `n - 1` or `i < n` costs one closure call, not three.

extension Compiler {
    enum Operand {
        case local(Int)
        case constant(Value)
        case eval(Eval)
    }

    func operand(_ e: Expr) -> Operand {
        switch e {
        case .literal(let v, _): return .constant(v)
        case .name(let n, let loc):
            if !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured { return .local(l.slot) }
            guard let r = resolve(n, loc) else { return .eval(dead) }
            return .eval(read(r, n, loc))
        default: return .eval(compileExpr(e))
        }
    }

    /// The left operand of `l op r`. A local slot is read when the operator runs, after `r` is
    /// evaluated, which reads the same value unless `r` runs statements that may assign it
    /// (an `if` used as a value): then the local is read first, as the plain form does.
    func leftOperand(_ l: Expr, _ r: Expr) -> Operand {
        if case .name = l, NameCollector.runsStatements(r) { return .eval(compileExpr(l)) }
        return operand(l)
    }

    func evalOf(_ o: Operand) -> Eval {
        switch o {
        case .local(let s): return { fp in (fp + s).load }
        case .constant(let v): return { _ in v }
        case .eval(let e): return e
        }
    }

    /// `l op r` for an arithmetic operator: a fused call expression (`fib(n - 1) + fib(n - 2)`),
    /// else the operands in their shapes.
    func specialisedArithmetic(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ loc: SourceLoc, _ e: Expr) -> Eval {
        if let fused = fusedCallArithmetic(e) { return { fp in try fused.value(fp) } }
        let a = leftOperand(l, r), b = operand(r)
        switch op {
        case .add: return shapedArithmetic(AddOp.self, a, b, loc)
        case .sub: return shapedArithmetic(SubOp.self, a, b, loc)
        case .mul: return shapedArithmetic(MulOp.self, a, b, loc)
        case .div: return shapedArithmetic(DivOp.self, a, b, loc)
        case .floorDiv: return shapedArithmetic(FloorDivOp.self, a, b, loc)
        case .mod: return shapedArithmetic(ModOp.self, a, b, loc)
        case .pow: return shapedArithmetic(PowOp.self, a, b, loc)
        default: preconditionFailure("comparison compiled as arithmetic")
        }
    }

    func shapedArithmetic<O: BinaryOperator>(_: O.Type, _ l: Operand, _ r: Operand, _ loc: SourceLoc) -> Eval {
        let limits = self.limits
        // An int literal on the right (`x * 3`, `y % 10`, `get(k, 0) + 1`): the int case is
        // matched in place, so an int operand is never copied as a general value.
        if O.hasIntFastPath, case .constant(.int(let k)) = r {
            unowned(unsafe) let site = operatorSite(.int(k), loc)
            switch l {
            case .local(let i):
                return { fp in
                    if case .int(let x) = fp[i], let v = O.ints(x, k) { return .int(v) }
                    return try site.apply(O.self, (fp + i).load)
                }
            case .eval(let a):
                return { fp in
                    let x = try a(fp)
                    if case .int(let xi) = x, let v = O.ints(xi, k) { return .int(v) }
                    return try site.apply(O.self, x)
                }
            case .constant: break
            }
        }
        switch (l, r) {
        case (.local(let i), .constant(let c)): return { fp in try O.apply(fp[i], c, loc, limits) }
        case (.local(let i), .local(let j)): return { fp in try O.apply(fp[i], fp[j], loc, limits) }
        case (.constant(let c), .local(let j)): return { fp in try O.apply(c, fp[j], loc, limits) }
        case (.eval(let a), .constant(let c)): return { fp in try O.apply(try a(fp), c, loc, limits) }
        case (.local(let i), .eval(let b)): return { fp in
            let y = try b(fp)
            return try O.apply(fp[i], y, loc, limits)
        }
        case (.eval(let a), .local(let j)): return { fp in try O.apply(try a(fp), fp[j], loc, limits) }
        // `1 + check(t[0])`: the constant needs no closure of its own.
        case (.constant(let c), .eval(let b)): return { fp in try O.apply(c, try b(fp), loc, limits) }
        default:
            let a = evalOf(l), b = evalOf(r)
            return { fp in
                let x = try a(fp)
                return try O.apply(x, try b(fp), loc, limits)
            }
        }
    }

    /// `c[i] == nil` (or `!=`) with `c` an uncaptured local: an element of a list is tested
    /// where it lies, without copying it out (a retain and a release). The index is evaluated
    /// before the slot is read, as in `IndexGet` (no index expression can assign the local).
    func indexIsNil(_ slot: Int, _ i: Expr, wantNil: Bool, _ loc: SourceLoc) -> Test {
        if case .literal(.int(let k), _) = i {
            return { fp in
                if let isNil = (fp + slot).listElementIsNil(k) { return isNil == wantNil }
                return try Indexing.get((fp + slot).load, .int(k), loc).isNil == wantNil
            }
        }
        let index = compileExpr(i)
        return { fp in
            let x = try index(fp)
            if case .int(let k) = x, let isNil = (fp + slot).listElementIsNil(k) { return isNil == wantNil }
            return try Indexing.get((fp + slot).load, x, loc).isNil == wantNil
        }
    }

    /// `l op r` for a comparison, the operands in their shapes.
    func specialisedComparison(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ loc: SourceLoc) -> Test {
        if op == .eq || op == .ne, case .literal(.null, _) = r, case .index(.name(let n, _), let i, let iloc) = l,
           !fs.isTopLevel, let local = fs.lookupLocal(n), !local.captured {
            return indexIsNil(local.slot, i, wantNil: op == .eq, iloc)
        }
        let a = leftOperand(l, r), b = operand(r)
        switch op {
        case .eq: return shapedComparison(EqOp.self, a, b, loc)
        case .ne: return shapedComparison(NeOp.self, a, b, loc)
        case .lt: return shapedComparison(LtOp.self, a, b, loc)
        case .le: return shapedComparison(LeOp.self, a, b, loc)
        case .gt: return shapedComparison(GtOp.self, a, b, loc)
        case .ge: return shapedComparison(GeOp.self, a, b, loc)
        case .in: return shapedComparison(InOp.self, a, b, loc)
        case .notIn: return shapedComparison(NotInOp.self, a, b, loc)
        default: preconditionFailure("arithmetic compiled as comparison")
        }
    }

    func shapedComparison<O: ComparisonOperator>(_: O.Type, _ l: Operand, _ r: Operand, _ loc: SourceLoc) -> Test {
        if O.hasIntFastPath, case .constant(.int(let k)) = r {
            unowned(unsafe) let site = operatorSite(.int(k), loc)
            switch l {
            case .local(let i):
                return { fp in
                    if case .int(let x) = fp[i] { return O.ints(x, k) }
                    return try site.test(O.self, (fp + i).load)
                }
            case .eval(let a):
                return { fp in
                    let x = try a(fp)
                    if case .int(let xi) = x { return O.ints(xi, k) }
                    return try site.test(O.self, x)
                }
            case .constant: break
            }
        }
        // `x == nil` and `x != nil`: only nil equals nil, so the test is the value's case.
        if O.self == EqOp.self || O.self == NeOp.self, case .constant(.null) = r {
            let wantNil = O.self == EqOp.self
            switch l {
            case .local(let i): return { fp in fp[i].isNil == wantNil }
            case .eval(let a): return { fp in try a(fp).isNil == wantNil }
            case .constant: break
            }
        }
        switch (l, r) {
        case (.local(let i), .constant(let c)): return { fp in try O.test(fp[i], c, loc) }
        case (.local(let i), .local(let j)): return { fp in try O.test(fp[i], fp[j], loc) }
        case (.eval(let a), .constant(let c)): return { fp in try O.test(try a(fp), c, loc) }
        case (.constant(let c), .eval(let b)): return { fp in try O.test(c, try b(fp), loc) }
        case (.constant(let c), .local(let j)): return { fp in try O.test(c, fp[j], loc) }
        case (.local(let i), .eval(let b)): return { fp in
            let y = try b(fp)
            return try O.test(fp[i], y, loc)
        }
        default:
            let a = evalOf(l), b = evalOf(r)
            return { fp in
                let x = try a(fp)
                return try O.test(x, try b(fp), loc)
            }
        }
    }
}

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
    /// A number or bool is rebuilt from its payload, not copied by the general (outlined)
    /// `Value` copy, which switches on the case.
    @inline(__always) func value(_ fp: Frame) throws -> Value {
        switch constant {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        default: return constant
        }
    }
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


extension Compiler {
    /// Hands `consumer` the argument `e` in its most specific shape.
    func withArgument<C: ArgumentConsumer>(_ e: Expr, _ consumer: C) -> C.Code {
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


// MARK: - Conditions

/// A condition a branch can inline (generic call sites specialise over it).
protocol TestCode {
    func test(_ fp: Frame) throws -> Bool
}


struct ClosureTest: TestCode {
    let test: Test
    @inline(__always) func test(_ fp: Frame) throws -> Bool { try test(fp) }
}
