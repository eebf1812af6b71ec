// A subplot as scripts see it: `ax = fig.axes(0, 1)`; it has every plotting method of Figure and
// the axis properties (`ax.ylabel = "reward"`).

import Plotting
import Scripting

final class AxesObject: NativeObject {
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

    /// Read-only: where the subplot sits and the figure it belongs to.
    static let ownProperties: [(String, String)] = [
        ("row", "the subplot's row in its figure (0-based)"),
        ("col", "the subplot's column in its figure (0-based)"),
        ("figure", "the Figure this subplot belongs to"),
    ]

    var members: [MemberInfo] {
        (Self.ownProperties + AxisProperties.all.map { ($0.name, $0.summary) }).map { MemberInfo(name: $0.0, kind: .property, summary: $0.1) }
            + PlotBindings.axesMethods.values.map(\.memberInfo).sorted { $0.name < $1.name }
    }

    func property(_ name: String) throws -> Value? {
        switch name {
        case "row": return .int(row)
        case "col": return .int(col)
        case "figure": return .native(figure)
        default: return AxisProperties.get(axes, name)
        }
    }

    func setProperty(_ name: String, _ value: Value) throws -> Bool {
        try AxisProperties.set(axes, name, value, owner: "Axes")
    }

    func method(_ name: String) -> NativeFunction? { PlotBindings.axesMethods[name] }

    var description: String { "<Axes (\(row), \(col)) of \(figure.description), \(axes.seriesCount) series>" }

    var help: String {
        "Axes: one subplot of a Figure, from fig.axes(row, col).\n\n"
            + PlotBindings.memberList(members) + "\nhelp(\"Axes.line\") and so on give each method's page.\n"
    }
}
