import Foundation

/// The data range an axis shows; `lo` maps to the left or bottom edge, so lo > hi flips the axis
/// (heatmaps put row 0 at the top).
struct AxisRange: Equatable {
    var lo: Double
    var hi: Double
}

/// Data extents collected from the series for one axis, with matplotlib's "sticky edges": values such as
/// a bar's baseline that the 5 % margin must not cross.
private struct Extent {
    var lo = Double.infinity
    var hi = -Double.infinity
    var sticky: [Double] = []
    var inverted = false

    mutating func add(_ v: Double) {
        if v < lo { lo = v }
        if v > hi { hi = v }
    }

    mutating func add(_ vs: [Double]) { for v in vs { add(v) } }
}

extension Axes {
    /// Checks that nothing on a log axis is ≤ 0.
    private func checkLog(_ values: [Double], axis: String, scale: AxisScale, series: String) throws {
        guard scale == .log else { return }
        if let bad = values.first(where: { $0 <= 0 }) {
            throw PlotError.nonPositiveOnLogAxis(axis: axis, series: series, value: bad)
        }
    }

    /// The x and y ranges to draw: the user's limits, or the data's with margins.
    func resolveLimits() throws -> (x: AxisRange, y: AxisRange) {
        var ex = Extent(), ey = Extent()
        let xl = xScale == .log, yl = yScale == .log
        for element in elements {
            switch element {
            case .line(let l):
                try checkLog(l.x, axis: "x", scale: xScale, series: "line '\(l.name)'")
                try checkLog(l.y, axis: "y", scale: yScale, series: "line '\(l.name)'")
                ex.add(l.x); ey.add(l.y)
            case .scatter(let s):
                try checkLog(s.x, axis: "x", scale: xScale, series: "scatter '\(s.name)'")
                try checkLog(s.y, axis: "y", scale: yScale, series: "scatter '\(s.name)'")
                ex.add(s.x); ey.add(s.y)
            case .bars(let b):
                try checkLog(b.left + b.right, axis: "x", scale: xScale, series: "\(b.isHistogram ? "hist" : "bar") '\(b.name)'")
                ex.add(b.left); ex.add(b.right)
                if yl {
                    // Bars from 0 are clipped at the bottom of a log axis; bars not above 0 draw nothing, and
                    // so does an all-empty histogram (a model with no valid answer is a result, not an error).
                    ey.add(b.top.filter { $0 > 0 })
                    ey.add(b.bottom.filter { $0 > 0 })
                } else {
                    ey.add(b.bottom); ey.add(b.top)
                    ey.sticky += b.bottom
                }
            case .fill(let f):
                try checkLog(f.x, axis: "x", scale: xScale, series: "fillBetween '\(f.name)'")
                try checkLog(f.lower + f.upper, axis: "y", scale: yScale, series: "fillBetween '\(f.name)'")
                ex.add(f.x); ey.add(f.lower); ey.add(f.upper)
            case .reference(let r):
                let name = r.horizontal ? "hline" : "vline"
                try checkLog([r.value], axis: r.horizontal ? "y" : "x", scale: r.horizontal ? yScale : xScale, series: name)
                if r.horizontal { ey.add(r.value) } else { ex.add(r.value) }
            case .errorBars(let e):
                try checkLog(e.x, axis: "x", scale: xScale, series: "errorBar '\(e.name)'")
                try checkLog(e.y, axis: "y", scale: yScale, series: "errorBar '\(e.name)'")
                for i in e.x.indices {
                    let dx = e.xErr?[i] ?? 0, dy = e.yErr?[i] ?? 0
                    ex.add(e.x[i] + dx); ey.add(e.y[i] + dy)
                    // Error bars reaching ≤ 0 on a log axis are cut at the axis edge.
                    if !xl || e.x[i] - dx > 0 { ex.add(e.x[i] - dx) }
                    if !yl || e.y[i] - dy > 0 { ey.add(e.y[i] - dy) }
                }
            case .heatmap(let h):
                if xl || yl {
                    throw PlotError.invalidArgument("heatmap", "cannot be drawn on a log axis; set xScale and yScale to .linear")
                }
                let cols = Double(h.matrix[0].count), rows = Double(h.matrix.count)
                ex.add([-0.5, cols - 0.5]); ey.add([-0.5, rows - 0.5])
                ex.sticky += [-0.5, cols - 0.5]; ey.sticky += [-0.5, rows - 0.5]
                ey.inverted = true
            case .text:
                break
            }
        }
        let x = try finish(ex, scale: xScale, fixed: xLimits, axis: "x")
        let y = try finish(ey, scale: yScale, fixed: yLimits, axis: "y")
        return (x, y)
    }

