import ArgumentParser
import ProcessGroups

/// `mpirun -np N gfn-bench allreduce`: the time of summing a gradient of each size across the
/// ranks (what a data-parallel step adds to its compute), median of `repeats` after a warm-up.
/// Rank 0 prints; without mpirun it measures the group of one (no communication).
struct AllreduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Allreduce (sum) time of float32 gradients of several sizes; run under mpirun -np N.")

    /// 1,843,200 and 6,291,456: LoRA r 16 on q, k, v, o of SmolLM2-135M and of SmolLM2-1.7B (docs/scaling.md).
    @Option(help: "Float32 element counts, comma-separated.")
    var floats = "1000,100000,1843200,6291456"

    @Option(help: "Timed repetitions per size.")
    var repeats = 20

    mutating func run() throws {
        let group = try ProcessGroup.start()
        defer { group.finalize() }
        let sizes = floats.split(separator: ",").compactMap { Int($0) }
        if group.isPrimary {
            print("allreduce (sum) of float32 across \(group.size) ranks (\(group.localSize) on this machine); median of \(repeats); load \(BenchTiming.loadAverage())")
            print("floats       MB      median ms   min ms    GB/s (bytes / median)")
        }
        for n in sizes {
            var values = [Float](repeating: 1, count: n)
            try group.allreduceSum(&values)  // warm-up: connections, buffers
            var times: [Double] = []
            for _ in 0..<repeats {
                try group.barrier()
                let t = BenchTiming.time { try? group.allreduceSum(&values) }
                var slowest = [t]
                try group.allreduceMax(&slowest)
                times.append(slowest[0])
            }
            times.sort()
            let median = times[times.count / 2], bytes = Double(n * 4)
            if group.isPrimary {
                print(String(format: "%-10d %7.2f  %9.3f  %8.3f  %6.2f", n, bytes / 1e6, median * 1e3, times[0] * 1e3, bytes / median / 1e9))
            }
        }
    }
}
