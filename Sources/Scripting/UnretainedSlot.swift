// Reading the list or dict held in a frame slot without retaining it.
//
// Binding the object out of the slot (`case .list(let l) = slot.pointee`) retains it and
// releases it afterwards, even when the access goes on through an unretained reference: in
// fannkuch and the counting loops that pair was a tenth of the run. A multi-payload enum keeps
// every case's payload at its start, so a list or dict value holds its object's address in its
// first word; that is checked once on real values, and the binding is used if it ever differs.
//
// The check's result is a plain global set by `Interpreter.init`, not a lazy `static let`: a lazy
// global is read through `swift_once` on every access, which was 2% of fannkuch. Until an
// interpreter exists the flag is false, which takes the binding path (always correct).

enum ValueLayout {
    /// Whether `.list` and `.dict` values hold their object's address in their first word
    /// (set by `check()`).
    nonisolated(unsafe) private(set) static var referenceAtStart = false

    /// Checks the layout on real values and sets `referenceAtStart`. Every call computes the
    /// same answer, so interpreters made on several threads write the same value.
    static func check() {
        let l = ListObject.make(), d = DictObject()
        var a = Value.list(l), b = Value.dict(d)
        let pa = withUnsafeBytes(of: &a) { $0.load(as: UnsafeRawPointer.self) }
        let pb = withUnsafeBytes(of: &b) { $0.load(as: UnsafeRawPointer.self) }
        let atStart = MemoryLayout<Value>.size >= MemoryLayout<UnsafeRawPointer>.size
            && pa == UnsafeRawPointer(Unmanaged.passUnretained(l).toOpaque())
            && pb == UnsafeRawPointer(Unmanaged.passUnretained(d).toOpaque())
        if atStart != referenceAtStart { referenceAtStart = atStart }
    }
}

extension UnsafeMutablePointer where Pointee == Value {
    /// The list in this slot, unretained (the slot keeps it alive), or nil.
    @inline(__always) func unretainedList() -> Unmanaged<ListObject>? {
        guard case .list = pointee else { return nil }
        if ValueLayout.referenceAtStart { return UnsafeRawPointer(self).load(as: Unmanaged<ListObject>.self) }
        guard case .list(let l) = pointee else { return nil }
        return Unmanaged.passUnretained(l)
    }

    /// The dict in this slot, unretained (the slot keeps it alive), or nil.
    @inline(__always) func unretainedDict() -> Unmanaged<DictObject>? {
        guard case .dict = pointee else { return nil }
        if ValueLayout.referenceAtStart { return UnsafeRawPointer(self).load(as: Unmanaged<DictObject>.self) }
        guard case .dict(let d) = pointee else { return nil }
        return Unmanaged.passUnretained(d)
    }
}
