/// Mutable interpreter state that compiled closures reach through a pointer (no class
/// property access, so no exclusivity checks on the hot path).
struct VMState {
    var sp: Frame
    var end: Frame
    var depth: Int
    var maxDepth: Int
    /// Where a `return` leaves its value.
    let ret: Frame
    unowned(unsafe) let interpreter: Interpreter
    /// Unmanaged: reading an `unowned(unsafe)` class reference out of this struct costs a
    /// retain and a release, on every call. The interpreter owns the flag and outlives this state.
    let flag: Unmanaged<InterruptFlag>

    @inline(__always) func checkInterrupt(_ loc: SourceLoc) throws {
        try flag._withUnsafeGuaranteedRef { try $0.check(loc) }
    }
}
