/// One plot area of a figure: its series, labels, scales and legend. Series are added by method calls
/// that validate their data at once and throw `PlotError` with the argument at fault; drawing happens
/// when the figure renders.
public final class Axes {
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var xScale: AxisScale = .linear
    public var yScale: AxisScale = .linear
    /// Fixed limits; nil autoscales to the data with 5 % margins (bars and histograms start at 0).
    public var xLimits: ClosedRange<Double>?
    public var yLimits: ClosedRange<Double>?
    /// Light grid lines at the major ticks.
    public var grid: Bool = true
    public var legend: LegendPlacement = .best

    var elements: [Element] = []
    private var cycleIndex = 0
    /// Ticks fixed by categories or by `setXTicks`/`setYTicks`: (value, label) pairs.
    var xTickOverride: [(Double, String)]?
    var yTickOverride: [(Double, String)]?

    static func categoryTicks(_ c: [String]?) -> [(Double, String)]? {
        c.map { $0.enumerated().map { (Double($0.offset), $0.element) } }
    }

    /// Sets `xLimits` from two numbers, checking them (a binding's `xlim: [lo, hi]`); nil, nil autoscales.
    public func setXLimits(_ lo: Double?, _ hi: Double?) throws {
        xLimits = try Axes.checkedRange(lo, hi, "xLimits")
    }

    public func setYLimits(_ lo: Double?, _ hi: Double?) throws {
        yLimits = try Axes.checkedRange(lo, hi, "yLimits")
    }

    /// lo…hi from untrusted numbers: both nil gives nil; otherwise both finite with lo < hi.
    public static func checkedRange(_ lo: Double?, _ hi: Double?, _ name: String) throws -> ClosedRange<Double>? {
        if lo == nil && hi == nil { return nil }
        guard let a = lo, let b = hi, a.isFinite, b.isFinite, a < b else {
            throw PlotError.invalidArgument(name, "needs two finite numbers lo < hi, got \(lo.map { "\($0)" } ?? "nil") and \(hi.map { "\($0)" } ?? "nil")")
        }
        return a...b
    }

    /// Fixed x ticks at `values`, labelled with `labels` (default: the values, formatted). Labels
    /// that do not fit side by side turn upright, then thin out.
    public func setXTicks(_ values: [Double], labels: [String]? = nil) throws {
        xTickOverride = try Axes.explicitTicks(values, labels, "setXTicks")
    }

    public func setYTicks(_ values: [Double], labels: [String]? = nil) throws {
        yTickOverride = try Axes.explicitTicks(values, labels, "setYTicks")
    }

    private static func explicitTicks(_ values: [Double], _ labels: [String]?, _ name: String) throws -> [(Double, String)] {
        try Validate.finite(values, "\(name): values")
        if let labels, labels.count != values.count {
            throw PlotError.lengthMismatch("\(name): labels", labels.count, "\(name): values", values.count)
        }
        let text = labels ?? TickLocator.labels(for: values).labels
        return Array(zip(values, text))
    }

    public init() {}

    /// All series added so far, in drawing order.
    public var seriesCount: Int { elements.count }

    private func nextColor(_ requested: Color?) -> Color {
        if let c = requested { return c }
        let c = Color.tab10[cycleIndex % Color.tab10.count]
        cycleIndex += 1
        return c
    }

    private static func indices(_ n: Int) -> [Double] { (0..<n).map(Double.init) }

    // MARK: Series

    /// A line through (x[i], y[i]); x defaults to 0, 1, 2, ….
    public func line(_ y: [Double], x: [Double]? = nil, _ options: LineOptions = LineOptions()) throws {
        try Validate.data(y, "line: y")
        let xs = x ?? Axes.indices(y.count)
        try Validate.data(xs, "line: x")
        try Validate.sameLength(xs, "line: x", y, "line: y")
        try options.validate()
        let color = nextColor(options.color)
        let name = options.label ?? "line"
        if options.smoothing > 0 {
            let smooth = Smoothing.exponentialMovingAverage(y, weight: options.smoothing)
            if options.showRaw {
                var raw = options
                raw.label = nil
                raw.marker = .none
                raw.alpha = options.alpha * 0.25
                elements.append(.line(LineElement(x: xs, y: y, color: color, options: raw, name: name)))
            }
            elements.append(.line(LineElement(x: xs, y: smooth, color: color, options: options, name: name)))
        } else {
            elements.append(.line(LineElement(x: xs, y: y, color: color, options: options, name: name)))
        }
    }

