// The specialiser (see Specialised+Operands.swift): assignments. `c[i] = v` and `c[i] op= e`
// update a list element or dict entry in place, `x op= e` on a local combines numbers in place.
// Each evaluates in the plain form's order (the value, then the container, then the index for
// `c[i] = v`; the target before `e` for `op=`), which is why the `op=` forms are taken only
// where `e` cannot assign the local they read (`NameCollector.runsStatements`).

extension Compiler {
    /// `target = value` for a single local or index target, or nil (having compiled nothing).
    /// The value is compiled first, as in the plain form.
    func specialisedAssign(_ target: Expr, _ value: Expr) -> Exec? {
        if case .name(let n, let nloc) = target { return specialisedLocalAssign(n, value, nloc) }
        guard case .index(let c, let i, let iloc) = target else { return nil }
        let limits = self.limits
        if case .literal(.string(let k), _) = i {
            let v = compileExpr(value)
            // `r["name"] = v`: the key's hash is computed once, here (a new key takes the general path).
            let key = DictKey.string(k), hash = DictObject.hash(key), index = Value.string(k)
            // A dict in a local variable is written where it lies (the value is computed first,
            // as in `IndexSet`).
            if case .name(let n, _) = c, !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured {
                let slot = l.slot
                return { fp in
                    let x = try v(fp)
                    if (fp + slot).replaceDictValue(key, hash: hash, x) { return .next }
                    try Indexing.set((fp + slot).load, index, x, iloc, limits)
                    return .next
                }
            }
            let ce = compileExpr(c)
            return { fp in
                let x = try v(fp)
                let container = try ce(fp)
                if case .dict(let d) = container, d.replace(key, hash: hash, x) { return .next }
                try Indexing.set(container, index, x, iloc, limits)
                return .next
            }
        }
        let store = IndexStore(compiler: self, container: c, index: i, loc: iloc)
        // `c[i] = d[j]` with `d` and `j` uncaptured locals (swaps, shifts, copies between lists):
        // the element is read inline, not by a closure of its own.
        if case .index(.name(let d, _), .name(let j, _), let vloc) = value, !fs.isTopLevel,
           let ld = fs.lookupLocal(d), !ld.captured, let lj = fs.lookupLocal(j), !lj.captured {
            return store.make(LocalElementArgument(list: ld.slot, index: lj.slot, site: operatorSite(.null, vloc))).run
        }
        switch operand(value) {
        case .local(let s): return store.make(LocalArgument(slot: s)).run
        case .constant(let k): return store.make(ConstantArgument(constant: k)).run
        case .eval(let e): return store.make(EvalArgument(eval: e)).run
        }
    }

    /// `target op= value` on an uncaptured local or an index, or nil.
    func specialisedCompoundAssign(_ op: BinaryOp, _ target: Expr, _ value: Expr, _ loc: SourceLoc) -> Exec? {
        // `value` is evaluated after the target is read in the plain form; these forms read it
        // after `value`, which is the same unless `value` runs statements.
        guard !NameCollector.runsStatements(value) else { return nil }
        switch target {
        case .name(let n, _):
            guard !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured else { return nil }
            switch op {
            case .add: return withArgument(value, CompoundLocal<AddOp>(slot: l.slot, site: operatorSite(.null, loc))).run
            case .sub: return withArgument(value, CompoundLocal<SubOp>(slot: l.slot, site: operatorSite(.null, loc))).run
            case .mul: return withArgument(value, CompoundLocal<MulOp>(slot: l.slot, site: operatorSite(.null, loc))).run
            default: return nil
            }
        case .index(let c, let i, let iloc):
            let v = compileExpr(value)
            switch op {
            case .add: return withOperands(c, i, CompoundIndex<AddOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .sub: return withOperands(c, i, CompoundIndex<SubOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .mul: return withOperands(c, i, CompoundIndex<MulOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .div: return withOperands(c, i, CompoundIndex<DivOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .floorDiv: return withOperands(c, i, CompoundIndex<FloorDivOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .mod: return withOperands(c, i, CompoundIndex<ModOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            case .pow: return withOperands(c, i, CompoundIndex<PowOp>(value: v, loc: loc, iloc: iloc, limits: limits)).run
            default: preconditionFailure("a comparison as a compound assignment")
            }
        default:
            return nil
        }
    }
}

/// `x op= e` on an uncaptured local: one closure for the whole statement.
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


/// `c[i] = value` for a value already in its shape: compiles the container and the index (after
/// the value, as the plain form does) into an `IndexSet`.
struct IndexStore: ArgumentConsumer {
    unowned let compiler: Compiler
    let container: Expr
    let index: Expr
    let loc: SourceLoc
    func make<V: ArgumentCode>(_ v: V) -> ExecBox {
        compiler.withOperands(container, index, IndexSet(value: v, site: compiler.operatorSite(.null, loc)))
    }
}


/// `c[i] = value` (the value is computed first), generic over the value's shape (a local, a
/// constant or any expression). The location and the limits, for the general paths, are behind
/// `site`: a closure's context is copied into registers on every call, and two words of
/// captures cost less than seven.
struct IndexSet<V: ArgumentCode>: PairConsumer {
    let value: V
    unowned(unsafe) let site: OperatorSite
    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> ExecBox {
        unowned(unsafe) let site = site
        let value = value
        // A list in a local variable is written where it lies (as in `IndexGet`).
        if let local = c as? LocalArgument {
            let slot = local.slot
            // A key or index in a local too is read where it lies, after the value (as the
            // plain form reads it) and with nothing run between that and the store: an int
            // index is matched in its slot without copying the value out (sieve, fannkuch).
            if let key = i as? LocalArgument {
                let kslot = key.slot
                return ExecBox { fp in
                    let v = try value.value(fp)
                    if case .int(let k) = fp[kslot], (fp + slot).setListElement(k, v) { return .next }
                    if (fp + slot).setDictValue((fp + kslot).pointee, v, maxElements: site.limits.maxElements) { return .next }
                    try Indexing.set((fp + slot).load, (fp + kslot).load, v, site.loc, site.limits)
                    return .next
                }
            }
            return ExecBox { fp in
                let v = try value.value(fp)
                let index = try i.value(fp)
                if case .int(let k) = index, (fp + slot).setListElement(k, v) { return .next }
                if (fp + slot).setDictValue(index, v, maxElements: site.limits.maxElements) { return .next }
                try Indexing.set((fp + slot).load, index, v, site.loc, site.limits)
                return .next
            }
        }
        return ExecBox { fp in
            let v = try value.value(fp)
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
                if case .int(let k) = index, d.count < site.limits.maxElements {
                    d[.int(k)] = v
                    return .next
                }
            }
            try Indexing.set(container, index, v, site.loc, site.limits)
            return .next
        }
    }
}


/// `d[j]` with `d` and `j` uncaptured locals, as `IndexGet` reads it: an element of a list in
/// range where it lies, a dict's value, else the general read.
struct LocalElementArgument: ArgumentCode {
    let list: Int
    let index: Int
    /// The location, for the general read (the hot data stays trivial to copy).
    unowned(unsafe) let site: OperatorSite

    @inline(__always) func value(_ fp: Frame) throws -> Value {
        if case .int(let k) = fp[index], let v = (fp + list).listElement(k) { return v }
        return try LocalElementArgument.slow(fp + list, (fp + index).load, site)
    }

    @inline(never) static func slow(_ container: Frame, _ index: Value, _ site: OperatorSite) throws -> Value {
        if let v = container.dictValue(index) { return v }
        return try Indexing.get(container.load, index, site.loc)
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
