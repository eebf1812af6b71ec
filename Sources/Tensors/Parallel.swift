import Dispatch
import Glibc

/// A value the compiler cannot prove Sendable (a raw pointer) handed to concurrent workers that
/// write disjoint ranges.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Below this many elements of work a kernel runs on the calling thread: splitting costs
/// about 10–20 µs, which only pays off for large, memory-bound loops.
let parallelThreshold = 1 << 18

/// Runs `body(range)` over `0..<count` split into chunks on all cores when `work` (≈ elements
/// touched) is large, else once on the calling thread.
@inline(__always)
func parallelChunks(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = cpuCount
    if work < parallelThreshold || workers < 2 || count < 2 {
        body(0..<count)
        return
    }
    let chunks = Swift.min(count, workers * 4)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = count * c / chunks, hi = count * (c + 1) / chunks
        if lo < hi { body(lo..<hi) }
    }
}

let cpuCount: Int = {
    #if os(Linux)
    return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 1
    #endif
}()
