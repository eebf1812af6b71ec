// The properties of a plot area that scripts read and assign: `ax.xlabel = "step"`,
// `fig.set(yscale="log", ylim=[0, 1])`. Figure forwards them to its first subplot.

import Plotting
import Scripting

/// One property of a plot area: its name and summary (for help and completion), how to read it and
/// how to assign it from a script value.
struct AxisProperty: @unchecked Sendable {
    let name: String
    let summary: String
    let get: (Axes) -> Value
    let set: (Axes, AxisPropertyValue) throws -> Void
}

/// A script value being assigned to `owner.name`, with the conversions the properties need; each
/// failure names the property and what was expected.
struct AxisPropertyValue {
    let value: Value
    let owner: String
    let name: String

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

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw bad("bool expected, got \(value.typeName)") }
        return b
    }
}

enum AxisProperties {
    private static func text(_ s: String?) -> Value { s.map { .string($0) } ?? .null }
    private static func range(_ r: ClosedRange<Double>?) -> Value {
        r.map { Value.makeList([.float($0.lowerBound), .float($0.upperBound)]) } ?? .null
    }

    /// Every property, in the order help lists them.
    static let all: [AxisProperty] = [
        AxisProperty(name: "title", summary: "the title above the plot area (on a Figure: the figure's title)",
                     get: { text($0.title) }, set: { $0.title = try $1.text() }),
        AxisProperty(name: "xlabel", summary: "the x axis label", get: { text($0.xLabel) }, set: { $0.xLabel = try $1.text() }),
        AxisProperty(name: "ylabel", summary: "the y axis label", get: { text($0.yLabel) }, set: { $0.yLabel = try $1.text() }),
        AxisProperty(name: "xscale", summary: "\"linear\" or \"log\"", get: { .string($0.xScale.rawValue) },
                     set: { $0.xScale = try $1.parsed { try AxisScale(parsing: $0) } }),
        AxisProperty(name: "yscale", summary: "\"linear\" or \"log\"", get: { .string($0.yScale.rawValue) },
                     set: { $0.yScale = try $1.parsed { try AxisScale(parsing: $0) } }),
        AxisProperty(name: "xlim", summary: "[low, high] of the x axis; nil (or a nil end) autoscales", get: { range($0.xLimits) },
                     set: { let (lo, hi) = try $1.limits(); try $0.setXLimits(lo, hi) }),
        AxisProperty(name: "ylim", summary: "[low, high] of the y axis; nil (or a nil end) autoscales", get: { range($0.yLimits) },
                     set: { let (lo, hi) = try $1.limits(); try $0.setYLimits(lo, hi) }),
        AxisProperty(name: "legend", summary: "where the legend goes: \"best\", \"upper right\", … or \"none\"",
                     get: { .string($0.legend.rawValue) }, set: { $0.legend = try $1.parsed { try LegendPlacement(parsing: $0) } }),
        AxisProperty(name: "grid", summary: "whether the light grid is drawn (true)", get: { .bool($0.grid) },
                     set: { $0.grid = try $1.bool() }),
    ]

    /// The properties as rows of a native object's property table (`owner` names it in errors), reading
    /// and assigning the plot area `axes(object)` returns.
    static func table<Owner: AnyObject>(owner: String, axes: @escaping (Owner) -> Axes) -> [NativeProperty<Owner>] {
        all.map { property in
            NativeProperty(property.name, property.summary, get: { property.get(axes($0)) }) {
                try assign(property, on: axes($0), $1, owner: owner)
            }
        }
    }

    /// Assigns the property called `name` from a script value; false if there is no such property.
    static func set(_ axes: Axes, _ name: String, _ value: Value, owner: String) throws -> Bool {
        guard let property = all.first(where: { $0.name == name }) else { return false }
        try assign(property, on: axes, value, owner: owner)
        return true
    }

    /// Assigns one property from a script value.
    private static func assign(_ property: AxisProperty, on axes: Axes, _ value: Value, owner: String) throws {
        let assigned = AxisPropertyValue(value: value, owner: owner, name: property.name)
        do {
            try property.set(axes, assigned)
        } catch let e as PlotError {
            throw assigned.bad(PlotBindings.message(e))
        }
    }

    /// The parameters of `set(…)`: every property, plus ticks.
    static let setParameters = "title=nil, xlabel=nil, ylabel=nil, xscale=nil, yscale=nil, xlim=nil, ylim=nil, legend=nil, grid=nil, xticks=nil, xticklabels=nil, yticks=nil, yticklabels=nil"

    /// `set(…)`: assigns every property that was given (a nil argument leaves it alone) and fixes ticks.
    static func apply(_ a: Arguments, to axes: Axes, owner: String, figure: Figure?) throws {
        for property in all {
            let name = property.name
            let v = a[name]
            if v.isNil { continue }
            if name == "title", let figure {
                guard case .string(let s) = v else { throw a.badArgument("title", "string expected, got \(v.typeName)") }
                figure.title = s
                continue
            }
            try assign(property, on: axes, v, owner: owner)
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
