// Conversions from script values to the Plotting types. Every failure names the script argument,
// as "bad argument 'x' to 'Figure.line' (…)", so a script error points at what to fix.

import Plotting
import Scripting

extension Arguments {
    /// True when the argument was left out (its default is nil) or passed as nil.
    func isNil(_ name: String) -> Bool { self[name].isNil }

    /// A list (or range, or iterable host object) of numbers, finite and non-empty.
    func plotNumbers(_ name: String) throws -> [Double] {
        let v = self[name]
        switch v {
        case .int, .float, .string, .bool, .null, .dict:
            throw badArgument(name, "list of numbers expected, got \(v.typeName)")
        default: break
        }
        let items = try sequence(name)
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let d = item.doubleValue else {
                throw badArgument(name, "list of numbers expected, element \(i) is \(item.typeName)")
            }
            guard d.isFinite else {
                throw badArgument(name, "element \(i) is \(d); plot data must be finite numbers (drop or replace NaN/inf first)")
            }
            out.append(d)
        }
        guard !out.isEmpty else { throw badArgument(name, "empty list; a plot needs at least one value") }
        return out
    }

    func optionalPlotNumbers(_ name: String) throws -> [Double]? {
        isNil(name) ? nil : try plotNumbers(name)
    }

    /// A list of equally long lists of numbers (rows of a heatmap, series of a grouped bar).
    func plotMatrix(_ name: String) throws -> [[Double]] {
        guard case .list(let rows) = self[name] else { throw badArgument(name, "list of lists of numbers expected, got \(self[name].typeName)") }
        guard !rows.items.isEmpty else { throw badArgument(name, "empty list; a plot needs at least one value") }
        var out: [[Double]] = []
        for (r, row) in rows.items.enumerated() {
            guard case .list(let cells) = row else { throw badArgument(name, "list of lists of numbers expected, row \(r) is \(row.typeName)") }
            var values: [Double] = []
            for (c, cell) in cells.items.enumerated() {
                guard let d = cell.doubleValue else { throw badArgument(name, "row \(r), column \(c) is \(cell.typeName), not a number") }
                guard d.isFinite else { throw badArgument(name, "row \(r), column \(c) is \(d); plot data must be finite numbers") }
                values.append(d)
            }
            guard !values.isEmpty else { throw badArgument(name, "row \(r) is empty") }
            if let first = out.first, first.count != values.count {
                throw badArgument(name, "row \(r) has \(values.count) values but row 0 has \(first.count); rows must have the same length")
            }
            out.append(values)
        }
        return out
    }

    /// A list of strings, or nil; numbers are written as text (category labels such as years).
    func optionalStrings(_ name: String) throws -> [String]? {
        if isNil(name) { return nil }
        guard case .list(let l) = self[name] else { throw badArgument(name, "list of strings expected, got \(self[name].typeName)") }
        return try l.items.enumerated().map { i, v in
            switch v {
            case .string(let s): return s
            case .int, .float: return v.description
            default: throw badArgument(name, "list of strings expected, element \(i) is \(v.typeName)")
            }
        }
    }

    /// Optional text: nil, or a string.
    func optionalText(_ name: String) throws -> String? {
        switch self[name] {
        case .null: return nil
        case .string(let s): return s
        default: throw badArgument(name, "string expected, got \(self[name].typeName)")
        }
    }

    /// A finite number.
    func finite(_ name: String) throws -> Double {
        guard let d = self[name].doubleValue else { throw badArgument(name, "number expected, got \(self[name].typeName)") }
        guard d.isFinite else { throw badArgument(name, "must be a finite number, got \(d)") }
        return d
    }

    func optionalFinite(_ name: String) throws -> Double? { isNil(name) ? nil : try finite(name) }

    /// A finite number ≥ 0 (sizes, widths).
    func nonNegative(_ name: String) throws -> Double {
        let d = try finite(name)
        guard d >= 0 else { throw badArgument(name, "must be ≥ 0, got \(d)") }
        return d
    }

    /// An opacity in [0, 1].
    func alpha(_ name: String = "alpha") throws -> Double {
        let d = try finite(name)
        guard (0...1).contains(d) else { throw badArgument(name, "must be between 0 and 1, got \(d)") }
        return d
    }

    func flag(_ name: String) throws -> Bool {
        guard case .bool(let b) = self[name] else { throw badArgument(name, "bool expected, got \(self[name].typeName)") }
        return b
    }

    /// A string parsed by one of Plotting's `init(parsing:)`s; its message lists the accepted names.
    func parsed<T>(_ name: String, _ parse: (String) throws -> T) throws -> T {
        guard case .string(let s) = self[name] else { throw badArgument(name, "string expected, got \(self[name].typeName)") }
        do { return try parse(s) } catch let e as PlotError {
            throw badArgument(name, PlotBindings.message(e))
        }
    }

    func optionalColor(_ name: String) throws -> Color? { isNil(name) ? nil : try parsed(name) { try Color(parsing: $0) } }
    func dash(_ name: String = "dash") throws -> LineDash { try parsed(name) { try LineDash(parsing: $0) } }
    func marker(_ name: String = "marker") throws -> Marker { try parsed(name) { try Marker(parsing: $0) } }
    func colormap(_ name: String = "colormap") throws -> Colormap { try parsed(name) { try Colormap.named($0) } }

    /// `[lo, hi]` with either end nil (left to autoscale), or nil.
    func limits(_ name: String) throws -> (Double?, Double?)? {
        if isNil(name) { return nil }
        guard case .list(let l) = self[name], l.items.count == 2 else {
            throw badArgument(name, "a list [low, high] expected, got \(self[name].typeName)")
        }
        func end(_ v: Value, _ which: String) throws -> Double? {
            if v.isNil { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw badArgument(name, "\(which) must be a finite number or nil, got \(v.repr)") }
            return d
        }
        return (try end(l.items[0], "low"), try end(l.items[1], "high"))
    }

    /// A closed range from `[lo, hi]` (both given, lo ≤ hi), or nil.
    func range(_ name: String) throws -> ClosedRange<Double>? {
        guard let (lo, hi) = try limits(name) else { return nil }
        guard let lo, let hi else { throw badArgument(name, "both ends are needed, as [low, high]") }
        do { return try Axes.checkedRange(lo, hi, name) } catch let e as PlotError { throw badArgument(name, PlotBindings.message(e)) }
    }

    /// `bins`: an int count, a list of edges, or "auto".
    func bins(_ name: String = "bins") throws -> Bins {
        switch self[name] {
        case .string(let s):
            guard s == "auto" else { throw badArgument(name, "unknown bin rule '\(s)'; use \"auto\", a count or a list of edges") }
            return .auto
        case .int(let n):
            guard n >= 1 else { throw badArgument(name, "the bin count must be ≥ 1, got \(n)") }
            return .count(n)
        case .list: return .edges(try plotNumbers(name))
        default: throw badArgument(name, "int, list of edges or \"auto\" expected, got \(self[name].typeName)")
        }
    }
}
