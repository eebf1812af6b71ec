/// Options for each kind of series. Every field has matplotlib-like defaults, so a binding maps named
/// arguments onto fields one by one and leaves the rest alone. Sizes are in points (1/72 inch): they
/// scale with the figure's dpi and its high-resolution factor.

/// The dash pattern of a line.
public enum LineDash: Equatable, Sendable {
    case solid, dashed, dotted, dashDot
    /// On/off lengths in multiples of the line width.
    case custom([Double])

    /// "-", "--", ":", "-." or "solid", "dashed", "dotted", "dashdot".
    public init(parsing s: String) throws {
        switch s.lowercased() {
        case "-", "solid": self = .solid
        case "--", "dashed": self = .dashed
        case ":", "dotted": self = .dotted
        case "-.", "dashdot": self = .dashDot
        default:
            throw PlotError.invalidArgument("dash", "unknown dash style '\(s)'; use \"-\", \"--\", \":\" or \"-.\"")
        }
    }

    /// The pattern in multiples of the line width (matplotlib's scaled dashes); nil for solid.
    var pattern: [Double]? {
        switch self {
        case .solid: return nil
        case .dashed: return [3.7, 1.6]
        case .dotted: return [1, 1.65]
        case .dashDot: return [6.4, 1.6, 1, 1.6]
        case .custom(let p): return p.isEmpty ? nil : p
        }
    }
}

/// Marker shapes drawn at data points.
public enum Marker: String, Equatable, Sendable, CaseIterable {
    case none, circle, square, triangle, diamond, plus, cross

    /// "o", "s", "^", "D", "+", "x", "" or the case names.
    public init(parsing s: String) throws {
        switch s {
        case "", "none": self = .none
        case "o", "circle": self = .circle
        case "s", "square": self = .square
        case "^", "triangle": self = .triangle
        case "D", "d", "diamond": self = .diamond
        case "+", "plus": self = .plus
        case "x", "cross": self = .cross
        default:
            throw PlotError.invalidArgument("marker", "unknown marker '\(s)'; use o, s, ^, D, +, x or none")
        }
    }
}

public struct LineOptions: Sendable {
    /// Legend entry; nil leaves the series out of the legend.
    public var label: String?
    /// nil takes the next colour of the tab10 cycle.
    public var color: Color?
    /// Line width in points.
    public var width: Double
    public var dash: LineDash
    public var marker: Marker
    /// Marker diameter in points.
    public var markerSize: Double
    public var alpha: Double
    /// TensorBoard-style smoothing weight in [0, 1): a debiased exponential moving average. 0 is off.
    public var smoothing: Double
    /// With smoothing on, also draw the raw values faintly behind the smoothed curve.
    public var showRaw: Bool

    public init(label: String? = nil, color: Color? = nil, width: Double = 1.5, dash: LineDash = .solid,
                marker: Marker = .none, markerSize: Double = 6, alpha: Double = 1, smoothing: Double = 0,
                showRaw: Bool = true) {
        self.label = label
        self.color = color
        self.width = width
        self.dash = dash
        self.marker = marker
        self.markerSize = markerSize
        self.alpha = alpha
        self.smoothing = smoothing
        self.showRaw = showRaw
    }

    func validate() throws {
        if !(width >= 0 && width <= 1000) { throw PlotError.invalidArgument("width", "must be 0…1000 points, got \(width)") }
        if !(markerSize >= 0 && markerSize <= 1000) { throw PlotError.invalidArgument("markerSize", "must be 0…1000 points, got \(markerSize)") }
        try Validate.unit(alpha, "alpha")
        if !(smoothing >= 0 && smoothing < 1) {
            throw PlotError.invalidArgument("smoothing", "must be in [0, 1), got \(smoothing)")
        }
        if case .custom(let p) = dash, p.contains(where: { !($0 > 0) }) {
            throw PlotError.invalidArgument("dash", "custom dash lengths must be > 0")
        }
    }
}

public struct ScatterOptions: Sendable {
    public var label: String?
    public var color: Color?
    /// Marker diameter in points.
    public var size: Double
    public var marker: Marker
    public var alpha: Double
    /// One number per point: colours points through `colormap` (and adds a colour bar).
    public var values: [Double]?
    public var colormap: Colormap
    public var vmin: Double?
    public var vmax: Double?
    public var colorbar: Bool
    public var colorbarLabel: String?

    public init(label: String? = nil, color: Color? = nil, size: Double = 6, marker: Marker = .circle, alpha: Double = 1,
                values: [Double]? = nil, colormap: Colormap = .viridis, vmin: Double? = nil, vmax: Double? = nil,
                colorbar: Bool = true, colorbarLabel: String? = nil) {
        self.label = label
        self.color = color
        self.size = size
        self.marker = marker
        self.alpha = alpha
        self.values = values
        self.colormap = colormap
        self.vmin = vmin
        self.vmax = vmax
        self.colorbar = colorbar
        self.colorbarLabel = colorbarLabel
    }

    func validate() throws {
        if !(size >= 0 && size <= 1000) { throw PlotError.invalidArgument("size", "must be 0…1000 points, got \(size)") }
        try Validate.unit(alpha, "alpha")
        if marker == .none { throw PlotError.invalidArgument("marker", "a scatter plot needs a marker") }
    }
}

public struct BarOptions: Sendable {
    public var label: String?
    public var color: Color?
    /// Bar width in data units (1 is the distance between categories).
    public var width: Double
    public var alpha: Double
    /// Bar bottoms (stacked bars); nil starts every bar at 0.
    public var bottom: [Double]?

    public init(label: String? = nil, color: Color? = nil, width: Double = 0.8, alpha: Double = 1, bottom: [Double]? = nil) {
        self.label = label
        self.color = color
        self.width = width
        self.alpha = alpha
        self.bottom = bottom
    }
}

