// The specialiser (see Specialised+Operands.swift): indexing. `c[i]` on a list in a local slot
// reads the element where it lies; a string literal key (records: `r["name"]`) is hashed once,
// at compile time. Anything else goes through `Indexing.get`, as the plain form does.

extension Compiler {
    /// `c[i]`.
    func specialisedIndex(_ c: Expr, _ i: Expr, _ loc: SourceLoc) -> Eval {
        if case .literal(.string(let k), _) = i {
            let key = DictKey.string(k), hash = DictObject.hash(key), index = Value.string(k)
            // A dict in a local variable is read where it lies (see `IndexGet`).
            if case .name(let n, _) = c, !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured {
                let slot = l.slot
                return { fp in
                    if let v = (fp + slot).dictValue(key, hash: hash) { return v }
                    return try Indexing.get((fp + slot).load, index, loc)
                }
            }
            let ce = compileExpr(c)
            return { fp in
                let container = try ce(fp)
                if case .dict(let d) = container, let v = d.value(key, hash: hash) { return v }
                return try Indexing.get(container, index, loc)
            }
        }
        return withOperands(c, i, IndexGet(loc: loc)).run
    }
}

extension Compiler {
    /// The truth of `c[i]` as a condition (`if flags[k]`, `while seen[j]`) with `c` an
    /// uncaptured local, or nil. A list element's truth is read where it lies, with no copy of
    /// the element.
    func specialisedIndexTest(_ e: Expr) -> Test? {
        guard case .index(.name(let n, _), let i, let loc) = e, !fs.isTopLevel,
              let l = fs.lookupLocal(n), !l.captured else { return nil }
        if case .literal(.string, _) = i { return nil }
        return withOperands(.name(n, loc), i, IndexTruth(loc: loc)).run
    }
}

struct TestBox { let run: Test }

/// The truth of `c[i]`: the element's, read as `IndexGet` reads it.
struct IndexTruth: PairConsumer {
    let loc: SourceLoc
    func make<C: ArgumentCode, A: ArgumentCode>(_ c: C, _ i: A) -> TestBox {
        let loc = loc
        if let local = c as? LocalArgument {
            let slot = local.slot
            return TestBox { fp in
                let index = try i.value(fp)
                if case .int(let k) = index, let t = (fp + slot).listElementIsTruthy(k) { return t }
                if let v = (fp + slot).dictValue(index) { return v.isTruthy }
                return try Indexing.get((fp + slot).load, index, loc).isTruthy
            }
        }
        return TestBox { fp in
            let container = try c.value(fp), index = try i.value(fp)
            if case .list(let l) = container, case .int(let k) = index, k >= 0, k < l.count { return l.elementIsTruthy(k) }
            return try Indexing.get(container, index, loc).isTruthy
        }
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
        return l._withUnsafeGuaranteedRef { l in k >= 0 && k < l.count ? l.elementPreferringInt(k) : nil }
    }

    /// Whether element `k` of the list in this slot is truthy, when there is a list and `k` is
    /// in range (else nil), read through an unretained reference without copying the element.
    @inline(__always) func listElementIsTruthy(_ k: Int) -> Bool? {
        guard let l = unretainedList() else { return nil }
        return l._withUnsafeGuaranteedRef { l in k >= 0 && k < l.count ? l.elementIsTruthy(k) : nil }
    }

    /// Whether element `k` of the list in this slot is nil, when there is a list and `k` is in
    /// range; the element is not copied.
    @inline(__always) func listElementIsNil(_ k: Int) -> Bool? {
        guard let l = unretainedList() else { return nil }
        return l._withUnsafeGuaranteedRef { l in k >= 0 && k < l.count ? l.elementIsNil(k) : nil }
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
