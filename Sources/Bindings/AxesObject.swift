// A subplot as scripts see it: `ax = fig.axes(0, 1)`; it has every plotting method of Figure and
// the axis properties (`ax.ylabel = "reward"`).

import Plotting
import Scripting

final class AxesObject: PropertyTableObject {
    let figure: FigureObject
    let axes: Axes
    let row: Int
    let col: Int

    init(figure: FigureObject, axes: Axes, row: Int, col: Int) {
        self.figure = figure
        self.axes = axes
        self.row = row
        self.col = col
    }

    var typeName: String { "Axes" }

    var summary: String { "Axes: one subplot of a Figure" }

    /// Where the subplot sits and the figure it belongs to (read-only), then the axis properties.
    static let properties: [NativeProperty<AxesObject>] = [
        NativeProperty("row", "the subplot's row in its figure (0-based)") { .int($0.row) },
        NativeProperty("col", "the subplot's column in its figure (0-based)") { .int($0.col) },
        NativeProperty("figure", "the Figure this subplot belongs to") { .native($0.figure) },
    ] + AxisProperties.table(owner: "Axes") { $0.axes }

    static let methods: [NativeFunction] = PlotBindings.axesMethods.values.sorted { $0.name < $1.name }

    var members: [MemberInfo] { propertyMembers + Self.methods.map(\.memberInfo) }

    func method(_ name: String) -> NativeFunction? { PlotBindings.axesMethods[name] }

    var description: String { "<Axes (\(row), \(col)) of \(figure.description), \(axes.seriesCount) series>" }

    var help: String {
        "Axes: one subplot of a Figure, from fig.axes(row, col).\n\n"
            + PlotBindings.memberList(members) + "\nhelp(\"Axes.line\") and so on give each method's page.\n"
    }
}
