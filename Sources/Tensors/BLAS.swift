import CBLAS
import CKernels
import Synchronization

/// Facts about the loaded OpenBLAS and its thread count (for `gfn --version` and benchmarks).
public enum BLAS {
    /// The kernel set OpenBLAS picked for this CPU at load time, e.g. "Cooperlake".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string (version, threading, maximum threads).
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// Threads a BLAS call may use (by default one per core; OPENBLAS_NUM_THREADS overrides).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads BLAS calls may use (clamped to at least 1; OpenBLAS caps it at the core count).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, Swift.min(count, 1024))))
    }

    /// Runs `body` with BLAS limited to one thread, then restores the previous count. Kernels that
    /// call sgemm from several Swift threads at once use it: a multithreaded OpenBLAS called
    /// concurrently serializes its callers and spins (measured: fused attention forward went from
    /// 47 ms to 1 s). Another thread's BLAS call made meanwhile also runs on one thread.
    static func withOneThread<R>(if condition: Bool = true, _ body: () throws -> R) rethrows -> R {
        guard condition else { return try body() }
        // The first of overlapping callers saves the count and the last one restores it.
        oneThreadState.withLock { s in
            if s.depth == 0 {
                s.saved = openblas_get_num_threads()
                if s.saved > 1 { openblas_set_num_threads(1) }
            }
            s.depth += 1
        }
        defer {
            oneThreadState.withLock { s in
                s.depth -= 1
                if s.depth == 0 && s.saved > 1 { openblas_set_num_threads(s.saved) }
            }
        }
        return try body()
    }

    private static let oneThreadState = Mutex<(depth: Int, saved: Int32)>((0, 1))

    /// log2 of the cycles OpenBLAS's idle workers spin before sleeping: 4 unless OPENBLAS_THREAD_TIMEOUT
    /// says otherwise (CKernels' blas_threads.c sets it at load, so they leave the cores to our kernels);
    /// −1 when the loaded OpenBLAS has no worker threads.
    public static var threadTimeout: Int { Int(gfn_blas_thread_timeout()) }

    /// One line for version banners: "OpenBLAS (Zen kernels, 2 threads, idle workers sleep after 2^4 cycles)".
    public static var summary: String {
        let timeout = threadTimeout
        return "OpenBLAS (\(coreName) kernels, \(threadCount) threads"
            + (timeout >= 0 ? ", idle workers sleep after 2^\(timeout) cycles)" : ")")
    }
}

/// OpenBLAS 0.3.21 (interface/gemm.c) runs an sgemm of at most this many multiply-adds (m·n·k) on the
/// calling thread whatever its thread count: SMP_THRESHOLD_MIN 65536 × GEMM_MULTITHREAD_THRESHOLD 4.
let blasSingleThreadLimit = 65536 * 4
