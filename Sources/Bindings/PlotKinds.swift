// Every kind of plot the language can draw, described once: its parameters, its help, an example,
// and how its arguments become a Plotting call. PlotBindings turns each kind into a method of
// Figure (drawing on the first subplot), a method of Axes, and a one-liner `plot.<kind>(…)`.

import Plotting
import Scripting

/// One plotting method, shared by Figure, Axes and the `plot` module.
struct PlotKind: Sendable {
    /// The method name: `line`, `grouped_bar`.
    let name: String
    /// The parameter list, without parentheses: `y, x=nil, label=nil`.
    let parameters: String
    let summary: String
    let details: String
    /// Arguments for the generated examples: `[1, 4, 9], label="squares"`.
    let exampleArguments: String
    /// Whether `plot.<name>(…)` exists (every kind that can stand alone as a plot).
    let oneLiner: Bool
    /// Draws on `axes` from the bound arguments. Called only after every argument was checked by
    /// the Plotting call itself, which changes nothing when it throws.
    let draw: @Sendable (Axes, Arguments) throws -> Void

    init(_ name: String, _ parameters: String, summary: String, details: String = "", example: String,
         oneLiner: Bool = true, draw: @escaping @Sendable (Axes, Arguments) throws -> Void) {
        self.name = name
        self.parameters = parameters
        self.summary = summary
        self.details = details
        self.exampleArguments = example
        self.oneLiner = oneLiner
        self.draw = draw
    }
}

