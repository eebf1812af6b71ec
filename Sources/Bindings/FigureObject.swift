// A figure as scripts see it: `fig = figure(title="Training")`. Plotting methods draw on its first
// subplot; `fig.axes(row, col)` reaches the others; `fig.save(path)` writes the PNG.

import Plotting
import Scripting

final class FigureObject: ImageRenderable, PropertyTableObject {
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

    var summary: String { "Figure: a PNG-bound figure from figure(…)" }

    /// Its size and grid (fixed when the figure is made), its title, then the axis properties of its
    /// first subplot.
    static let properties: [NativeProperty<FigureObject>] = {
        func fixed(_ name: String, _ summary: String, _ get: @escaping (Figure) -> Int) -> NativeProperty<FigureObject> {
            NativeProperty(name, summary, get: { .int(get($0.figure)) }, set: { _, _ in
                throw RuntimeError("Figure.\(name) is fixed when the figure is made; pass it to figure(…)")
            })
        }
        let title = NativeProperty<FigureObject>("title", "the figure's title", get: { $0.figure.title.map { .string($0) } ?? .null }) {
            switch $1 {
            case .null: $0.figure.title = nil
            case .string(let s): $0.figure.title = s
            default: throw RuntimeError("bad value for Figure.title (string expected, got \($1.typeName))")
            }
        }
        return [
            fixed("width", "the width of the PNG in pixels (scale included)") { $0.pixelWidth },
            fixed("height", "the height of the PNG in pixels (scale included)") { $0.pixelHeight },
            fixed("rows", "the number of subplot rows") { $0.options.rows },
            fixed("cols", "the number of subplot columns") { $0.options.cols },
            title,
        ] + AxisProperties.table(owner: "Figure") { $0.figure.axes }.filter { $0.name != "title" }
    }()

    static let methods: [NativeFunction] = PlotBindings.figureMethods.values.sorted { $0.name < $1.name }

    var members: [MemberInfo] { propertyMembers + Self.methods.map(\.memberInfo) }

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
