// A figure as scripts see it: `fig = figure(title="Training")`. Plotting methods draw on its first
// subplot; `fig.axes(row, col)` reaches the others; `fig.save(path)` writes the PNG.

import Plotting
import Scripting

final class FigureObject: ImageRenderable {
    let figure: Figure
    /// Axes objects handed out so far, so `fig.axes(0, 0)` is the same object each time.
    private var axesObjects: [Int: AxesObject] = [:]

    init(_ figure: Figure) {
        self.figure = figure
    }

    var typeName: String { "Figure" }

    /// The script object for subplot (row, col); the grid was checked by the caller.
    func axesObject(row: Int, col: Int, _ axes: Axes) -> AxesObject {
        let key = row * figure.options.cols + col
        if let existing = axesObjects[key] { return existing }
        let made = AxesObject(figure: self, axes: axes, row: row, col: col)
        axesObjects[key] = made
        return made
    }

    static let ownProperties: [(String, String)] = [
        ("width", "the width of the PNG in pixels (scale included)"),
        ("height", "the height of the PNG in pixels (scale included)"),
        ("rows", "the number of subplot rows"),
        ("cols", "the number of subplot columns"),
    ]

    var members: [MemberInfo] {
        (FigureObject.ownProperties + AxisProperties.all.map { ($0.name, $0.summary) }).map { MemberInfo(name: $0.0, kind: .property, summary: $0.1) }
            + PlotBindings.figureMethods.values.map(\.memberInfo).sorted { $0.name < $1.name }
    }

    func property(_ name: String) throws -> Value? {
        switch name {
        case "width": return .int(figure.pixelWidth)
        case "height": return .int(figure.pixelHeight)
        case "rows": return .int(figure.options.rows)
        case "cols": return .int(figure.options.cols)
        case "title": return figure.title.map { .string($0) } ?? .null
        default: return AxisProperties.get(figure.axes, name)
        }
    }

    func setProperty(_ name: String, _ value: Value) throws -> Bool {
        if name == "title" {
            switch value {
            case .null: figure.title = nil
            case .string(let s): figure.title = s
            default: throw RuntimeError("bad value for Figure.title (string expected, got \(value.typeName))")
            }
            return true
        }
        if FigureObject.ownProperties.contains(where: { $0.0 == name }) {
            throw RuntimeError("Figure.\(name) is fixed when the figure is made; pass it to figure(…)")
        }
        return try AxisProperties.set(figure.axes, name, value, owner: "Figure")
    }

    func method(_ name: String) -> NativeFunction? { PlotBindings.figureMethods[name] }

    /// The PNG bytes `save` writes, for the REPL's inline display (ImageRenderable).
    func pngData() throws -> [UInt8] {
        do { return try figure.pngData() } catch let e as PlotError { throw RuntimeError("Figure: \(PlotBindings.message(e))") }
    }

    var description: String {
        "<Figure \(figure.pixelWidth)×\(figure.pixelHeight), \(figure.options.rows)×\(figure.options.cols) subplots>"
    }

    var help: String {
        "Figure: a PNG-bound figure from figure(…); plotting methods draw on its first subplot.\n\n"
            + PlotBindings.memberList(members) + "\nhelp(\"Figure.line\") and so on give each method's page.\n"
    }
}
