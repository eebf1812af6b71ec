import Foundation

/// Reading numbers and flags out of `JSONSerialization` results strictly: Foundation hands back
/// `true` as an NSNumber equal to 1 and 5.5 as one whose `intValue` is 5, so a loose `as? NSNumber`
/// would accept `"n_layer": true` or a vocabulary id of 5.5 without a word.
public enum JSONScalars {
    /// Whether `value` is a JSON `true`/`false` (Foundation's boolean NSNumber reports type "c").
    public static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// A JSON number that is not a boolean.
    public static func number(_ value: Any) -> NSNumber? {
        guard let number = value as? NSNumber, !isBool(number) else { return nil }
        return number
    }

    /// A JSON number that is a whole number representable exactly as Int (|n| < 9·10^15, below
    /// Double's 2^53); not a boolean, not 5.5.
    public static func integer(_ value: Any) -> Int? {
        guard let number = number(value) else { return nil }
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    /// A JSON `true` or `false`.
    public static func bool(_ value: Any) -> Bool? {
        guard isBool(value), let number = value as? NSNumber else { return nil }
        return number.boolValue
    }

    /// How a JSON value is named in messages: "true", "a string", "a list", …
    public static func describe(_ value: Any) -> String {
        if let b = bool(value) { return b ? "true" : "false" }
        if let n = number(value) { return "\(n)" }
        if let s = value as? String { return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\"" }
        if value is [Any] { return "a list" }
        if value is [String: Any] { return "an object" }
        if value is NSNull { return "null" }
        return "\(type(of: value))"
    }
}
