/// Mutations of text: scripts of the language (deleting, inserting, duplicating and splicing
/// spans and lines, with fragments that stress the lexer, parser and runtime) and the lines of
/// text files such as merges.txt.
public enum TextMutator {
    static let scriptFragments = [
        "{", "}", "(", ")", "[", "]", ",", "\"", "'", "\"\"\"", "fn", "fn(x) { x }", "x => x", "while true { }", "for i in range(3) { }",
        "if", "else", "return", "break", "continue", "**", "9223372036854775807", "-9223372036854775808", "-", "+", "*", "/", "//",
        "%", ".", "=", "==", "=>", "#", "# %%", "\n", ";", "nil", "1e308", "-1e308", "0", "0.0", "[1, 2]", "{\"a\": 1}", "{x}", "{x:.2f}",
        "\\", "\\u{110000}", "try {", "catch e {", "error(\"x\")", "assert false", "global g", "param p = 1", "import \"x.gfn\"",
        "range(1000000000)", "* 100000000", "len(", ".map(f)", "[::-1]", "[1:-1:0]", "not", "and", "or", "in", "é", "\u{1F600}", "\t",
        "args", "_", "float(\"nan\")", "float(\"inf\")", "1 // 0", "1 % 0", "2 ** 64", "2 ** -1", "sort([nil, 1])",
        "parse_json(\"[[[[[[[[[[\")", "\"{\" * 100000", "x = x", "fn f() { return f() }\nf()", "sleep(1000)",
    ]

    /// 1–3 mutations of a script; `donors` give whole lines to splice in.
    public static func mutateScript(_ source: String, _ rng: inout FuzzRandom, donors: [String]) -> String {
        var chars = Array(source)
        for _ in 0..<(1 + rng.below(3)) {
            switch rng.below(7) {
            case 0 where !chars.isEmpty:
                let a = rng.below(chars.count)
                chars.removeSubrange(a..<min(chars.count, a + 1 + rng.below(8)))
            case 1, 2:
                chars.insert(contentsOf: Array(rng.pick(scriptFragments)), at: rng.below(chars.count + 1))
            case 3 where chars.count > 2:
                let a = rng.below(chars.count)
                let span = Array(chars[a..<min(chars.count, a + 1 + rng.below(20))])
                chars.insert(contentsOf: span, at: rng.below(chars.count + 1))
            case 4 where !donors.isEmpty:
                let lines = rng.pick(donors).split(separator: "\n", omittingEmptySubsequences: false)
                if !lines.isEmpty { chars.insert(contentsOf: Array(String(rng.pick(lines)) + "\n"), at: rng.below(chars.count + 1)) }
            case 5 where !chars.isEmpty:
                let pool = Array("(){}[]\"',.:;=+-*/%<>!#\n 0123456789xyz")
                chars[rng.below(chars.count)] = rng.pick(pool)
            default:
                var lines = String(chars).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.count > 1 { lines.swapAt(rng.below(lines.count), rng.below(lines.count)) }
                chars = Array(lines.joined(separator: "\n"))
            }
        }
        return String(chars)
    }

    /// Line-level damage to a text file: lines dropped, duplicated, emptied, doubled in length,
    /// given an extra space or made a megabyte long; or the bytes mutated as binary.
    public static func mutateLines(_ bytes: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty, rng.chance(0.7) else { return ByteMutator.mutate(bytes, &rng) }
        let i = rng.below(lines.count)
        switch rng.below(6) {
        case 0: lines.remove(at: i)
        case 1: lines.insert(lines[i], at: rng.below(lines.count + 1))
        case 2: lines[i] = ""
        case 3: lines[i] += " " + lines[i]
        case 4: lines[i] = String(repeating: "x", count: 1 << (10 + rng.below(11)))
        default: lines = Array(lines.prefix(i))
        }
        return Array(lines.joined(separator: "\n").utf8)
    }
}
