// A list's object and its elements in one allocation.
//
// A list made with its elements known (a literal, a pair from `enumerate`, a tree node) keeps
// them in storage allocated at the end of its own object: one allocation and one free per list
// instead of two (the object and an array buffer), which was a fifth of the instructions of
// programs that build many small lists (binary trees). A list that grows past that room, or
// that code wants as a Swift array (`items`: sorting, inserting, the libraries), moves its
// elements into an array once ("spills") and keeps them there from then on, so `items` costs at
// most the allocation that every list used to make.

/// Where a list's elements are: `count` of the `capacity` slots after the object, or `spill`.
public struct ListHeader {
    /// Elements in the inline slots; 0 once spilled.
    var count: Int
    /// Inline slots allocated with the object.
    let capacity: Int
    /// The elements as an array, once they no longer fit inline or an array was asked for.
    var spill: [Value]?
}

/// A mutable list, shared by reference.
///
/// The header and elements are reached through pointers, without the dynamic exclusivity check
/// that a class's stored properties get on every access (it costs more than the append or read
/// itself in a script's inner loop). The interpreter never runs script code while it holds an
/// in-place mutation of `items`, so accesses cannot overlap.
public final class ListObject: ManagedBuffer<ListHeader, Value> {
    /// Lists made from an array of more elements keep that array (copying would cost more than
    /// the allocation it saves).
    static let inlineFromArrayLimit = 8

    /// An empty list with room for `capacity` elements inline.
    @inline(__always) static func make(capacity: Int) -> ListObject {
        let b = create(minimumCapacity: capacity) { _ in ListHeader(count: 0, capacity: capacity, spill: nil) }
        return unsafeDowncast(b, to: ListObject.self)
    }

    /// A list of `items`.
    public static func make(_ items: [Value] = []) -> ListObject {
        let n = items.count
        if n > inlineFromArrayLimit {
            let l = make(capacity: 0)
            l.headerPointer.pointee.spill = items
            return l
        }
        let l = make(capacity: n)
        items.withUnsafeBufferPointer { copy($0.baseAddress, n, to: l.slots) }
        l.headerPointer.pointee.count = n
        return l
    }

    /// A new list of the same elements, inline when they fit as `make` keeps them.
    func copy() -> ListObject {
        let h = headerPointer
        if let s = h.pointee.spill { return ListObject.make(s) }
        let n = h.pointee.count
        let l = ListObject.make(capacity: n)
        ListObject.copy(slots, n, to: l.slots)
        l.headerPointer.pointee.count = n
        return l
    }

    /// Copies `n` values one by one: for a few elements this costs less than
    /// `initialize(from:count:)`'s generic array copy.
    @inline(__always) private static func copy(_ from: UnsafePointer<Value>?, _ n: Int, to: UnsafeMutablePointer<Value>) {
        guard let from else { return }
        var i = 0
        while i < n { (to + i).initialize(to: from[i]); i += 1 }
    }

    /// A list of one element.
    @inline(__always) static func make(_ a: Value) -> ListObject {
        let l = make(capacity: 1)
        l.slots.initialize(to: a)
        l.headerPointer.pointee.count = 1
        return l
    }

    /// A list of two elements.
    @inline(__always) static func make(_ a: Value, _ b: Value) -> ListObject {
        let l = make(capacity: 2)
        let p = l.slots
        p.initialize(to: a)
        (p + 1).initialize(to: b)
        l.headerPointer.pointee.count = 2
        return l
    }

    /// A list of three elements.
    @inline(__always) static func make(_ a: Value, _ b: Value, _ c: Value) -> ListObject {
        let l = make(capacity: 3)
        let p = l.slots
        p.initialize(to: a)
        (p + 1).initialize(to: b)
        (p + 2).initialize(to: c)
        l.headerPointer.pointee.count = 3
        return l
    }

    deinit {
        let h = headerPointer
        if h.pointee.spill != nil {
            var items: [Value]? = nil
            swap(&items, &h.pointee.spill)
            var array = items ?? []
            items = nil
            Teardown.release(&array)
        } else if h.pointee.count > 0 {
            let n = h.pointee.count
            h.pointee.count = 0
            Teardown.release(slots, count: n)
        }
    }

    /// The header, without an exclusivity check (the object outlives every use of the pointer).
    @inline(__always) private var headerPointer: UnsafeMutablePointer<ListHeader> {
        withUnsafeMutablePointerToHeader { $0 }
    }

    /// The first inline slot.
    @inline(__always) private var slots: UnsafeMutablePointer<Value> {
        withUnsafeMutablePointerToElements { $0 }
    }

