// The specialiser (see Specialised+Operands.swift): `x = value` for an uncaptured local `x`, as
// one closure that stores into the slot, generic over the value's shape: a local, a constant,
// `a op b` on locals and constants, `c[i]`, or any other expression. The plain form runs one
// closure for the value and one for the store; here the value is computed inline, and a list
// element read by `x = c[i]` goes into the slot without a closure's returned copy in between.

extension Compiler {
    /// `name = value` when `name` is, or becomes, an uncaptured local; nil otherwise, having
    /// compiled nothing. The value is compiled before the local is declared, as in the plain
    /// form (`x = x + 1` in a function reads the global `x` on its first assignment).
    func specialisedLocalAssign(_ name: String, _ value: Expr, _ loc: SourceLoc) -> Exec? {
        guard isPlainLocalTarget(name) else { return nil }
        let target = LocalStore(compiler: self, name: name, loc: loc)
        switch value {
        case .index(let c, let i, let iloc):
            // A string literal key has its own form (its hash is computed once).
            if case .literal(.string, _) = i { break }
            return withOperands(c, i, IndexGetInto(target: target, loc: iloc)).run
        case .binary(let op, let l, let r, let bloc) where !op.isComparison:
            guard let a = simpleOperand(l), let b = simpleOperand(r) else { break }
            // `local op literal` for + - * has its own shape in `withArgument`.
            if case .local = a, case .constant = b, [.add, .sub, .mul].contains(op) { break }
            switch op {
            case .add: return operation(AddOp.self, a, b, bloc, target)
            case .sub: return operation(SubOp.self, a, b, bloc, target)
            case .mul: return operation(MulOp.self, a, b, bloc, target)
            case .div: return operation(DivOp.self, a, b, bloc, target)
            case .floorDiv: return operation(FloorDivOp.self, a, b, bloc, target)
            case .mod: return operation(ModOp.self, a, b, bloc, target)
            case .pow: return operation(PowOp.self, a, b, bloc, target)
            default: break
            }
        default: break
        }
        return withArgument(value, target).run
    }

    /// A literal or an uncaptured local as an operand, without compiling anything; nil for
    /// any other expression.
    private func simpleOperand(_ e: Expr) -> Operand? {
        switch e {
        case .literal(let v, _): return .constant(v)
        case .name(let n, _):
            guard !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured else { return nil }
            return .local(l.slot)
        default: return nil
        }
    }

    private func operation<O: BinaryOperator>(_: O.Type, _ a: Operand, _ b: Operand, _ loc: SourceLoc,
                                              _ target: LocalStore) -> Exec {
        switch (a, b) {
        case (.local(let x), .local(let y)):
            let site = operatorSite(.null, loc)
            return target.make(Operation<O, LocalArgument, LocalArgument>(a: LocalArgument(slot: x), b: LocalArgument(slot: y), site: site)).run
        case (.local(let x), .constant(let k)):
            return target.make(LocalOpConstant<O>(slot: x, number: NumericConstant(k), site: operatorSite(k, loc))).run
        case (.constant(let k), .local(let y)):
            let site = operatorSite(.null, loc)
            return target.make(Operation<O, ConstantArgument, LocalArgument>(a: ConstantArgument(constant: k), b: LocalArgument(slot: y), site: site)).run
        default:
            let site = operatorSite(.null, loc)
            return target.make(Operation<O, EvalArgument, EvalArgument>(a: EvalArgument(eval: evalOf(a)), b: EvalArgument(eval: evalOf(b)), site: site)).run
        }
    }
}


/// Stores an argument of any shape into the local `name`, declared (when new) only once the
/// value is compiled.
struct LocalStore: ArgumentConsumer {
    unowned let compiler: Compiler
    let name: String
    let loc: SourceLoc

    func make<A: ArgumentCode>(_ a: A) -> ExecBox {
        if let slot = compiler.plainLocalSlot(name) {
            return ExecBox { fp in
                (fp + slot).store(try a.value(fp))
                return .next
            }
        }
        // Not reached (`isPlainLocalTarget` held before the value was compiled); the general
        // store is correct for any name.
        let set = compiler.store(name, loc)
        return ExecBox { fp in
            try set(fp, try a.value(fp))
            return .next
        }
    }
}


/// `a op b` on two operands of simple shapes: two ints or two floats are combined inline,
/// anything else goes through the operator's general code (`site`).
struct Operation<O: BinaryOperator, A: ArgumentCode, B: ArgumentCode>: ArgumentCode {
    let a: A
    let b: B
    unowned(unsafe) let site: OperatorSite

    @inline(__always) func value(_ fp: Frame) throws -> Value {
        let x = try a.value(fp), y = try b.value(fp)
        if case .int(let i) = x, case .int(let j) = y, let r = O.ints(i, j) { return .int(r) }
        if case .float(let i) = x, case .float(let j) = y, let r = O.floats(i, j) { return .float(r) }
        return try site.apply(O.self, x, y)
    }
}


/// `x = c[i]`: an element of a list in a local slot at an in-range int index goes straight
/// into `x`'s slot; anything else is read as `IndexGet` reads it.
struct IndexGetInto: PairConsumer {
    let target: LocalStore
    let loc: SourceLoc

    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> ExecBox {
        guard let local = c as? LocalArgument, let dst = target.compiler.plainLocalSlot(target.name) else {
            return target.make(IndexGetArgument(container: c, index: i, loc: loc))
        }
        let src = local.slot, loc = loc
        return ExecBox { fp in
            let index = try i.value(fp)
            // The element is copied out before the store, which may release the list
            // (`c = c[0]`).
            if case .int(let k) = index, let v = (fp + src).listElement(k) {
                (fp + dst).store(v)
                return .next
            }
            if let v = (fp + src).dictValue(index) {
                (fp + dst).store(v)
                return .next
            }
            (fp + dst).store(try Indexing.get((fp + src).load, index, loc))
            return .next
        }
    }
}


/// `c[i]` as an argument, for `IndexGetInto`'s container of any shape.
struct IndexGetArgument<C: ArgumentCode, A: ArgumentCode>: ArgumentCode {
    let container: C
    let index: A
    let loc: SourceLoc

    @inline(__always) func value(_ fp: Frame) throws -> Value {
        let c = try container.value(fp), i = try index.value(fp)
        if case .list(let l) = c, case .int(let k) = i, k >= 0, k < l.count { return l.element(k) }
        return try Indexing.get(c, i, loc)
    }
}
