/// Everything that can go wrong while building or drawing a figure, as a value with a message that
/// names the argument at fault. Rendering never traps on user data: bad input ends up here.
public enum PlotError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A series was given no data (`what` names the argument, e.g. "line: y").
    case emptyData(String)
    /// A value that must be finite is NaN or infinite: argument and index.
    case nonFinite(String, index: Int, value: Double)
    /// Two arguments that must have the same length do not.
    case lengthMismatch(String, Int, String, Int)
    /// A value ≤ 0 on a logarithmic axis: the axis ("x" or "y"), the series and the value.
    case nonPositiveOnLogAxis(axis: String, series: String, value: Double)
    /// An option outside its allowed range (name, message).
    case invalidArgument(String, String)
    /// The font file does not exist.
    case fontMissing(String)
    /// FreeType could not open or render the font.
    case fontUnreadable(String, code: Int32)
    /// libpng reported an error (its message).
    case png(String)
    /// Writing the file failed (path, reason).
    case io(String, String)

    public var description: String {
        switch self {
        case .emptyData(let what):
            return "\(what) is empty; a plot needs at least one value"
        case .nonFinite(let what, let index, let value):
            return "\(what)[\(index)] is \(value); plot data must be finite numbers (drop or replace NaN/inf first)"
        case .lengthMismatch(let a, let na, let b, let nb):
            return "\(a) has \(na) values but \(b) has \(nb); they must have the same length"
        case .nonPositiveOnLogAxis(let axis, let series, let value):
            return "\(series) has the value \(value) on a logarithmic \(axis) axis; log axes need values > 0"
        case .invalidArgument(let name, let message):
            return "\(name): \(message)"
        case .fontMissing(let path):
            return "font not found at \(path); install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core) or set GFN_FONT to a .ttf file"
        case .fontUnreadable(let path, let code):
            return "FreeType could not load the font \(path) (FreeType error \(code))"
        case .png(let message):
            return "PNG error: \(message)"
        case .io(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}

/// Checks shared by every series kind.
enum Validate {
    static func nonEmpty(_ values: [Double], _ what: String) throws {
        if values.isEmpty { throw PlotError.emptyData(what) }
    }

    static func finite(_ values: [Double], _ what: String) throws {
        for (i, v) in values.enumerated() where !v.isFinite {
            throw PlotError.nonFinite(what, index: i, value: v)
        }
    }

    static func data(_ values: [Double], _ what: String) throws {
        try nonEmpty(values, what)
        try finite(values, what)
    }

    static func sameLength(_ a: [Double], _ an: String, _ b: [Double], _ bn: String) throws {
        if a.count != b.count { throw PlotError.lengthMismatch(an, a.count, bn, b.count) }
    }

    static func positive(_ value: Double, _ name: String) throws {
        if !(value > 0) || !value.isFinite {
            throw PlotError.invalidArgument(name, "must be a finite number > 0, got \(value)")
        }
    }

    /// A size in points: line widths, markers, caps.
    static func points(_ value: Double, _ name: String) throws {
        if !(value >= 0 && value <= 1000) {
            throw PlotError.invalidArgument(name, "must be 0…1000 points, got \(value)")
        }
    }

    static func unit(_ value: Double, _ name: String) throws {
        if !(value >= 0 && value <= 1) {
            throw PlotError.invalidArgument(name, "must be between 0 and 1, got \(value)")
        }
    }
}
