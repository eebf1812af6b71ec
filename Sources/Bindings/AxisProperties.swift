// The properties of a plot area that scripts read and assign: `ax.xlabel = "step"`,
// `fig.set(yscale="log", ylim=[0, 1])`. Figure forwards them to its first subplot.

import Plotting
import Scripting

enum AxisProperties {
    /// Name, summary (for help and completion).
    static let all: [(String, String)] = [
        ("title", "the title above the plot area (on a Figure: the figure's title)"),
        ("xlabel", "the x axis label"),
        ("ylabel", "the y axis label"),
        ("xscale", "\"linear\" or \"log\""),
        ("yscale", "\"linear\" or \"log\""),
        ("xlim", "[low, high] of the x axis; nil (or a nil end) autoscales"),
        ("ylim", "[low, high] of the y axis; nil (or a nil end) autoscales"),
        ("legend", "where the legend goes: \"best\", \"upper right\", … or \"none\""),
        ("grid", "whether the light grid is drawn (true)"),
    ]

    static func get(_ axes: Axes, _ name: String) -> Value? {
        func text(_ s: String?) -> Value { s.map { .string($0) } ?? .null }
        func range(_ r: ClosedRange<Double>?) -> Value { r.map { Value.makeList([.float($0.lowerBound), .float($0.upperBound)]) } ?? .null }
        switch name {
        case "title": return text(axes.title)
        case "xlabel": return text(axes.xLabel)
        case "ylabel": return text(axes.yLabel)
        case "xscale": return .string(axes.xScale.rawValue)
        case "yscale": return .string(axes.yScale.rawValue)
        case "xlim": return range(axes.xLimits)
        case "ylim": return range(axes.yLimits)
        case "legend": return .string(axes.legend.rawValue)
        case "grid": return .bool(axes.grid)
        default: return nil
        }
    }

    /// Assigns one property from a script value; false if there is no such property.
    static func set(_ axes: Axes, _ name: String, _ value: Value, owner: String) throws -> Bool {
        func bad(_ message: String) -> RuntimeError { RuntimeError("bad value for \(owner).\(name) (\(message))") }
        func text() throws -> String? {
            switch value {
            case .null: return nil
            case .string(let s): return s
            default: throw bad("string expected, got \(value.typeName)")
            }
        }
        func parsed<T>(_ parse: (String) throws -> T) throws -> T {
            guard case .string(let s) = value else { throw bad("string expected, got \(value.typeName)") }
            do { return try parse(s) } catch let e as PlotError { throw bad(PlotBindings.message(e)) }
        }
        func limits() throws -> (Double?, Double?) {
            if value.isNil { return (nil, nil) }
            guard case .list(let l) = value, l.items.count == 2 else { throw bad("a list [low, high] expected, got \(value.typeName)") }
            func end(_ v: Value) throws -> Double? {
                if v.isNil { return nil }
                guard let d = v.doubleValue, d.isFinite else { throw bad("the ends must be finite numbers or nil, got \(v.repr)") }
                return d
            }
            return (try end(l.items[0]), try end(l.items[1]))
        }
        do {
            switch name {
            case "title": axes.title = try text()
            case "xlabel": axes.xLabel = try text()
            case "ylabel": axes.yLabel = try text()
            case "xscale": axes.xScale = try parsed { try AxisScale(parsing: $0) }
            case "yscale": axes.yScale = try parsed { try AxisScale(parsing: $0) }
            case "xlim": let (lo, hi) = try limits(); try axes.setXLimits(lo, hi)
            case "ylim": let (lo, hi) = try limits(); try axes.setYLimits(lo, hi)
            case "legend": axes.legend = try parsed { try LegendPlacement(parsing: $0) }
            case "grid":
                guard case .bool(let b) = value else { throw bad("bool expected, got \(value.typeName)") }
                axes.grid = b
            default: return false
            }
        } catch let e as PlotError {
            throw bad(PlotBindings.message(e))
        }
        return true
    }

    /// The parameters of `set(…)`: every property, plus ticks.
    static let setParameters = "title=nil, xlabel=nil, ylabel=nil, xscale=nil, yscale=nil, xlim=nil, ylim=nil, legend=nil, grid=nil, xticks=nil, xticklabels=nil, yticks=nil, yticklabels=nil"

    /// `set(…)`: assigns every property that was given (a nil argument leaves it alone) and fixes ticks.
    static func apply(_ a: Arguments, to axes: Axes, owner: String, figure: Figure?) throws {
        for (name, _) in all {
            let v = a[name]
            if v.isNil { continue }
            if name == "title", let figure {
                guard case .string(let s) = v else { throw a.badArgument("title", "string expected, got \(v.typeName)") }
                figure.title = s
                continue
            }
            _ = try set(axes, name, v, owner: owner)
        }
        for axis in ["x", "y"] {
            guard let values = try a.optionalPlotNumbers("\(axis)ticks") else {
                if !a.isNil("\(axis)ticklabels") { throw a.badArgument("\(axis)ticklabels", "needs \(axis)ticks as well") }
                continue
            }
            let labels = try a.optionalStrings("\(axis)ticklabels")
            do {
                if axis == "x" { try axes.setXTicks(values, labels: labels) } else { try axes.setYTicks(values, labels: labels) }
            } catch let e as PlotError {
                throw a.badArgument("\(axis)ticks", PlotBindings.message(e))
            }
        }
    }
}
