/// One callee called many times with one argument (map, filter, each): what kind of function
/// it is is looked at once, not per element.
struct Caller1 {
    /// Keeps the callee (and so the proto below) alive.
    let callee: Value
    /// The unretained proto when the callee is a plain script function of one parameter.
    let plain: UnsafeRawPointer?
    let st: UnsafeMutablePointer<VMState>
    let loc: SourceLoc

    init(_ callee: Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) {
        self.callee = callee
        if case .function(let f) = callee, f.proto.isPlain, f.proto.fastArity == 1 {
            plain = UnsafeRawPointer(Unmanaged.passUnretained(f.proto).toOpaque())
        } else {
            plain = nil
        }
        self.st = st
        self.loc = loc
    }

    @inline(__always) func callAsFunction(_ x: consuming Value) throws -> Value {
        if let raw = plain { return try Calls.callPlain1(raw, consume x, st: st, loc: loc) }
        return try Calls.call1(callee, consume x, st: st, loc: loc)
    }
}