    private func finish(_ e: Extent, scale: AxisScale, fixed: ClosedRange<Double>?, axis: String) throws -> AxisRange {
        if let f = fixed {
            guard f.lowerBound.isFinite, f.upperBound.isFinite, f.upperBound > f.lowerBound else {
                throw PlotError.invalidArgument("\(axis)Limits", "need finite limits with lower < upper, got \(f)")
            }
            if scale == .log && f.lowerBound <= 0 {
                throw PlotError.nonPositiveOnLogAxis(axis: axis, series: "\(axis)Limits", value: f.lowerBound)
            }
            let a = scale.forward(f.lowerBound), b = scale.forward(f.upperBound)
            guard b - a > 1e-12 * max(abs(a), abs(b)), (b - a).isFinite else {
                throw PlotError.invalidArgument("\(axis)Limits", "\(f) is too narrow or too wide to draw")
            }
            return e.inverted ? AxisRange(lo: f.upperBound, hi: f.lowerBound) : AxisRange(lo: f.lowerBound, hi: f.upperBound)
        }
        guard e.lo <= e.hi else {
            return scale == .log ? AxisRange(lo: 1, hi: 10) : AxisRange(lo: 0, hi: 1)
        }
        // Keep spans and margins finite even for data near ±Double.greatestFiniteMagnitude.
        let bound = Double.greatestFiniteMagnitude / 8
        var lo = min(max(scale.forward(e.lo), -bound), bound), hi = min(max(scale.forward(e.hi), -bound), bound)
        if hi - lo < 1e-12 * max(1, abs(lo)) {
            // One value: widen around it like matplotlib's nonsingular limits.
            let d = lo == 0 ? 0.5 : abs(lo) * 0.05
            lo -= d
            hi += d
        }
        let margin = (hi - lo) * 0.05
        var mlo = lo - margin, mhi = hi + margin
        for s in e.sticky where !(scale == .log && s <= 0) {
            let t = scale.forward(s)
            if t > mlo && t <= lo { mlo = t }
            if t < mhi && t >= hi { mhi = t }
        }
        if scale == .log {
            // 10^±307 is the widest a log axis can show in doubles.
            mlo = max(mlo, -307)
            mhi = min(mhi, 307)
        }
        let a = scale.inverse(mlo), b = scale.inverse(mhi)
        return e.inverted ? AxisRange(lo: b, hi: a) : AxisRange(lo: a, hi: b)
    }
}

/// Maps data values on one axis to pixel positions.
struct AxisMap {
    let range: AxisRange
    let scale: AxisScale
    /// Pixel positions of range.lo and range.hi.
    let p0: Double
    let p1: Double

    func callAsFunction(_ v: Double) -> Double {
        if scale == .log && v <= 0 {
            // Beyond the low edge (bars from 0 on a log axis); the clip box trims it.
            return p0 - (p1 - p0) * 10
        }
        let a = scale.forward(range.lo), b = scale.forward(range.hi)
        let p = p0 + (scale.forward(v) - a) / (b - a) * (p1 - p0)
        // Points far outside the view are pulled in to ±10⁹ px so later pixel arithmetic stays finite.
        return p.isNaN ? p0 : min(max(p, -1e9), 1e9)
    }

    func contains(_ v: Double) -> Bool {
        let a = min(range.lo, range.hi), b = max(range.lo, range.hi)
        return v >= a - 1e-9 * abs(b - a) && v <= b + 1e-9 * abs(b - a)
    }
}