    public func scatter(x: [Double], y: [Double], _ options: ScatterOptions = ScatterOptions()) throws {
        try Validate.data(x, "scatter: x")
        try Validate.data(y, "scatter: y")
        try Validate.sameLength(x, "scatter: x", y, "scatter: y")
        try options.validate()
        var range: (Double, Double)? = nil
        if let v = options.values {
            try Validate.data(v, "scatter: values")
            try Validate.sameLength(v, "scatter: values", x, "scatter: x")
            let lo = options.vmin ?? v.min() ?? 0, hi = options.vmax ?? v.max() ?? 1
            guard lo.isFinite, hi.isFinite, lo <= hi else {
                throw PlotError.invalidArgument("scatter: vmin/vmax", "need finite vmin ≤ vmax, got \(lo) and \(hi)")
            }
            range = (lo, hi)
        }
        // Points coloured by value take no colour from the cycle.
        let color = options.values == nil ? nextColor(options.color) : (options.color ?? Color(gray: 0.3))
        elements.append(.scatter(ScatterElement(x: x, y: y, color: color, options: options,
                                                name: options.label ?? "scatter", valueRange: range)))
    }

    /// Vertical bars. Positions: `x`, or 0, 1, 2, … labelled with `categories` when given.
    public func bar(_ heights: [Double], x: [Double]? = nil, categories: [String]? = nil, _ options: BarOptions = BarOptions()) throws {
        try Validate.data(heights, "bar: heights")
        if let x, categories != nil, x.count != heights.count {
            throw PlotError.lengthMismatch("bar: x", x.count, "bar: heights", heights.count)
        }
        let xs = x ?? Axes.indices(heights.count)
        try Validate.data(xs, "bar: x")
        try Validate.sameLength(xs, "bar: x", heights, "bar: heights")
        if let c = categories {
            if c.count != heights.count {
                throw PlotError.lengthMismatch("bar: categories", c.count, "bar: heights", heights.count)
            }
            xTickOverride = Axes.categoryTicks(c)
        }
        try Validate.positive(options.width, "bar: width")
        try Validate.unit(options.alpha, "bar: alpha")
        let bottoms = options.bottom ?? [Double](repeating: 0, count: heights.count)
        try Validate.data(bottoms, "bar: bottom")
        try Validate.sameLength(bottoms, "bar: bottom", heights, "bar: heights")
        let color = nextColor(options.color)
        elements.append(.bars(BarsElement(
            left: xs.map { $0 - options.width / 2 }, right: xs.map { $0 + options.width / 2 },
            bottom: bottoms, top: zip(bottoms, heights).map { $0 + $1 }, color: color.withAlpha(color.alpha * options.alpha),
            label: options.label, name: options.label ?? "bar", isHistogram: false, outline: false, autoAlpha: false)))
    }

    /// Groups of bars side by side: `values[s][c]` is series s in category c; `labels[s]` names series s.
    public func groupedBar(_ values: [[Double]], categories: [String], labels: [String]? = nil, groupWidth: Double = 0.8) throws {
        guard !values.isEmpty else { throw PlotError.emptyData("groupedBar: values") }
        if let labels, labels.count != values.count {
            throw PlotError.lengthMismatch("groupedBar: labels", labels.count, "groupedBar: values", values.count)
        }
        try Validate.positive(groupWidth, "groupedBar: groupWidth")
        for (s, row) in values.enumerated() where row.count != categories.count {
            throw PlotError.lengthMismatch("groupedBar: values[\(s)]", row.count, "groupedBar: categories", categories.count)
        }
        let n = Double(values.count)
        let w = groupWidth / n
        for (s, row) in values.enumerated() {
            let offset = -groupWidth / 2 + w * (Double(s) + 0.5)
            let x = Axes.indices(row.count).map { $0 + offset }
            try bar(row, x: x, BarOptions(label: labels?[s], width: w))
        }
        xTickOverride = Axes.categoryTicks(categories)
    }

    /// A histogram of `values`; returns the bins and counts it drew.
    @discardableResult
    public func hist(_ values: [Double], _ options: HistogramOptions = HistogramOptions()) throws -> Histogram {
        let h = try Histogram(values: values, bins: options.bins, range: options.range, density: options.density)
        if let a = options.alpha { try Validate.unit(a, "hist: alpha") }
        let color = nextColor(options.color)
        let e = h.edges
        elements.append(.bars(BarsElement(
            left: Array(e.dropLast()), right: Array(e.dropFirst()), bottom: [Double](repeating: 0, count: h.counts.count),
            top: h.counts, color: options.alpha.map { color.withAlpha($0) } ?? color, label: options.label,
            name: options.label ?? "hist", isHistogram: true, outline: options.style == .step,
            autoAlpha: options.alpha == nil && options.style == .bar)))
        return h
    }