extension PlotKind {
    /// The parameters shared by lines, steps and bands.
    fileprivate static func lineOptions(_ a: Arguments, marker: Bool = true) throws -> LineOptions {
        LineOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"),
                    width: try a.nonNegative("width"), dash: try a.dash(),
                    marker: marker ? try a.marker() : .none,
                    markerSize: marker ? try a.nonNegative("marker_size") : 6, alpha: try a.alpha())
    }

    static let all: [PlotKind] = [
        PlotKind("line", "y, x=nil, label=nil, color=nil, width=1.5, dash=\"-\", marker=\"none\", marker_size=6, alpha=1, smoothing=0, show_raw=true",
                 summary: "Draws a line through the points (x[i], y[i]); x defaults to 0, 1, 2, ….",
                 details: "Colours follow the tab10 cycle unless `color` is given (\"C0\"…\"C9\", \"tab:red\", \"#1f77b4\", basic names). `dash` is \"-\", \"--\", \":\" or \"-.\"; `marker` is \"o\", \"s\", \"^\", \"D\", \"+\", \"x\" or \"none\"; sizes are in points. `smoothing` in [0, 1) draws TensorBoard's debiased exponential moving average, with the raw curve faint behind it unless `show_raw=false`. Returns the receiver, so calls chain.",
                 example: "[1, 4, 9, 16], label=\"squares\", marker=\"o\"") { axes, a in
            var o = try lineOptions(a)
            o.smoothing = try a.finite("smoothing")
            o.showRaw = try a.flag("show_raw")
            try axes.line(try a.plotNumbers("y"), x: try a.optionalPlotNumbers("x"), o)
        },
        PlotKind("scatter", "x, y, label=nil, color=nil, size=6, marker=\"o\", alpha=1, values=nil, colormap=\"viridis\", vmin=nil, vmax=nil, colorbar=true, colorbar_label=nil",
                 summary: "Draws a marker at each point (x[i], y[i]).",
                 details: "With `values` (one number per point) the markers are coloured through `colormap` (\"viridis\", \"magma\", \"gray\") between `vmin` and `vmax`, with a colour bar unless `colorbar=false`. Translucent markers (`alpha` < 1) darken where they overlap.",
                 example: "[1, 2, 3, 4], [2, 1, 4, 3], label=\"samples\", alpha=0.7") { axes, a in
            let o = ScatterOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"), size: try a.nonNegative("size"),
                                   marker: try a.marker(), alpha: try a.alpha(), values: try a.optionalPlotNumbers("values"),
                                   colormap: try a.colormap(), vmin: try a.optionalFinite("vmin"), vmax: try a.optionalFinite("vmax"),
                                   colorbar: try a.flag("colorbar"), colorbarLabel: try a.optionalText("colorbar_label"))
            try axes.scatter(x: try a.plotNumbers("x"), y: try a.plotNumbers("y"), o)
        },
        PlotKind("bar", "heights, x=nil, categories=nil, label=nil, color=nil, width=0.8, alpha=1, bottom=nil",
                 summary: "Draws vertical bars; `categories` (strings) label the x axis, `x` places them at numbers.",
                 details: "`width` is the bar width in data units; `bottom` (one number per bar) stacks bars on earlier ones.",
                 example: "[3, 5, 2], categories=[\"a\", \"b\", \"c\"], label=\"counts\"") { axes, a in
            let o = BarOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"), width: try a.nonNegative("width"),
                               alpha: try a.alpha(), bottom: try a.optionalPlotNumbers("bottom"))
            try axes.bar(try a.plotNumbers("heights"), x: try a.optionalPlotNumbers("x"), categories: try a.optionalStrings("categories"), o)
        },
        PlotKind("grouped_bar", "values, categories, labels=nil, group_width=0.8",
                 summary: "Draws series side by side in each category: `values[s][c]` is series s in category c.",
                 details: "`labels` names the series in the legend; `group_width` is the width of each group in data units.",
                 example: "[[1, 2, 3], [2, 3, 1]], [\"x\", \"y\", \"z\"], labels=[\"tb\", \"db\"]") { axes, a in
            guard let categories = try a.optionalStrings("categories") else { throw a.badArgument("categories", "list of strings expected, got nil") }
            try axes.groupedBar(try a.plotMatrix("values"), categories: categories, labels: try a.optionalStrings("labels"),
                                groupWidth: try a.nonNegative("group_width"))
        },
        PlotKind("hist", "values, bins=\"auto\", density=false, label=nil, color=nil, alpha=nil, range=nil, style=\"bar\"",
                 summary: "Draws a histogram of the values.",
                 details: "`bins` is a count, a list of increasing edges, or \"auto\" (numpy's rule, at most 1000 bins). `density=true` scales the area to 1; `range=[lo, hi]` ignores values outside; `style` is \"bar\" or \"step\" (outline). Histograms sharing the axes are drawn translucent unless `alpha` is given.",
                 example: "[1, 2, 2, 3, 3, 3, 4], bins=4, label=\"samples\"") { axes, a in
            let style: HistogramStyle = try a.parsed("style") { s in
                guard let st = HistogramStyle(rawValue: s) else { throw PlotError.invalidArgument("style", "unknown style '\(s)'; use \"bar\" or \"step\"") }
                return st
            }
            let o = HistogramOptions(bins: try a.bins(), density: try a.flag("density"), label: try a.optionalText("label"),
                                     color: try a.optionalColor("color"), alpha: a.isNil("alpha") ? nil : try a.alpha(),
                                     range: try a.range("range"), style: style)
            _ = try axes.hist(try a.plotNumbers("values"), o)
        },
        PlotKind("step", "y, x=nil, where=\"pre\", label=nil, color=nil, width=1.5, dash=\"-\", marker=\"none\", marker_size=6, alpha=1",
                 summary: "Draws a step line; `where` is \"pre\" (matplotlib's default), \"post\" or \"mid\".",
                 example: "[1, 3, 2, 4], where=\"post\", label=\"reward\"") { axes, a in
            let position: StepPosition = try a.parsed("where") { s in
                guard let p = StepPosition(rawValue: s) else { throw PlotError.invalidArgument("where", "unknown step position '\(s)'; use \"pre\", \"post\" or \"mid\"") }
                return p
            }
            try axes.step(try a.plotNumbers("y"), x: try a.optionalPlotNumbers("x"), position: position, try lineOptions(a))
        },
        PlotKind("fill_between", "x, lower, upper, label=nil, color=nil, alpha=0.25",
                 summary: "Shades the band between `lower[i]` and `upper[i]` at each x[i].",
                 example: "[0, 1, 2, 3], [0, 1, 1, 2], [1, 3, 2, 4], label=\"range\"") { axes, a in
            let o = FillOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"), alpha: try a.alpha())
            try axes.fillBetween(x: try a.plotNumbers("x"), lower: try a.plotNumbers("lower"), upper: try a.plotNumbers("upper"), o)
        },
        PlotKind("band", "mean, std, x=nil, label=nil, color=nil, width=1.5, dash=\"-\", alpha=0.25",
                 summary: "Draws the mean as a line with a shaded mean ± std band in the same colour.",
                 details: "`std` must be ≥ 0; `alpha` is the band's opacity (the line is opaque). Use it for curves averaged over seeds.",
                 example: "[1, 2, 2.5, 2.8], [0.3, 0.2, 0.2, 0.1], label=\"reward\"") { axes, a in
            let o = LineOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"), width: try a.nonNegative("width"), dash: try a.dash())
            try axes.band(mean: try a.plotNumbers("mean"), std: try a.plotNumbers("std"), x: try a.optionalPlotNumbers("x"), o, alpha: try a.alpha())
        },
        PlotKind("hline", "y, label=nil, color=nil, width=1, dash=\"--\", alpha=1",
                 summary: "Draws a horizontal reference line across the axes at height y.",
                 details: "The default is a dashed dark grey line, for targets and baselines.",
                 example: "0.5, label=\"target\"", oneLiner: false) { axes, a in
            try axes.hline(try a.finite("y"), referenceOptions(a))
        },
        PlotKind("vline", "x, label=nil, color=nil, width=1, dash=\"--\", alpha=1",
                 summary: "Draws a vertical reference line across the axes at x.",
                 example: "2, label=\"warm-up ends\"", oneLiner: false) { axes, a in
            try axes.vline(try a.finite("x"), referenceOptions(a))
        },
        PlotKind("errorbar", "x, y, yerr=nil, xerr=nil, label=nil, color=nil, capsize=3, width=1.5, marker=\"o\", marker_size=5, connect=false, alpha=1",
                 summary: "Draws points with symmetric error bars: ±yerr[i] vertically and/or ±xerr[i] horizontally.",
                 details: "Errors must be ≥ 0; `capsize` is the cap length in points; `connect=true` joins the points with a line.",
                 example: "[1, 2, 3], [2.0, 2.5, 2.2], yerr=[0.2, 0.3, 0.1], label=\"accuracy\"") { axes, a in
            let o = ErrorBarOptions(label: try a.optionalText("label"), color: try a.optionalColor("color"), capSize: try a.nonNegative("capsize"),
                                    width: try a.nonNegative("width"), marker: try a.marker(), markerSize: try a.nonNegative("marker_size"),
                                    connect: try a.flag("connect"), alpha: try a.alpha())
            try axes.errorBar(x: try a.plotNumbers("x"), y: try a.plotNumbers("y"), yErr: try a.optionalPlotNumbers("yerr"),
                              xErr: try a.optionalPlotNumbers("xerr"), o)
        },
        PlotKind("heatmap", "matrix, colormap=\"viridis\", vmin=nil, vmax=nil, colorbar=true, colorbar_label=nil, xlabels=nil, ylabels=nil, annotate=false, format=\"%.2f\"",
                 summary: "Draws a matrix (a list of equally long rows) as coloured cells, row 0 at the top, with a colour bar.",
                 details: "`colormap` is \"viridis\", \"magma\" or \"gray\"; `xlabels`/`ylabels` name the columns and rows; `annotate=true` writes each value in its cell with the printf `format`.",
                 example: "[[0.1, 0.9], [0.6, 0.3]], annotate=true, xlabels=[\"a\", \"b\"]") { axes, a in
            let o = HeatmapOptions(colormap: try a.colormap(), vmin: try a.optionalFinite("vmin"), vmax: try a.optionalFinite("vmax"),
                                   colorbar: try a.flag("colorbar"), colorbarLabel: try a.optionalText("colorbar_label"),
                                   xLabels: try a.optionalStrings("xlabels"), yLabels: try a.optionalStrings("ylabels"),
                                   annotate: try a.flag("annotate"), format: try a.string("format"))
            try axes.heatmap(try a.plotMatrix("matrix"), o)
        },
        PlotKind("text", "s, x, y, color=\"black\", size=10, align=\"left\", arrow_to=nil",
                 summary: "Writes text at the data position (x, y); `arrow_to=[x2, y2]` draws an arrow from it to that point.",
                 details: "`align` is \"left\", \"center\" or \"right\" (the side at the anchor); `size` is in points; the text may span several lines.",
                 example: "\"peak\", 1, 2, arrow_to=[2, 3]", oneLiner: false) { axes, a in
            let align: TextAlignment = try a.parsed("align") { s in
                guard let t = TextAlignment(rawValue: s) else { throw PlotError.invalidArgument("align", "unknown alignment '\(s)'; use \"left\", \"center\" or \"right\"") }
                return t
            }
            var arrow: (x: Double, y: Double)? = nil
            if let (x2, y2) = try a.limits("arrow_to") {
                guard let x2, let y2 else { throw a.badArgument("arrow_to", "a point [x, y] expected") }
                arrow = (x2, y2)
            }
            guard let color = try a.optionalColor("color") else { throw a.badArgument("color", "a colour expected, got nil") }
            let o = TextOptions(color: color, size: try a.nonNegative("size"), align: align, arrowTo: arrow)
            try axes.text(try a.string("s"), x: try a.finite("x"), y: try a.finite("y"), o)
        },
    ]

    fileprivate static func referenceOptions(_ a: Arguments) throws -> ReferenceLineOptions {
        var o = ReferenceLineOptions(label: try a.optionalText("label"), width: try a.nonNegative("width"), dash: try a.dash(), alpha: try a.alpha())
        if let c = try a.optionalColor("color") { o.color = c }
        return o
    }
}
