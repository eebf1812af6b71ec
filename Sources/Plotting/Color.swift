/// An RGBA colour with components in 0…1 (straight, not premultiplied, alpha).
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let red: Double
    public let green: Double
    public let blue: Double
    public let alpha: Double

    /// Components are clamped to 0…1 (NaN counts as 0), so any colour can be drawn.
    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        func clamp(_ v: Double) -> Double { v.isNaN ? 0 : min(max(v, 0), 1) }
        self.red = clamp(red)
        self.green = clamp(green)
        self.blue = clamp(blue)
        self.alpha = clamp(alpha)
    }

    /// `0xRRGGBB`.
    public init(rgb: UInt32, alpha: Double = 1) {
        self.init(red: Double((rgb >> 16) & 0xff) / 255, green: Double((rgb >> 8) & 0xff) / 255,
                  blue: Double(rgb & 0xff) / 255, alpha: alpha)
    }

    /// A gray level, 0 black … 1 white.
    public init(gray: Double, alpha: Double = 1) {
        self.init(red: gray, green: gray, blue: gray, alpha: alpha)
    }

    /// Parses "#rgb", "#rrggbb", "#rrggbbaa", a tab10 name ("tab:blue"), a cycle reference ("C0"…"C9")
    /// or a basic name ("black", "red", "gray", …).
    public init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasPrefix("#") {
            let hex = String(s.dropFirst())
            guard let v = UInt32(hex, radix: 16), [3, 6, 8].contains(hex.count) else {
                throw PlotError.invalidArgument("color", "'\(text)' is not a #rgb, #rrggbb or #rrggbbaa colour")
            }
            switch hex.count {
            case 3:
                let r = (v >> 8) & 0xf, g = (v >> 4) & 0xf, b = v & 0xf
                self.init(rgb: (r * 17) << 16 | (g * 17) << 8 | b * 17)
            case 6: self.init(rgb: v)
            default: self.init(rgb: v >> 8, alpha: Double(v & 0xff) / 255)
            }
            return
        }
        if s.count == 2, s.hasPrefix("c"), let i = Int(s.dropFirst()) {
            self = Color.tab10[i]
            return
        }
        if let named = Color.named[s] {
            self = named
            return
        }
        let names = Color.named.keys.sorted().joined(separator: ", ")
        throw PlotError.invalidArgument("color", "unknown colour '\(text)'; use #rrggbb, C0…C9 or one of: \(names)")
    }

    public func withAlpha(_ a: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: a)
    }

    public var description: String {
        func h(_ v: Double) -> String {
            let n = Int((min(max(v, 0), 1) * 255).rounded())
            return (n < 16 ? "0" : "") + String(n, radix: 16)
        }
        return "#" + h(red) + h(green) + h(blue) + (alpha < 1 ? h(alpha) : "")
    }

    public static let white = Color(gray: 1)
    public static let black = Color(gray: 0)
    /// Matplotlib's text and spine colour.
    static let ink = Color(gray: 0.0)
    static let gridGray = Color(rgb: 0xb0b0b0, alpha: 0.45)
    static let legendEdge = Color(gray: 0.8)

    /// The tab10 qualitative palette, matplotlib's default colour cycle.
    public static let tab10: [Color] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { Color(rgb: $0) }

    static let named: [String: Color] = {
        var m: [String: Color] = [
            "black": .black, "white": .white, "gray": Color(rgb: 0x808080), "grey": Color(rgb: 0x808080),
            "lightgray": Color(rgb: 0xd3d3d3), "darkgray": Color(rgb: 0x404040),
            "red": Color(rgb: 0xd62728), "green": Color(rgb: 0x2ca02c), "blue": Color(rgb: 0x1f77b4),
            "orange": Color(rgb: 0xff7f0e), "purple": Color(rgb: 0x9467bd), "brown": Color(rgb: 0x8c564b),
            "pink": Color(rgb: 0xe377c2), "olive": Color(rgb: 0xbcbd22), "cyan": Color(rgb: 0x17becf),
        ]
        let tabNames = ["blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive", "cyan"]
        for (i, n) in tabNames.enumerated() { m["tab:" + n] = tab10[i] }
        return m
    }()
}

import Foundation
