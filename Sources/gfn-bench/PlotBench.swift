import ArgumentParser
import Foundation
import Plotting

/// `gfn-bench plot`: times a 100,000-point line plot and a 1-million-sample histogram, each rendered and
/// written as PNG. `--gallery DIR` writes every gallery figure instead.
struct PlotBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Time rendering + PNG writing of a 100k-point line plot and a 1M-sample histogram; or write the gallery."
    )

    @Option(help: "Write the plot gallery (every plot kind) into this directory and exit.")
    var gallery: String?

    @Option(help: "Repetitions per case (the best and the median are printed).")
    var repeats: Int = 5

    @Option(help: "Directory for the benchmark's PNG files.")
    var out: String = NSTemporaryDirectory()

    func run() throws {
        if let dir = gallery {
            let t0 = BenchTiming.now()
            let paths = try PlotGallery.write(to: dir)
            for p in paths { print(p) }
            print(String(format: "wrote %d figures in %.2f s", paths.count, BenchTiming.now() - t0))
            return
        }
        print("plot benchmark: 640×480 px, DejaVu Sans, \(repeats) repetitions, best and median wall time")
        print("load average before: \(BenchTiming.loadAverage()) (2 CPUs; figures above ~0.5 mean shared CPUs)")
        var state: UInt64 = 7
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        func normal() -> Double {
            (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * Double.pi * uniform())
        }
        var walk = 0.0
        let ys = (0..<100_000).map { _ -> Double in walk += normal(); return walk }
        let samples = (0..<1_000_000).map { _ in normal() }
        try time("line, 100,000 points", path: "bench_line.png") {
            let fig = try Figure(title: "100,000-point random walk")
            try fig.line(ys, LineOptions(label: "walk"))
            return fig
        }
        try time("hist, 1,000,000 samples, 100 bins", path: "bench_hist100.png") {
            let fig = try Figure(title: "1M normal samples")
            try fig.hist(samples, HistogramOptions(bins: .count(100)))
            return fig
        }
        try time("hist, 1,000,000 samples, auto bins", path: "bench_hist_auto.png") {
            let fig = try Figure(title: "1M normal samples")
            try fig.hist(samples)
            return fig
        }
    }

    private func time(_ name: String, path: String, _ make: () throws -> Figure) throws {
        var times: [Double] = []
        var bytes = 0
        let file = (out as NSString).appendingPathComponent(path)
        for _ in 0..<max(1, repeats) {
            let seconds = try BenchTiming.time {
                let fig = try make()
                try fig.save(file)
            }
            times.append(seconds * 1000)
            bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        }
        times.sort()
        print(String(format: "%-40@ best %8.1f ms   median %8.1f ms   (%d-byte PNG: %@)",
                     name as NSString, times[0], times[times.count / 2], bytes, file as NSString))
    }
}
