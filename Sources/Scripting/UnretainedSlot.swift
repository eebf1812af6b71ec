// Reading the list or dict held in a frame slot without retaining it.
//
// Binding the object out of the slot (`case .list(let l) = slot.pointee`) retains it and
// releases it afterwards, even when the access goes on through an unretained reference: in
// fannkuch and the counting loops that pair was a tenth of the run. A multi-payload enum keeps
// every case's payload at its start, so a list or dict value holds its object's address in its
// first word; that is checked on real values when an interpreter is made, and the binding is
// used until then or if it ever differs.

enum ValueLayout {
    /// Whether `.list` and `.dict` values are known to hold their object's address in their
    /// first word. A stored flag with a constant initial value, not a lazy `static let`: that
    /// one's initialisation check (`swift_once`) ran on every unretained read.
    @exclusivity(unchecked) nonisolated(unsafe) static var referenceAtStart = false

    /// Sets `referenceAtStart` when the layout holds (called when an interpreter is made).
    static func check() {
        if !referenceAtStart && verified { referenceAtStart = true }
    }

    private static var verified: Bool {
        let l = ListObject(), d = DictObject()
        var a = Value.list(l), b = Value.dict(d)
        let pa = withUnsafeBytes(of: &a) { $0.load(as: UnsafeRawPointer.self) }
        let pb = withUnsafeBytes(of: &b) { $0.load(as: UnsafeRawPointer.self) }
        return MemoryLayout<Value>.size >= MemoryLayout<UnsafeRawPointer>.size
            && pa == UnsafeRawPointer(Unmanaged.passUnretained(l).toOpaque())
            && pb == UnsafeRawPointer(Unmanaged.passUnretained(d).toOpaque())
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
