/// A continuous colour scale from 0…1 to a colour, for heatmaps and their colour bars.
/// Perceptual maps are stored as 11 anchor colours (every tenth of the scale) and interpolated linearly
/// in RGB, which stays within a couple of levels of the full 256-entry tables.
public struct Colormap: Equatable, Sendable {
    public let name: String
    let anchors: [Color]

    public init(name: String, anchors: [Color]) throws {
        guard anchors.count >= 2 else {
            throw PlotError.invalidArgument("colormap", "needs at least two anchor colours")
        }
        self.name = name
        self.anchors = anchors
    }

    private init(uncheckedName: String, rgb: [UInt32]) {
        name = uncheckedName
        anchors = rgb.map { Color(rgb: $0) }
    }

    /// Matplotlib's default perceptually uniform map (dark purple → yellow).
    public static let viridis = Colormap(uncheckedName: "viridis", rgb: [
        0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
        0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
    ])
    /// Black → purple → orange → pale yellow.
    public static let magma = Colormap(uncheckedName: "magma", rgb: [
        0x000004, 0x140e36, 0x3b0f70, 0x641a80, 0x8c2981, 0xb73779,
        0xde4968, 0xf7705c, 0xfe9f6d, 0xfecf92, 0xfcfdbf,
    ])
    /// Black → white.
    public static let gray = Colormap(uncheckedName: "gray", rgb: [0x000000, 0xffffff])

    public static let all: [Colormap] = [.viridis, .magma, .gray]

    public static func named(_ name: String) throws -> Colormap {
        if let m = all.first(where: { $0.name == name.lowercased() }) { return m }
        throw PlotError.invalidArgument("colormap", "unknown colormap '\(name)'; use one of: "
            + all.map(\.name).joined(separator: ", "))
    }

    /// The colour at `t` (clamped to 0…1).
    public func color(at t: Double) -> Color {
        let u = t.isNaN ? 0 : min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(u), anchors.count - 2)
        let f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color(red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f,
                     blue: a.blue + (b.blue - a.blue) * f)
    }

    /// A 256-entry RGB lookup table for fast image drawing.
    func table() -> [(UInt8, UInt8, UInt8)] {
        (0..<256).map { i in
            let c = color(at: Double(i) / 255)
            return (UInt8((c.red * 255).rounded()), UInt8((c.green * 255).rounded()), UInt8((c.blue * 255).rounded()))
        }
    }
}
