// Reading the list or dict held in a frame slot without retaining it.
//
// Binding the object out of the slot (`case .list(let l) = slot.pointee`) retains it and
// releases it afterwards, even when the access goes on through an unretained reference: in
// fannkuch and the counting loops that pair was a tenth of the run. A multi-payload enum keeps
// every case's payload at its start, so a list or dict value holds its object's address in its
// first word; that is checked once on real values, and the binding is used if it ever differs.

enum ValueLayout {
    /// Whether `.list` and `.dict` values hold their object's address in their first word.
    static let referenceAtStart: Bool = {
        let l = ListObject.make(), d = DictObject()
        var a = Value.list(l), b = Value.dict(d)
        let pa = withUnsafeBytes(of: &a) { $0.load(as: UnsafeRawPointer.self) }
        let pb = withUnsafeBytes(of: &b) { $0.load(as: UnsafeRawPointer.self) }
        return MemoryLayout<Value>.size >= MemoryLayout<UnsafeRawPointer>.size
            && pa == UnsafeRawPointer(Unmanaged.passUnretained(l).toOpaque())
            && pb == UnsafeRawPointer(Unmanaged.passUnretained(d).toOpaque())
    }()
}

// `atStart` is `ValueLayout.referenceAtStart`, read by the caller when it compiles the access:
// reading the global on every access cost a `swift_once` call each time.
extension UnsafeMutablePointer where Pointee == Value {
    /// The list in this slot, unretained (the slot keeps it alive), or nil.
    @inline(__always) func unretainedList(_ atStart: Bool) -> Unmanaged<ListObject>? {
        guard case .list = pointee else { return nil }
        if atStart { return UnsafeRawPointer(self).load(as: Unmanaged<ListObject>.self) }
        guard case .list(let l) = pointee else { return nil }
        return Unmanaged.passUnretained(l)
    }

    /// The dict in this slot, unretained (the slot keeps it alive), or nil.
    @inline(__always) func unretainedDict(_ atStart: Bool) -> Unmanaged<DictObject>? {
        guard case .dict = pointee else { return nil }
        if atStart { return UnsafeRawPointer(self).load(as: Unmanaged<DictObject>.self) }
        guard case .dict(let d) = pointee else { return nil }
        return Unmanaged.passUnretained(d)
    }
}
