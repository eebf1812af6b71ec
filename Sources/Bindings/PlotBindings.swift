// Plots in the language: the `figure(…)` builtin, the Figure and Axes methods generated from
// PlotKind's table, and the `plot` module of one-liners (`plot.line(ys, title="loss").save(…)`).
// Every function carries help and an example; the examples run as tests (BindingsTests).

import Plotting
import ProcessGroups
import Scripting

enum PlotBindings {
    static func install(into interpreter: Interpreter) {
        interpreter.register(figureFunction)
        for f in figureMethods.values { interpreter.registerMethod(f, on: "Figure") }
        for f in axesMethods.values { interpreter.registerMethod(f, on: "Axes") }
        for f in plotFunctions.values { interpreter.registerMethod(f, on: "plot") }
        interpreter.define("plot", .native(PlotModule()), help: Help(
            summary: "One-line plots: plot.line, plot.scatter, plot.bar, plot.grouped_bar, plot.hist, plot.step, plot.fill_between, plot.band, plot.errorbar, plot.heatmap.",
            details: "Each makes a new 640×480 figure, draws one series with the same arguments as the Figure method of that name, plus title, xlabel, ylabel, xscale and yscale, and returns the figure, so `.save(path)` can follow.",
            example: "print(plot.line([3, 1, 2], title=\"loss\").save(\"plots/examples/plot.png\"))\n# expect: plots/examples/plot.png"))
    }

    /// A Plotting error as a script error message.
    static func message(_ e: PlotError) -> String { e.description }

    /// "  name — summary" lines for an object's help.
    static func memberList(_ members: [MemberInfo]) -> String {
        let props = members.filter { $0.kind == .property }.map { "  .\($0.name) — \($0.summary)" }
        let methods = members.filter { $0.kind == .method }.map { "  .\($0.signature) — \($0.summary)" }
        return "properties:\n" + props.joined(separator: "\n") + "\nmethods:\n" + methods.joined(separator: "\n") + "\n"
    }

    /// Runs a Plotting call, turning its errors into script errors that name the function.
    static func plotting<T>(_ a: Arguments, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PlotError {
            throw RuntimeError("\(a.function.qualifiedName): \(message(e))")
        }
    }

    // MARK: figure(…)

    static let figureFunction = NativeFunction(
        "figure(title=nil, width=640, height=480, rows=1, cols=1, scale=1, dpi=100)",
        summary: "Makes a figure of width×height pixels with a rows×cols grid of subplots.",
        details: "`scale=2` gives a high-resolution image (every size doubles: 1280×960 by default). `dpi` sets how many pixels a point is (sizes are in points, as in matplotlib). Plotting methods on the figure draw on subplot (0, 0); `fig.axes(row, col)` gives the others. Nothing is drawn until `fig.save(path)`.",
        example: "fig = figure(title=\"Training\", width=320, height=240)\nfig.line([0.9, 0.5, 0.3], label=\"loss\")\nprint(fig, fig.width)\n# expect: <Figure 320×240, 1×1 subplots> 320",
        category: "plot"
    ) { a in
        let options = FigureOptions(width: try a.int("width"), height: try a.int("height"), dpi: try a.finite("dpi"),
                                    scale: try a.finite("scale"), title: try a.optionalText("title"),
                                    rows: try a.int("rows"), cols: try a.int("cols"))
        return .native(FigureObject(try plotting(a) { try Figure(options) }))
    }

    // MARK: Methods

    static func kindMethod(_ kind: PlotKind, on type: String) -> NativeFunction {
        let example: String
        if type == "Figure" {
            example = "fig = figure()\nfig.\(kind.name)(\(kind.exampleArguments))\nprint(fig.save(\"plots/examples/figure_\(kind.name).png\"))\n# expect: plots/examples/figure_\(kind.name).png"
        } else {
            example = "fig = figure(cols=2)\nax = fig.axes(0, 1)\nprint(ax.\(kind.name)(\(kind.exampleArguments)) == ax, ax.row, ax.col)\n# expect: true 0 1"
        }
        return NativeFunction("\(type).\(kind.name)(\(kind.parameters))", summary: kind.summary,
                              details: kind.details + (kind.details.isEmpty ? "" : " ") + "Returns the \(type.lowercased()), so calls chain.",
                              example: example, category: "plot") { a in
            let axes: Axes
            if case .native(let o) = a.receiverValue, let ax = o as? AxesObject { axes = ax.axes }
            else { axes = try a.receiver(FigureObject.self).figure.axes }
            try plotting(a) { try kind.draw(axes, a) }
            return a.receiverValue
        }
    }