/// How a histogram chooses its bins.
public enum Bins: Equatable, Sendable {
    /// numpy's "auto": the larger of Sturges' and Freedman–Diaconis' bin counts.
    case auto
    case count(Int)
    /// Explicit increasing bin edges.
    case edges([Double])
}

public enum HistogramStyle: String, Sendable {
    /// Filled bars.
    case bar
    /// The outline only.
    case step
}

public struct HistogramOptions: Sendable {
    public var bins: Bins
    /// Scale counts so the area under the histogram is 1.
    public var density: Bool
    public var label: String?
    public var color: Color?
    /// nil: opaque, or 0.6 when several filled histograms share the axes (so overlaid ones stay visible).
    public var alpha: Double?
    /// Values outside are ignored; nil uses the data's min…max.
    public var range: ClosedRange<Double>?
    public var style: HistogramStyle

    public init(bins: Bins = .auto, density: Bool = false, label: String? = nil, color: Color? = nil,
                alpha: Double? = nil, range: ClosedRange<Double>? = nil, style: HistogramStyle = .bar) {
        self.bins = bins
        self.density = density
        self.label = label
        self.color = color
        self.alpha = alpha
        self.range = range
        self.style = style
    }
}

/// Where a step plot changes value.
public enum StepPosition: String, Sendable, CaseIterable {
    /// y[i] holds on (x[i-1], x[i]] (matplotlib's default).
    case pre
    /// y[i] holds on [x[i], x[i+1]).
    case post
    /// Steps halfway between x values.
    case mid
}

public struct FillOptions: Sendable {
    public var label: String?
    public var color: Color?
    public var alpha: Double

    public init(label: String? = nil, color: Color? = nil, alpha: Double = 0.25) {
        self.label = label
        self.color = color
        self.alpha = alpha
    }
}

public struct ReferenceLineOptions: Sendable {
    public var label: String?
    /// Reference lines default to dark gray rather than taking a cycle colour.
    public var color: Color
    public var width: Double
    public var dash: LineDash
    public var alpha: Double

    public init(label: String? = nil, color: Color = Color(gray: 0.3), width: Double = 1, dash: LineDash = .dashed, alpha: Double = 1) {
        self.label = label
        self.color = color
        self.width = width
        self.dash = dash
        self.alpha = alpha
    }
}

public struct ErrorBarOptions: Sendable {
    public var label: String?
    public var color: Color?
    /// Half-length of the caps in points; 0 draws none.
    public var capSize: Double
    /// Width of the error bars in points.
    public var width: Double
    public var marker: Marker
    public var markerSize: Double
    /// Also join the points with a line.
    public var connect: Bool
    public var alpha: Double

    public init(label: String? = nil, color: Color? = nil, capSize: Double = 3, width: Double = 1.5,
                marker: Marker = .circle, markerSize: Double = 5, connect: Bool = false, alpha: Double = 1) {
        self.label = label
        self.color = color
        self.capSize = capSize
        self.width = width
        self.marker = marker
        self.markerSize = markerSize
        self.connect = connect
        self.alpha = alpha
    }
}

public struct HeatmapOptions: Sendable {
    public var colormap: Colormap
    /// Colour scale limits; nil uses the data's min and max.
    public var vmin: Double?
    public var vmax: Double?
    public var colorbar: Bool
    public var colorbarLabel: String?
    /// Category labels of the columns (x) and rows (y); nil numbers them.
    public var xLabels: [String]?
    public var yLabels: [String]?
    /// Write each cell's value in it (with `format`, a printf format such as "%.2f").
    public var annotate: Bool
    public var format: String

    public init(colormap: Colormap = .viridis, vmin: Double? = nil, vmax: Double? = nil, colorbar: Bool = true,
                colorbarLabel: String? = nil, xLabels: [String]? = nil, yLabels: [String]? = nil,
                annotate: Bool = false, format: String = "%.2f") {
        self.colormap = colormap
        self.vmin = vmin
        self.vmax = vmax
        self.colorbar = colorbar
        self.colorbarLabel = colorbarLabel
        self.xLabels = xLabels
        self.yLabels = yLabels
        self.annotate = annotate
        self.format = format
    }
}

public enum TextAlignment: String, Sendable {
    case left, center, right
}

public struct TextOptions: Sendable {
    public var color: Color
    /// Font size in points.
    public var size: Double
    /// Which side of the text sits at the anchor point.
    public var align: TextAlignment
    /// Draw an arrow from the text to this data point.
    public var arrowTo: (x: Double, y: Double)?

    public init(color: Color = .black, size: Double = 10, align: TextAlignment = .left, arrowTo: (x: Double, y: Double)? = nil) {
        self.color = color
        self.size = size
        self.align = align
        self.arrowTo = arrowTo
    }
}

/// Where the legend goes. `.best` tries matplotlib's nine spots (and the centre) and takes the one that
/// covers the fewest data points and line segments.
public enum LegendPlacement: String, Sendable, CaseIterable {
    case best, upperRight, upperLeft, lowerLeft, lowerRight, right, centerLeft, centerRight
    case lowerCenter, upperCenter, center, hidden

    /// Matplotlib's names ("upper right", "best", …), snake_case or camelCase; "none" or "hidden" hides it.
    public init(parsing s: String) throws {
        let key = s.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "_", with: "")
        if key == "none" || key == "off" { self = .hidden; return }
        if let p = LegendPlacement.allCases.first(where: { $0.rawValue.lowercased() == key }) {
            self = p
            return
        }
        throw PlotError.invalidArgument("legend", "unknown placement '\(s)'; use best, upper right, upper left, lower left, "
            + "lower right, right, center left, center right, lower center, upper center, center or none")
    }
}