    /// A step line; `position` says where y changes between x values.
    public func step(_ y: [Double], x: [Double]? = nil, position: StepPosition = .pre, _ options: LineOptions = LineOptions()) throws {
        try Validate.data(y, "step: y")
        let xs = x ?? Axes.indices(y.count)
        try Validate.data(xs, "step: x")
        try Validate.sameLength(xs, "step: x", y, "step: y")
        try options.validate()
        var px: [Double] = [], py: [Double] = []
        let n = y.count
        switch position {
        case .pre:
            px.append(xs[0]); py.append(y[0])
            for i in 1..<max(1, n) { px += [xs[i - 1], xs[i]]; py += [y[i], y[i]] }
        case .post:
            px.append(xs[0]); py.append(y[0])
            for i in 1..<max(1, n) { px += [xs[i], xs[i]]; py += [y[i - 1], y[i]] }
        case .mid:
            px.append(xs[0]); py.append(y[0])
            for i in 1..<max(1, n) {
                let m = (xs[i - 1] + xs[i]) / 2
                px += [m, m]; py += [y[i - 1], y[i]]
            }
            px.append(xs[n - 1]); py.append(y[n - 1])
        }
        var o = options
        o.smoothing = 0
        let color = nextColor(options.color)
        elements.append(.line(LineElement(x: px, y: py, color: color, options: o, name: options.label ?? "step",
                                          markerX: options.marker == .none ? nil : xs, markerY: y)))
    }

    /// The area between two curves, e.g. mean − std … mean + std.
    public func fillBetween(x: [Double], lower: [Double], upper: [Double], _ options: FillOptions = FillOptions()) throws {
        try Validate.data(x, "fillBetween: x")
        try Validate.data(lower, "fillBetween: lower")
        try Validate.data(upper, "fillBetween: upper")
        try Validate.sameLength(x, "fillBetween: x", lower, "fillBetween: lower")
        try Validate.sameLength(x, "fillBetween: x", upper, "fillBetween: upper")
        try Validate.unit(options.alpha, "fillBetween: alpha")
        let color = nextColor(options.color)
        elements.append(.fill(FillElement(x: x, lower: lower, upper: upper, color: color.withAlpha(color.alpha * options.alpha),
                                          label: options.label, name: options.label ?? "fillBetween")))
    }

    /// A mean curve with a shaded mean ± std band in the same colour (one legend entry).
    public func band(mean: [Double], std: [Double], x: [Double]? = nil, _ options: LineOptions = LineOptions(), alpha: Double = 0.25) throws {
        try Validate.data(mean, "band: mean")
        try Validate.data(std, "band: std")
        try Validate.sameLength(mean, "band: mean", std, "band: std")
        if let i = std.firstIndex(where: { $0 < 0 }) {
            throw PlotError.invalidArgument("band: std", "std[\(i)] is \(std[i]); a standard deviation is ≥ 0")
        }
        let xs = x ?? Axes.indices(mean.count)
        var o = options
        o.color = nextColor(options.color)
        try fillBetween(x: xs, lower: zip(mean, std).map { $0 - $1 }, upper: zip(mean, std).map { $0 + $1 },
                        FillOptions(label: nil, color: o.color, alpha: alpha))
        try line(mean, x: xs, o)
    }

    /// A horizontal line across the whole axes at y.
    public func hline(_ y: Double, _ options: ReferenceLineOptions = ReferenceLineOptions()) throws {
        try Validate.data([y], "hline: y")
        try Validate.unit(options.alpha, "hline: alpha")
        try Validate.points(options.width, "hline: width")
        elements.append(.reference(ReferenceElement(value: y, horizontal: true, options: options)))
    }

    /// A vertical line across the whole axes at x.
    public func vline(_ x: Double, _ options: ReferenceLineOptions = ReferenceLineOptions()) throws {
        try Validate.data([x], "vline: x")
        try Validate.unit(options.alpha, "vline: alpha")
        try Validate.points(options.width, "vline: width")
        elements.append(.reference(ReferenceElement(value: x, horizontal: false, options: options)))
    }

