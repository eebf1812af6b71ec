import Foundation

/// How an axis maps data to position.
public enum AxisScale: String, Sendable, CaseIterable {
    case linear
    /// Base-10 logarithmic; every value on such an axis must be > 0.
    case log

    /// "linear" or "log".
    public init(parsing s: String) throws {
        guard let v = AxisScale(rawValue: s.lowercased()) else {
            throw PlotError.invalidArgument("scale", "unknown axis scale '\(s)'; use \"linear\" or \"log\"")
        }
        self = v
    }

    func forward(_ v: Double) -> Double { self == .log ? log10(v) : v }
    func inverse(_ v: Double) -> Double { self == .log ? pow(10, v) : v }
}

/// A tick on an axis: its data value, its label (empty for minor ticks) and whether it is major.
struct Tick {
    var value: Double
    var label: [TextRun]
    var major: Bool
}

/// Tick placement and labels: matplotlib's MaxNLocator ("nice" steps 1, 2, 2.5, 5, 10 times a power of
/// ten, at most `maxIntervals` intervals) and a formatter that writes the fewest decimals that tell
/// the ticks apart.
public enum TickLocator {
    static let steps: [Double] = [1, 2, 2.5, 5, 10]

    /// Nice tick values inside [lo, hi] with at most `maxIntervals` intervals between them.
    public static func linear(lo: Double, hi: Double, maxIntervals: Int) -> [Double] {
        let a = min(lo, hi), b = max(lo, hi)
        guard a.isFinite, b.isFinite, b > a, (b - a).isFinite, b - a > 1e-13 * max(abs(a), abs(b)) else {
            return a.isFinite ? [a] : []
        }
        let n = min(1000, max(1, maxIntervals))
        let raw = (b - a) / Double(n)
        let mag = pow(10, (log10(raw)).rounded(.down))
        var chosen: [Double] = []
        for s in steps {
            let step = s * mag
            let first = (a / step - 1e-9).rounded(.up)
            let last = (b / step + 1e-9).rounded(.down)
            if last - first <= Double(n) {
                // k·s/10ⁿ rather than k·(s·10⁻ⁿ): 3 × 2 / 10 is exactly 0.6, 3 × 0.2 is not.
                let inv = (1 / mag).rounded()
                chosen = stride(from: first, through: last, by: 1).map { k -> Double in
                    let v = mag < 1 ? k * s / inv : k * step
                    return abs(v) < step * 1e-9 ? 0 : v
                }
                break
            }
        }
        return chosen
    }

    /// Tick labels for evenly spaced linear ticks. Magnitudes from 10⁶ up or below 10⁻⁴ are written as mantissas with
    /// one shared exponent (the second result, drawn once at the end of the axis as ×10ⁿ).
    public static func labels(for values: [Double]) -> (labels: [String], exponent: Int?) {
        guard !values.isEmpty else { return ([], nil) }
        let maxAbs = values.map { abs($0) }.max() ?? 0
        var exponent: Int? = nil
        var scaled = values
        if maxAbs > 0 {
            let e = Int(log10(maxAbs).rounded(.down))
            // matplotlib's axes.formatter.limits (-5, 6): offsets below 1e-4 and from 1e6 up.
            if e >= 6 || e <= -5 {
                exponent = e
                let f = pow(10, Double(e))
                scaled = values.map { $0 / f }
            }
        }
        var decimals = 0
        while decimals < 12 {
            let f = pow(10, Double(decimals))
            let ok = scaled.allSatisfy { v in
                let x = v * f
                return abs(x - x.rounded()) < 1e-6 * max(1, abs(x))
            }
            if ok { break }
            decimals += 1
        }
        let labels = scaled.map { v -> String in
            var s = String(format: "%.\(decimals)f", v)
            if s.hasPrefix("-") {
                // "-0.0" reads as zero; a real minus sign (U+2212) as matplotlib draws it.
                if Double(s) == 0 { s.removeFirst() } else { s = "\u{2212}" + s.dropFirst() }
            }
            return s
        }
        return (labels, exponent)
    }

    /// Major decade ticks (every `every` decades) and minor ticks at 2…9 × 10ᵏ for a log axis.
    static func log(lo: Double, hi: Double, maxIntervals: Int) -> [Tick] {
        let a = min(lo, hi), b = max(lo, hi)
        guard a > 0, b > 0, a.isFinite, b.isFinite else { return [] }
        let e0 = Int(log10(a).rounded(.down)), e1 = Int(log10(b).rounded(.up))
        let decades = max(1, e1 - e0)
        let need = max(1, Int((Double(decades) / Double(max(1, maxIntervals))).rounded(.up)))
        let every = [1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 250, 500].first { $0 >= need } ?? need
        var ticks: [Tick] = []
        for e in e0...e1 {
            let v = pow(10, Double(e))
            let inside = v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)
            if e % every == 0 && inside {
                ticks.append(Tick(value: v, label: powerLabel(e), major: true))
            }
            if every == 1 && decades <= 12 {
                for m in 2...9 {
                    let w = Double(m) * v
                    if w >= a && w <= b { ticks.append(Tick(value: w, label: [], major: false)) }
                }
            }
        }
        // Less than two decades marked inside the range: label the 1…9 × 10ᵏ ticks with plain numbers.
        if ticks.filter(\.major).count < 2 {
            let values = ticks.map(\.value) + ticks.filter(\.major).map(\.value)
            let all = Array(Set(values)).sorted()
            let labelEvery = max(1, Int((Double(all.count) / Double(max(1, maxIntervals))).rounded(.up)))
            ticks = all.enumerated().map { i, v in
                let major = i % labelEvery == 0
                return Tick(value: v, label: major ? [TextRun(text: plain(v))] : [], major: major)
            }
        }
        return ticks.sorted { $0.value < $1.value }
    }

    /// "10" with a raised exponent, as matplotlib's log axis labels.
    static func powerLabel(_ e: Int) -> [TextRun] {
        let exp = e < 0 ? "\u{2212}\(-e)" : "\(e)"
        return [TextRun(text: "10"), TextRun(text: exp, scale: 0.7, rise: 0.42)]
    }

    static func plain(_ v: Double) -> String {
        if v >= 1, v < 1e6, v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.6g", v)
        if s.contains("e") { return s }
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}
