import Foundation

/// Counts of values in bins, as matplotlib's `hist` and numpy's `histogram` compute them: bins are
/// half-open [e_i, e_i+1) except the last, which includes its right edge.
public struct Histogram: Equatable, Sendable {
    /// One more than `counts`.
    public let edges: [Double]
    /// Counts per bin, or densities (integrating to 1) when computed with `density: true`.
    public let counts: [Double]

    /// The most bins `.auto` will pick (Freedman–Diaconis can ask for millions on heavy-tailed data).
    public static let maxAutoBins = 1000

    public init(values: [Double], bins: Bins = .auto, range: ClosedRange<Double>? = nil, density: Bool = false) throws {
        try Validate.data(values, "hist: values")
        var lo = range?.lowerBound ?? values.min() ?? 0
        var hi = range?.upperBound ?? values.max() ?? 0
        if let r = range, !(r.lowerBound.isFinite && r.upperBound.isFinite) {
            throw PlotError.invalidArgument("hist: range", "must be finite, got \(r)")
        }
        let inRange = range == nil ? values : values.filter { $0 >= lo && $0 <= hi }
        if hi <= lo {
            // All values equal: numpy's convention, a unit-wide range centred on the value.
            lo -= 0.5
            hi += 0.5
        }
        let edges: [Double]
        switch bins {
        case .count(let n):
            guard n >= 1, n <= 1_000_000 else { throw PlotError.invalidArgument("hist: bins", "must be 1…1000000, got \(n)") }
            edges = (0...n).map { lo + (hi - lo) * Double($0) / Double(n) }
        case .edges(let e):
            guard e.count >= 2 else { throw PlotError.invalidArgument("hist: bins", "needs at least 2 edges, got \(e.count)") }
            try Validate.finite(e, "hist: bins")
            for i in 1..<e.count where !(e[i] > e[i - 1]) {
                throw PlotError.invalidArgument("hist: bins", "edges must increase; edge \(i) (\(e[i])) ≤ edge \(i - 1) (\(e[i - 1]))")
            }
            edges = e
        case .auto:
            let n = Histogram.autoBinCount(inRange, lo: lo, hi: hi)
            edges = (0...n).map { lo + (hi - lo) * Double($0) / Double(n) }
        }
        var counts = [Double](repeating: 0, count: edges.count - 1)
        let first = edges[0], last = edges[edges.count - 1]
        let uniform = { () -> Bool in
            if case .edges = bins { return false }
            return true
        }()
        let nb = counts.count
        let scale = Double(nb) / (last - first)
        for v in inRange where v >= first && v <= last {
            var i: Int
            if uniform {
                i = min(nb - 1, Int((v - first) * scale))
                // Guard against rounding at the edges: move to the bin that really holds v.
                while i > 0 && v < edges[i] { i -= 1 }
                while i < nb - 1 && v >= edges[i + 1] { i += 1 }
            } else {
                var a = 0, b = nb - 1
                while a < b {
                    let m = (a + b + 1) / 2
                    if edges[m] <= v { a = m } else { b = m - 1 }
                }
                i = a
            }
            counts[i] += 1
        }
        if density {
            let total = counts.reduce(0, +)
            if total > 0 {
                for i in 0..<nb { counts[i] /= total * (edges[i + 1] - edges[i]) }
            }
        }
        self.edges = edges
        self.counts = counts
    }

    /// numpy's "auto" rule: the smaller bin width of Sturges and Freedman–Diaconis (FD when the
    /// interquartile range is 0 falls back to Sturges), as a bin count over [lo, hi].
    static func autoBinCount(_ values: [Double], lo: Double, hi: Double) -> Int {
        let n = Double(values.count)
        guard n > 1, hi > lo else { return 1 }
        let sturgesWidth = (hi - lo) / (log2(n) + 1)
        var work = values
        // Linear-interpolated quantiles (numpy's default) by selection: O(n), no full sort.
        func quantile(_ q: Double) -> Double {
            let p = q * (n - 1)
            let i = Int(p.rounded(.down)), f = p - Double(i)
            Histogram.select(&work, i)
            guard i + 1 < work.count else { return work[i] }
            var next = work[i + 1]
            for j in (i + 1)..<work.count where work[j] < next { next = work[j] }
            return work[i] * (1 - f) + next * f
        }
        let iqr = quantile(0.75) - quantile(0.25)
        let fdWidth = 2 * iqr / cbrt(n)
        let width = fdWidth > 0 ? min(fdWidth, sturgesWidth) : sturgesWidth
        return max(1, min(maxAutoBins, Int(((hi - lo) / width).rounded(.up))))
    }
}

extension Histogram {
    /// Rearranges `a` so that a[k] is the k-th smallest value, smaller ones before it and larger after
    /// (Hoare's selection with a median-of-three pivot).
    static func select(_ a: inout [Double], _ k: Int) {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while pivot < a[j] { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }
}

/// Smoothing for noisy training curves.
public enum Smoothing {
    /// TensorBoard's smoothing: an exponential moving average with weight `weight` (0 is off, 0.99 is
    /// very smooth) divided by 1 − weightᵏ so the start is not pulled towards 0. A weight outside
    /// (0, 1) returns the values unchanged; non-finite values pass through without entering the average.
    public static func exponentialMovingAverage(_ ys: [Double], weight: Double) -> [Double] {
        guard weight > 0, weight < 1 else { return ys }
        var last = 0.0
        var k = 0.0
        return ys.map { y in
            guard y.isFinite else { return y }
            last = last * weight + (1 - weight) * y
            k += 1
            return last / (1 - pow(weight, k))
        }
    }
}