    /// Moves inline elements into `spill` (with room for `minimumCapacity`), once.
    @inline(never) private func spillElements(minimumCapacity: Int = 0) {
        let h = headerPointer
        guard h.pointee.spill == nil else { return }
        let n = h.pointee.count
        let from = slots
        let array = [Value](unsafeUninitializedCapacity: Swift.max(n, minimumCapacity)) { buffer, count in
            if n > 0 { buffer.baseAddress!.moveInitialize(from: from, count: n) }
            count = n
        }
        h.pointee.count = 0
        h.pointee.spill = array
    }

    /// The elements, leaving the list empty (for `Teardown`).
    func takeItems() -> [Value] {
        spillElements()
        var out: [Value]? = nil
        swap(&out, &headerPointer.pointee.spill)
        return out ?? []
    }

    /// The elements as an array; a list kept inline moves them into one for good (see above).
    public var items: [Value] {
        get {
            spillElements()
            return headerPointer.pointee.spill ?? []
        }
        set {
            let h = headerPointer
            if h.pointee.spill == nil, h.pointee.count > 0 {
                let n = h.pointee.count
                h.pointee.count = 0
                Teardown.release(slots, count: n)
            }
            h.pointee.spill = newValue
        }
        _modify {
            spillElements()
            yield &headerPointer.pointee.spill!
        }
    }

    /// The elements as an array without spilling an inline list (a copy that script code run
    /// afterwards cannot change).
    func snapshot() -> [Value] {
        let h = headerPointer
        if let s = h.pointee.spill { return s }
        let n = h.pointee.count, from = slots
        return [Value](unsafeUninitializedCapacity: n) { buffer, count in
            if n > 0 { ListObject.copy(from, n, to: buffer.baseAddress!) }
            count = n
        }
    }

    // Element access without copying an array out (hot paths). Callers check the index.

    @inline(__always) var count: Int {
        let h = headerPointer
        if let s = h.pointee.spill { return s.count }
        return h.pointee.count
    }

    @inline(__always) func element(_ i: Int) -> Value {
        let h = headerPointer
        if h.pointee.spill != nil { return h.pointee.spill.unsafelyUnwrapped[i] }
        assert(i >= 0 && i < h.pointee.count)
        return slots[i]
    }

    /// `element(i)` for int-heavy code (the specialiser's reads of a list in a local): an int is
    /// rebuilt from its payload, not copied by the general (outlined) `Value` copy; any other
    /// element costs an extra copy and destroy, so the general paths use `element`.
    @inline(__always) func elementPreferringInt(_ i: Int) -> Value {
        let h = headerPointer
        if h.pointee.spill != nil {
            return h.pointee.spill.unsafelyUnwrapped.withUnsafeBufferPointer { ListObject.readPreferringInt($0.baseAddress.unsafelyUnwrapped + i) }
        }
        assert(i >= 0 && i < h.pointee.count)
        return ListObject.readPreferringInt(slots + i)
    }

    @inline(__always) private static func readPreferringInt(_ p: UnsafePointer<Value>) -> Value {
        if case .int(let x) = p.pointee { return .int(x) }
        return p.pointee
    }

    /// Whether element `i` is truthy, without copying it out.
    @inline(__always) func elementIsTruthy(_ i: Int) -> Bool {
        let h = headerPointer
        if h.pointee.spill != nil { return h.pointee.spill.unsafelyUnwrapped.withUnsafeBufferPointer { $0[i].isTruthy } }
        return slots[i].isTruthy
    }

    @inline(__always) func elementIsNil(_ i: Int) -> Bool {
        let h = headerPointer
        if h.pointee.spill != nil { return h.pointee.spill.unsafelyUnwrapped.withUnsafeBufferPointer { $0[i].isNil } }
        return slots[i].isNil
    }

    /// A number, bool or nil being replaced needs no release, so it is overwritten without the
    /// general (outlined) destroy, as `Frame.store` does.
    @inline(__always) func setElement(_ i: Int, _ v: Value) {
        let h = headerPointer
        if h.pointee.spill != nil {
            h.pointee.spill!.withUnsafeMutableBufferPointer { ListObject.write($0.baseAddress.unsafelyUnwrapped + i, v) }
            return
        }
        assert(i >= 0 && i < h.pointee.count)
        ListObject.write(slots + i, v)
    }

    @inline(__always) private static func write(_ p: UnsafeMutablePointer<Value>, _ v: Value) {
        switch p.pointee {
        case .null, .bool, .int, .float: p.initialize(to: v)
        default: p.pointee = v
        }
    }

    @inline(__always) func append(_ v: Value) {
        let h = headerPointer
        if h.pointee.spill == nil {
            let n = h.pointee.count
            if n < h.pointee.capacity {
                (slots + n).initialize(to: v)
                h.pointee.count = n + 1
                return
            }
            spillElements(minimumCapacity: Swift.max(4, 2 * n))
        }
        h.pointee.spill!.append(v)
    }
}
