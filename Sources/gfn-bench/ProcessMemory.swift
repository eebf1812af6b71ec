import Dispatch
import Foundation
import Glibc

/// The benchmark process's own memory, as the kernel counts it.
enum ProcessMemory {
    /// Resident bytes now (/proc/self/statm's second field × the page size); 0 if unreadable.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The most bytes ever resident (getrusage's ru_maxrss, in KiB on Linux).
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
    }

    /// "123.4 MB".
    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}

/// Best-of-5 read bandwidth over 512 MB (larger than any cache), one SIMD-sum worker per core: the
/// denominator of a memory-bound floor.
func readBandwidth() -> Double {
    let count = 128 << 20
    let buffer = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: count / 16)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: SIMD16(repeating: 1), count: count / 16)
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let chunk = count / 16 / workers
    nonisolated(unsafe) let p = buffer
    var bestTime = Double.infinity
    for _ in 0..<5 {
        let t = BenchTiming.time {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var a0 = SIMD16<Float>(repeating: 0), a1 = a0, a2 = a0, a3 = a0
                var i = w * chunk
                let end = i + chunk
                while i + 4 <= end {
                    a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3]
                    i += 4
                }
                if (a0 + a1 + a2 + a3).sum() == -1 { print("") }  // keeps the loads
            }
        }
        bestTime = min(bestTime, t)
    }
    return Double(workers * chunk * 64) / bestTime
}
