import Synchronization

/// A request to stop the running script, settable from another thread or a signal handler
/// (lock-free atomics only). The interpreter checks it on every loop back-edge and call.
///
/// Native work that must stop only at its own boundaries (a training step, whose reward function
/// is script code) runs inside `holdingRequests`: a request made meanwhile is held (`isHeld`), not
/// seen by the script code it calls, and becomes an ordinary request when the work ends.
public final class InterruptFlag: Sendable {
    let raw = Atomic<Bool>(false)
    /// How many `holdingRequests` calls are running (they nest).
    private let holds = Atomic<Int>(0)
    private let held = Atomic<Bool>(false)
    public init() {}
    /// Ask the running script to stop with an "interrupted" error (held back while `holdingRequests` runs).
    public func request() {
        guard holds.load(ordering: .sequentiallyConsistent) > 0 else { raw.store(true, ordering: .sequentiallyConsistent); return }
        held.store(true, ordering: .sequentiallyConsistent)
        // The hold may have ended between the check and the store: then release the request here
        // (exactly one of this and the end of the hold sees `held` set).
        if holds.load(ordering: .sequentiallyConsistent) == 0, held.exchange(false, ordering: .sequentiallyConsistent) {
            raw.store(true, ordering: .sequentiallyConsistent)
        }
    }
    /// Clear a request that nobody consumed (a held one too).
    public func clear() {
        raw.store(false, ordering: .relaxed)
        held.store(false, ordering: .relaxed)
    }
    public var isRequested: Bool { raw.load(ordering: .relaxed) }
    /// A request arrived while `holdingRequests` runs and waits for it to end.
    public var isHeld: Bool { held.load(ordering: .relaxed) }

    /// Runs `body` with new requests held back from the code it runs; a held request becomes an
    /// ordinary one when `body` ends (the caller decides where to stop, then `checkInterrupt()` throws).
    public func holdingRequests<T>(_ body: () throws -> T) rethrows -> T {
        holds.add(1, ordering: .sequentiallyConsistent)
        defer {
            if holds.subtract(1, ordering: .sequentiallyConsistent).newValue == 0, held.exchange(false, ordering: .sequentiallyConsistent) {
                raw.store(true, ordering: .sequentiallyConsistent)
            }
        }
        return try body()
    }

    @inline(__always) func check(_ loc: SourceLoc) throws {
        if raw.load(ordering: .relaxed) {
            raw.store(false, ordering: .relaxed)
            throw Failure.interrupt(at: loc)
        }
    }
}
