// The wording of errors that many places raise, in one place, so that every site says it the same
// way and the grammar in docs/language.md §6 is the grammar of the code (ErrorGrammarTests checks
// each of the doc's forms against what scripts actually get). Advice goes on the `hint:` line,
// never inside the message.

enum ErrorText {
    /// A type name after "an" before a vowel, else "a": "an int", "a list".
    static func withArticle(_ name: String) -> String {
        (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }

    /// `list too large (N elements; limit is M)`; `what` is list, dict, string or file, and
    /// `unit` elements, entries or bytes. `count` is what the operation would have made.
    static func tooLarge(_ what: String, _ count: some CustomStringConvertible, _ unit: String,
                         limit: some CustomStringConvertible) -> String {
        "\(what) too large (\(count) \(unit); limit is \(limit))"
    }

    static func listTooLarge(_ count: some CustomStringConvertible, limit: Int) -> String {
        tooLarge("list", count, "elements", limit: limit)
    }

    static func stringTooLarge(_ bytes: some CustomStringConvertible, limit: Int) -> String {
        tooLarge("string", bytes, "bytes", limit: limit)
    }

    /// `a * b` as an exact decimal even when it overflows Int (for the count of a repetition).
    static func product(_ a: Int, _ b: Int) -> String {
        let (high, low) = a.multipliedFullWidth(by: b)
        if (high == 0 && Int(bitPattern: low) >= 0) || (high == -1 && Int(bitPattern: low) < 0) { return String(Int(bitPattern: low)) }
        return String(Int128(a) * Int128(b))
    }

    /// `unsupported operand types for +: int and string`.
    static func unsupportedOperands(_ op: String, _ a: Value, _ b: Value) -> String {
        "unsupported operand types for \(op): \(a.typeName) and \(b.typeName)"
    }

    /// `unsupported operand type for unary -: string`.
    static func unsupportedOperand(_ op: String, _ v: Value) -> String {
        "unsupported operand type for unary \(op): \(v.typeName)"
    }

    /// The hint for `+` between a string and something else.
    static let concatenationHint = "convert with str(x) or use \"{x}\""
}
