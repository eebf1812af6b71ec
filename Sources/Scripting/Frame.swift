// A frame: the run of value-stack slots a function call uses for its arguments and locals,
// addressed by the slots the compiler resolved.

typealias Frame = UnsafeMutablePointer<Value>

extension UnsafeMutablePointer where Pointee == Value {
    /// The value in this slot. Ints and floats are matched in place: the general copy of a
    /// `Value` is an outlined call that switches on the case.
    @inline(__always) var load: Value {
        switch pointee {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        default: return pointee
        }
    }

    /// Replaces the value in this slot; a number, bool or nil there needs no release, so it is
    /// overwritten without the general (outlined) destroy.
    @inline(__always) func store(_ v: consuming Value) {
        switch pointee {
        case .null, .bool, .int, .float: initialize(to: v)
        default: pointee = v
        }
    }
}
