import CKernels
import Glibc
import Synchronization

/// A value the compiler cannot prove Sendable (a raw pointer) handed to concurrent workers that
/// write disjoint ranges.
package struct UncheckedSendable<T>: @unchecked Sendable {
    package let value: T
    package init(_ value: T) { self.value = value }
}

/// How many threads the Swift kernels (elementwise, softmax, norms, AdamW) split large work
/// across. BLAS threads are separate (`BLAS.setThreadCount`).
public enum KernelThreads {
    private static let workers = Atomic<Int>(cpuCount)

    /// Current worker count (default: the number of online CPUs).
    public static var count: Int { workers.load(ordering: .relaxed) }

    /// Sets the worker count (at least 1); 1 runs every kernel on the calling thread.
    public static func set(_ count: Int) {
        workers.store(Swift.max(1, count), ordering: .relaxed)
    }
}

/// Below this many elements of work a kernel runs on the calling thread: waking workers costs
/// ~10–20 µs, which only pays off for large, memory-bound loops (see `gfn-bench tensor`'s
/// threads table).
let parallelThreshold = 1 << 18

/// Runs `body(range)` over `0..<count` split into chunks on all workers when `work` (≈ elements
/// touched) is large, else once on the calling thread.
@inline(__always)
package func parallelChunks(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = KernelThreads.count
    if work < parallelThreshold || workers < 2 || count < 2 {
        body(0..<count)
        return
    }
    let chunks = Swift.min(count, workers * 4)
    // CKernels' pool (thread_pool.c) rather than Dispatch's concurrentPerform: its workers spin between
    // the loops of a forward pass instead of waking from sleep for each one.
    withoutActuallyEscaping(body) { body in
        var job = ChunkedJob(count: count, chunks: chunks, body: body)
        withUnsafeMutablePointer(to: &job) { pointer in
            gfn_pool_run(chunks, Int32(Swift.min(workers, Int(Int32.max))), { context, c in
                guard let job = context?.assumingMemoryBound(to: ChunkedJob.self).pointee else { return }
                let lo = job.count * c / job.chunks, hi = job.count * (c + 1) / job.chunks
                if lo < hi { job.body(lo..<hi) }
            }, pointer)
        }
    }
}

/// One `parallelChunks` call as the pool's C tasks see it: chunk c covers [count·c/chunks, count·(c+1)/chunks).
private struct ChunkedJob {
    let count: Int
    let chunks: Int
    let body: @Sendable (Range<Int>) -> Void
}

/// Like `parallelChunks`, but `body` always gets the same pieces, `piece` elements each (the last one
/// shorter), whatever the worker count: for bodies whose results depend on the piece's size (an sgemm
/// over a column range sums in an order that follows its shape), so the thread count cannot change a bit.
package func parallelFixedPieces(_ count: Int, piece: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let size = Swift.max(1, piece)
    let pieces = (count + size - 1) / size
    parallelChunks(pieces, work: work) { range in
        for p in range { body((p * size)..<Swift.min(count, (p + 1) * size)) }
    }
}

let cpuCount: Int = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
