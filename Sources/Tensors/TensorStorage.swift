import Synchronization

/// The flat Float32 buffer behind one or more tensors (a tensor and its views share one storage).
///
/// Memory comes from `StoragePool`: large buffers are recycled instead of returned to the OS,
/// because a fresh 126 MB logits buffer costs ~30 000 page faults (~120 ms on this machine's VM)
/// each time it is first written, far more than the softmax or sgemm that fills it.
final class TensorStorage: @unchecked Sendable {
    let count: Int
    let base: UnsafeMutablePointer<Float>
    private let capacity: Int

    /// Uninitialized storage: every caller writes all `count` elements before reading.
    init(uninitializedCount count: Int) {
        self.count = count
        (base, capacity) = StoragePool.shared.allocate(count)
    }

    init(repeating value: Float, count: Int) {
        self.count = count
        (base, capacity) = StoragePool.shared.allocate(count)
        base.update(repeating: value, count: count)
    }

    deinit { StoragePool.shared.release(base, capacity: capacity) }
}

/// A cache of freed large buffers, keyed by size class, shared by all threads.
public final class StoragePool: Sendable {
    static let shared = StoragePool()

    /// Buffers smaller than this many floats (1 MiB) go straight to malloc, which is fast for them.
    static let minimumPooled = 1 << 18

    private struct State {
        var free: [Int: [UInt]] = [:]  // size class → addresses (plain integers, so the state is Sendable)
        var cachedBytes = 0
        var limitBytes = 2 << 30
    }

    private let state = Mutex(State())

    /// Rounds a large count up to a size class (at most 1/8 larger) so similar shapes share buffers.
    static func sizeClass(_ count: Int) -> Int {
        if count < minimumPooled { return Swift.max(count, 1) }
        var p = 1
        while p < count { p <<= 1 }
        let step = p / 8
        return (count + step - 1) / step * step
    }

    func allocate(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let capacity = StoragePool.sizeClass(count)
        if capacity >= StoragePool.minimumPooled {
            let reused = state.withLock { s -> UInt? in
                guard let p = s.free[capacity]?.popLast() else { return nil }
                s.cachedBytes -= capacity * 4
                return p
            }
            if let reused, let p = UnsafeMutablePointer<Float>(bitPattern: reused) { return (p, capacity) }
        }
        return (.allocate(capacity: capacity), capacity)
    }

    func release(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        if capacity >= StoragePool.minimumPooled {
            let address = UInt(bitPattern: pointer)
            let kept = state.withLock { s -> Bool in
                guard s.cachedBytes + capacity * 4 <= s.limitBytes else { return false }
                s.free[capacity, default: []].append(address)
                s.cachedBytes += capacity * 4
                return true
            }
            if kept { return }
        }
        pointer.deallocate()
    }

    /// Bytes held in freed buffers waiting for reuse, and the most it will hold (default 2 GiB).
    public static var cachedBytes: Int { shared.state.withLock { $0.cachedBytes } }

    /// Sets the most memory kept for reuse; 0 disables the cache. Excess cached buffers are freed.
    public static func setCacheLimit(bytes: Int) {
        let freed = shared.state.withLock { s -> [UInt] in
            s.limitBytes = Swift.max(0, bytes)
            var out: [UInt] = []
            for (cap, list) in s.free.sorted(by: { $0.key > $1.key }) where s.cachedBytes > s.limitBytes {
                var rest = list
                while s.cachedBytes > s.limitBytes, let p = rest.popLast() {
                    out.append(p)
                    s.cachedBytes -= cap * 4
                }
                s.free[cap] = rest
            }
            return out
        }
        for a in freed { UnsafeMutablePointer<Float>(bitPattern: a)?.deallocate() }
    }

    /// Frees every cached buffer.
    public static func emptyCache() {
        let freed = shared.state.withLock { s -> [UInt] in
            let all = s.free.values.flatMap { $0 }
            s.free = [:]
            s.cachedBytes = 0
            return all
        }
        for a in freed { UnsafeMutablePointer<Float>(bitPattern: a)?.deallocate() }
    }
}