    /// Points with symmetric error bars in y (and optionally x).
    public func errorBar(x: [Double], y: [Double], yErr: [Double]? = nil, xErr: [Double]? = nil, _ options: ErrorBarOptions = ErrorBarOptions()) throws {
        try Validate.data(x, "errorBar: x")
        try Validate.data(y, "errorBar: y")
        try Validate.sameLength(x, "errorBar: x", y, "errorBar: y")
        for (name, e) in [("errorBar: yErr", yErr), ("errorBar: xErr", xErr)] {
            guard let e else { continue }
            try Validate.data(e, name)
            try Validate.sameLength(e, name, y, "errorBar: y")
            if let i = e.firstIndex(where: { $0 < 0 }) {
                throw PlotError.invalidArgument(name, "\(name.split(separator: " ").last ?? "")[\(i)] is \(e[i]); error sizes must be ≥ 0")
            }
        }
        try Validate.unit(options.alpha, "errorBar: alpha")
        try Validate.points(options.width, "errorBar: width")
        try Validate.points(options.capSize, "errorBar: capSize")
        try Validate.points(options.markerSize, "errorBar: markerSize")
        elements.append(.errorBars(ErrorBarElement(x: x, y: y, yErr: yErr, xErr: xErr, color: nextColor(options.color),
                                                   options: options, name: options.label ?? "errorBar")))
    }

    /// A matrix drawn as coloured cells, row 0 at the top, with a colour bar.
    public func heatmap(_ matrix: [[Double]], _ options: HeatmapOptions = HeatmapOptions()) throws {
        guard let first = matrix.first, !first.isEmpty else { throw PlotError.emptyData("heatmap: matrix") }
        for (r, row) in matrix.enumerated() {
            if row.count != first.count {
                throw PlotError.lengthMismatch("heatmap: matrix[\(r)]", row.count, "heatmap: matrix[0]", first.count)
            }
            try Validate.finite(row, "heatmap: matrix[\(r)]")
        }
        if let l = options.xLabels, l.count != first.count {
            throw PlotError.lengthMismatch("heatmap: xLabels", l.count, "heatmap: columns", first.count)
        }
        if let l = options.yLabels, l.count != matrix.count {
            throw PlotError.lengthMismatch("heatmap: yLabels", l.count, "heatmap: rows", matrix.count)
        }
        let flat = matrix.flatMap { $0 }
        let lo = options.vmin ?? flat.min() ?? 0
        let hi = options.vmax ?? flat.max() ?? 1
        guard lo.isFinite, hi.isFinite, lo <= hi else {
            throw PlotError.invalidArgument("heatmap: vmin/vmax", "need finite vmin ≤ vmax, got \(lo) and \(hi)")
        }
        xTickOverride = Axes.categoryTicks(options.xLabels)
        yTickOverride = Axes.categoryTicks(options.yLabels)
        grid = false
        elements.append(.heatmap(HeatmapElement(matrix: matrix, vmin: lo, vmax: hi, options: options)))
    }

    /// Text at a data position (the anchor is the left, centre or right of its baseline line box),
    /// with an optional arrow to a data point.
    public func text(_ text: String, x: Double, y: Double, _ options: TextOptions = TextOptions()) throws {
        try Validate.data([x, y], "text: position")
        if let a = options.arrowTo { try Validate.data([a.x, a.y], "text: arrowTo") }
        try Validate.positive(options.size, "text: size")
        if options.size > 500 { throw PlotError.invalidArgument("text: size", "must be ≤ 500 points, got \(options.size)") }
        elements.append(.text(TextElement(text: text, x: x, y: y, options: options)))
    }
}

// MARK: - Stored series

struct LineElement {
    var x: [Double], y: [Double]
    var color: Color
    var options: LineOptions
    var name: String
    /// Where markers go when they differ from the line's vertices (step plots).
    var markerX: [Double]? = nil
    var markerY: [Double]? = nil
}

struct ScatterElement {
    var x: [Double], y: [Double]
    var color: Color
    var options: ScatterOptions
    var name: String
    /// vmin, vmax of `options.values`, when points are coloured by value.
    var valueRange: (Double, Double)?
}

struct BarsElement {
    var left: [Double], right: [Double], bottom: [Double], top: [Double]
    var color: Color
    var label: String?
    var name: String
    var isHistogram: Bool
    var outline: Bool
    var autoAlpha: Bool
}

struct FillElement {
    var x: [Double], lower: [Double], upper: [Double]
    var color: Color
    var label: String?
    var name: String
}

struct ReferenceElement {
    var value: Double
    var horizontal: Bool
    var options: ReferenceLineOptions
}

struct ErrorBarElement {
    var x: [Double], y: [Double]
    var yErr: [Double]?, xErr: [Double]?
    var color: Color
    var options: ErrorBarOptions
    var name: String
}

struct HeatmapElement {
    var matrix: [[Double]]
    var vmin: Double, vmax: Double
    var options: HeatmapOptions
}

struct TextElement {
    var text: String
    var x: Double, y: Double
    var options: TextOptions
}

enum Element {
    case line(LineElement)
    case scatter(ScatterElement)
    case bars(BarsElement)
    case fill(FillElement)
    case reference(ReferenceElement)
    case errorBars(ErrorBarElement)
    case heatmap(HeatmapElement)
    case text(TextElement)
}
