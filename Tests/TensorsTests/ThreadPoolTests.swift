import XCTest
import Glibc
import Dispatch
import Synchronization
import CKernels
@testable import Tensors

/// The kernels' fork-join pool (CKernels/thread_pool.c, behind `parallelChunks`): every index runs exactly once,
/// whoever calls it and however the calls nest or overlap.
final class ThreadPoolTests: XCTestCase {
    override func tearDown() {
        KernelThreads.set(cpuCount)
        super.tearDown()
    }

    /// How often each index of 0..<count was visited.
    private final class Visits: Sendable {
        let counts: Mutex<[Int]>
        init(_ count: Int) { counts = Mutex([Int](repeating: 0, count: count)) }
        func add(_ range: Range<Int>) { counts.withLock { for i in range { $0[i] += 1 } } }
        var all: [Int] { counts.withLock { $0 } }
    }

    private func visits(_ count: Int, work: Int = 1 << 30) -> [Int] {
        let hits = Visits(count)
        parallelChunks(count, work: work) { hits.add($0) }
        return hits.all
    }

    func testEveryIndexRunsOnceForAnyCountAndWorkerCount() {
        for workers in [1, 2, 3, 8] {
            KernelThreads.set(workers)
            for count in [1, 2, 3, 7, 16, 33, 1000] {
                XCTAssertEqual(visits(count), [Int](repeating: 1, count: count), "\(count) indices on \(workers) workers")
            }
        }
    }

    func testSmallWorkRunsOnTheCallingThread() {
        KernelThreads.set(4)
        let caller = pthread_self()
        let others = Atomic<Int>(0)
        parallelChunks(64, work: parallelThreshold - 1) { _ in
            if pthread_equal(pthread_self(), caller) == 0 { others.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(others.load(ordering: .relaxed), 0)
    }

    func testALoopInsideALoopRunsItsChunksOnItsOwnThread() {
        KernelThreads.set(2)
        let inner = Visits(8 * 16)
        parallelChunks(8, work: 1 << 30) { outer in
            for o in outer {
                parallelChunks(16, work: 1 << 30) { range in inner.add((o * 16 + range.lowerBound)..<(o * 16 + range.upperBound)) }
            }
        }
        XCTAssertEqual(inner.all, [Int](repeating: 1, count: 8 * 16))
    }

    func testCallsFromSeveralThreadsAtOnceEachCompleteWhole() {
        KernelThreads.set(2)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<300 {
                let count = 1 + (round * 7 + caller) % 40
                let hits = Visits(count)
                parallelChunks(count, work: 1 << 30) { hits.add($0) }
                if hits.all != [Int](repeating: 1, count: count) { failures.add(1, ordering: .relaxed) }
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }

    func testTheCallerTakesPartAndHelpersStartOnFirstUse() {
        KernelThreads.set(2)
        _ = visits(8)
        XCTAssertGreaterThanOrEqual(gfn_pool_workers(), 1)
        // A job of one chunk never waits for a helper.
        XCTAssertEqual(visits(1), [1])
    }
}