    static func setMethod(on type: String) -> NativeFunction {
        NativeFunction("\(type).set(\(AxisProperties.setParameters))",
                       summary: "Sets several axis properties at once; arguments left out (nil) are unchanged.",
                       details: "`xscale`/`yscale` are \"linear\" or \"log\"; `xlim`/`ylim` are [low, high] (a nil end autoscales); `legend` is \"best\", \"upper right\", …, or \"none\"; `xticks` fixes the tick positions and `xticklabels` their text. Returns the \(type.lowercased()).",
                       example: "fig = figure()\nfig.set(xlabel=\"step\", yscale=\"log\", ylim=[0.5, 10])\nprint(fig.xlabel, fig.yscale, fig.ylim)\n# expect: step log [0.5, 10.0]",
                       category: "plot") { a in
            if case .native(let o) = a.receiverValue, let ax = o as? AxesObject {
                try AxisProperties.apply(a, to: ax.axes, owner: "Axes", figure: nil)
            } else {
                let fig = try a.receiver(FigureObject.self).figure
                try AxisProperties.apply(a, to: fig.axes, owner: "Figure", figure: fig)
            }
            return a.receiverValue
        }
    }

    static let figureMethods: [String: NativeFunction] = {
        var out: [String: NativeFunction] = [:]
        for kind in PlotKind.all { out[kind.name] = kindMethod(kind, on: "Figure") }
        out["set"] = setMethod(on: "Figure")
        out["axes"] = NativeFunction(
            "Figure.axes(row=0, col=0)", summary: "The subplot at (row, col), counted from 0, as an Axes with the same plotting methods.",
            example: "fig = figure(rows=2, cols=2)\nax = fig.axes(1, 0)\nax.bar([1, 2])\nprint(ax.row, ax.col, fig.axes(1, 0) == ax)\n# expect: 1 0 true",
            category: "plot"
        ) { a in
            let me = try a.receiver(FigureObject.self)
            let row = try a.int("row"), col = try a.int("col")
            guard row >= 0, row < me.figure.options.rows else {
                throw a.badArgument("row", "\(row) is outside the figure's \(me.figure.options.rows) rows (0…\(me.figure.options.rows - 1))")
            }
            guard col >= 0, col < me.figure.options.cols else {
                throw a.badArgument("col", "\(col) is outside the figure's \(me.figure.options.cols) columns (0…\(me.figure.options.cols - 1))")
            }
            let axes = try plotting(a) { try me.figure.axes(row: row, col: col) }
            return .native(me.axesObject(row: row, col: col, axes))
        }
        out["save"] = NativeFunction(
            "Figure.save(path)", summary: "Draws the figure and writes it as a PNG file (folders are created); returns the path.",
            details: "Identical figures give identical bytes. Errors that depend on the whole figure, such as a value ≤ 0 on a log axis, are reported here. In a run across processes only rank 0 writes (see rank()).",
            example: "print(figure().line([1, 2]).save(\"plots/examples/save.png\"))\n# expect: plots/examples/save.png",
            category: "plot"
        ) { a in
            let me = try a.receiver(FigureObject.self)
            let path = try a.string("path")
            guard !path.isEmpty else { throw a.badArgument("path", "empty path") }
            if ProcessGroup.world.isPrimary { try plotting(a) { try me.figure.save(path) } }
            return .string(path)
        }
        return out
    }()

    static let axesMethods: [String: NativeFunction] = {
        var out: [String: NativeFunction] = [:]
        for kind in PlotKind.all { out[kind.name] = kindMethod(kind, on: "Axes") }
        out["set"] = setMethod(on: "Axes")
        return out
    }()

    // MARK: The plot module

    static let oneLinerAxisParameters = ["title", "xlabel", "ylabel", "xscale", "yscale"]

    static let plotFunctions: [String: NativeFunction] = {
        var out: [String: NativeFunction] = [:]
        for kind in PlotKind.all where kind.oneLiner {
            out[kind.name] = NativeFunction(
                "plot.\(kind.name)(\(kind.parameters), title=nil, xlabel=nil, ylabel=nil, xscale=nil, yscale=nil)",
                summary: "A new 640×480 figure with one \(kind.name.replacingOccurrences(of: "_", with: " ")) plot: " + kind.summary,
                details: "Takes the arguments of Figure.\(kind.name) and the axis properties title, xlabel, ylabel, xscale and yscale; returns the figure.",
                example: "print(plot.\(kind.name)(\(kind.exampleArguments), title=\"\(kind.name)\").save(\"plots/examples/plot_\(kind.name).png\"))\n# expect: plots/examples/plot_\(kind.name).png",
                category: "plot"
            ) { a in
                let figure = try plotting(a) { try Figure() }
                for name in oneLinerAxisParameters where !a[name].isNil {
                    _ = try AxisProperties.set(figure.axes, name, a[name], owner: "plot.\(kind.name)")
                }
                try plotting(a) { try kind.draw(figure.axes, a) }
                return .native(FigureObject(figure))
            }
        }
        return out
    }()
}

/// The `plot` global: a namespace of one-liners.
final class PlotModule: NativeObject {
    var typeName: String { "module" }
    var members: [MemberInfo] { PlotBindings.plotFunctions.values.map(\.memberInfo).sorted { $0.name < $1.name } }
    func method(_ name: String) -> NativeFunction? { PlotBindings.plotFunctions[name] }
    var description: String { "<module plot>" }
    var help: String { "plot: one-line plots that return a Figure.\n\n" + PlotBindings.memberList(members) }
}
