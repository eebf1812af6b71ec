// Tab completion for the REPL, from the text before the cursor:
//   - keywords, globals and builtins for a plain word;
//   - properties and methods after `.`, from the actual value (`xs.ap` → `append(`); the value is
//     found by looking names up, never by running code (no calls, no indexing);
//   - named arguments inside a call (`sorted(xs, re` → `reverse=`);
//   - file paths inside a string literal (`read_text("da` → `data/`) and after `:load`/`:save`;
//   - REPL commands after `:`.

import Foundation
import Scripting

/// What Tab offers: replace the last `replaceCount` characters before the cursor with a candidate.
public struct Completion: Equatable, Sendable {
    public var replaceCount: Int
    public var candidates: [String]

    public init(replaceCount: Int, candidates: [String]) {
        self.replaceCount = replaceCount
        self.candidates = candidates
    }

    /// The longest prefix all candidates share.
    public var commonPrefix: String {
        guard var prefix = candidates.first else { return "" }
        for c in candidates.dropFirst() {
            while !c.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

/// Computes completions against a live interpreter.
public struct Completer {
    public let interpreter: Interpreter
    public var commands: [String]

    public init(interpreter: Interpreter, commands: [String] = REPL.commandNames) {
        self.interpreter = interpreter
        self.commands = commands
    }

    /// Completions for `text`, the line up to the cursor.
    public func complete(_ text: String) -> Completion {
        if text.hasPrefix(":") { return completeCommand(text) }
        if text.hasPrefix("?") {
            let word = String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
            return memberOrName(word)
        }
        let scan = LineScan(text)
        if let start = scan.openString {
            let fragment = String(text.unicodeScalars.dropFirst(start))
            return Completion(replaceCount: fragment.unicodeScalars.count, candidates: Completer.paths(fragment))
        }
        let word = Completer.trailingWord(text)
        let before = String(text.unicodeScalars.dropLast(word.unicodeScalars.count))
        if before.hasSuffix(".") {
            let base = String(before.dropLast())
            guard let value = resolve(base) else { return Completion(replaceCount: word.unicodeScalars.count, candidates: []) }
            return Completion(replaceCount: word.unicodeScalars.count, candidates: memberCandidates(value, prefix: word))
        }
        var candidates: [String] = []
        let trimmed = before.trimmingCharacters(in: .whitespaces)
        if let open = scan.openParen, trimmed.hasSuffix("(") || trimmed.hasSuffix(",") {
            let callee = String(text.unicodeScalars.prefix(open))
            if let f = resolve(callee) {
                candidates += argumentNames(f).filter { $0.hasPrefix(word) }.map { $0 + "=" }
            }
        }
        candidates += interpreter.completions(prefix: word).filter { $0 != "_" || word == "_" }
        return Completion(replaceCount: word.unicodeScalars.count, candidates: candidates)
    }

    // MARK: - Pieces

    private func completeCommand(_ text: String) -> Completion {
        if let space = text.firstIndex(of: " ") {
            let command = String(text[..<space])
            let argument = String(text[text.index(after: space)...]).trimmingCharacters(in: .whitespaces)
            switch command {
            case ":load", ":save":
                return Completion(replaceCount: argument.unicodeScalars.count, candidates: Completer.paths(argument))
            case ":time":
                return complete(argument)
            case ":help":
                return memberOrName(argument)
            default:
                return Completion(replaceCount: 0, candidates: [])
            }
        }
        return Completion(replaceCount: text.unicodeScalars.count, candidates: commands.filter { $0.hasPrefix(text) })
    }

    /// `?name` and `?xs.map`: names, or members of a value.
    private func memberOrName(_ word: String) -> Completion {
        if let dot = word.lastIndex(of: ".") {
            let prefix = String(word[word.index(after: dot)...])
            guard let value = resolve(String(word[..<dot])) else { return Completion(replaceCount: prefix.count, candidates: []) }
            return Completion(replaceCount: prefix.unicodeScalars.count,
                              candidates: interpreter.members(of: value).map(\.name).filter { $0.hasPrefix(prefix) }.sorted())
        }
        return Completion(replaceCount: word.unicodeScalars.count, candidates: interpreter.completions(prefix: word))
    }

    private func memberCandidates(_ value: Value, prefix: String) -> [String] {
        interpreter.members(of: value)
            .filter { $0.name.hasPrefix(prefix) }
            .map { $0.kind == .method ? $0.name + "(" : $0.name }
            .sorted()
    }

    /// Names a callable accepts by name: its own, or a method's (`xs.sort(`).
    private func argumentNames(_ callee: Value) -> [String] {
        interpreter.parameterNames(of: callee)
    }

    /// The value an expression at the end of `text` denotes, found without running code: a name
    /// followed by properties (`model.config`), a method of it (`xs.sort`), a string literal or a
    /// list or dict literal.
    func resolve(_ text: String) -> Value? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("\"") || t.hasSuffix("'") { return .string("") }
        if t.hasSuffix("]") {
            // A list literal (not indexing, which would need evaluation).
            guard let open = LineScan.matchingOpen(t), open == 0 || !LineScan.isIdentifierOrClose(t.unicodeScalars[t.unicodeScalars.index(t.unicodeScalars.startIndex, offsetBy: open - 1)]) else { return nil }
            return .makeList([])
        }
        if t.hasSuffix("}") {
            guard let open = LineScan.matchingOpen(t) else { return nil }
            let prefixText = String(t.unicodeScalars.prefix(open)).trimmingCharacters(in: .whitespaces)
            if prefixText.isEmpty || prefixText.hasSuffix("=") || prefixText.hasSuffix("(") || prefixText.hasSuffix(",") { return .makeDict([]) }
            return nil
        }
        let chain = Completer.trailingChain(t)
        guard !chain.isEmpty, let first = chain.first, var value = interpreter.global(first) else { return nil }
        for name in chain.dropFirst() {
            guard let next = member(of: value, name) else { return nil }
            value = next
        }
        return value
    }

    /// A property of a native object, or a method of any value, as a value (for chains).
    private func member(of value: Value, _ name: String) -> Value? {
        switch value {
        case .native(let o):
            if let p = try? o.property(name) { return p }
            if let m = o.method(name) { return .builtin(m) }
            return nil
        case .string: return interpreter.library.methods["string"]?[name].map { .builtin($0) }
        case .list: return interpreter.library.methods["list"]?[name].map { .builtin($0) }
        case .dict: return interpreter.library.methods["dict"]?[name].map { .builtin($0) }
        case .range: return interpreter.library.methods["range"]?[name].map { .builtin($0) }
        default: return nil
        }
    }

    /// `model.config.n` at the end of the text → ["model", "config", "n"]; empty if the text does
    /// not end in such a chain.
    static func trailingChain(_ text: String) -> [String] {
        var scalars = Array(text.unicodeScalars)
        var names: [String] = []
        while true {
            var name = ""
            while let last = scalars.last, LineScan.isIdentifier(last) {
                name = String(last) + name
                scalars.removeLast()
            }
            guard !name.isEmpty, let f = name.unicodeScalars.first, !("0"..."9").contains(f) else { return [] }
            names.insert(name, at: 0)
            if scalars.last == "." { scalars.removeLast() } else { break }
        }
        return names
    }

    static func trailingWord(_ text: String) -> String {
        var word = ""
        for s in text.unicodeScalars.reversed() {
            guard LineScan.isIdentifier(s) else { break }
            word.unicodeScalars.insert(s, at: word.unicodeScalars.startIndex)
        }
        return word
    }

    /// Paths starting with `fragment` (relative to the working directory; `~/` is expanded for
    /// listing but kept as typed). Folders end with `/`.
    static func paths(_ fragment: String) -> [String] {
        let fm = FileManager.default
        let slash = fragment.lastIndex(of: "/")
        let dirPart = slash.map { String(fragment[...$0]) } ?? ""
        let namePart = slash.map { String(fragment[fragment.index(after: $0)...]) } ?? fragment
        var listed = dirPart.isEmpty ? "." : dirPart
        if listed.hasPrefix("~") { listed = (listed as NSString).expandingTildeInPath }
        guard let names = try? fm.contentsOfDirectory(atPath: listed) else { return [] }
        return names.filter { $0.hasPrefix(namePart) && (namePart.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map { name in
            var isDir: ObjCBool = false
            let full = (listed as NSString).appendingPathComponent(name)
            _ = fm.fileExists(atPath: full, isDirectory: &isDir)
            return dirPart + name + (isDir.boolValue ? "/" : "")
        }
    }
}

/// A light scan of an input line: where an unclosed string starts, and the innermost unclosed `(`.
struct LineScan {
    /// Scalar offset just after the opening quote of a string the text ends inside.
    var openString: Int?
    /// Scalar offset of the innermost unclosed `(`.
    var openParen: Int?

    init(_ text: String) {
        let s = Array(text.unicodeScalars)
        var stack: [(Character, Int)] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == "#" { break }
            if c == "\"" || c == "'" {
                let triple = i + 2 < s.count && s[i + 1] == c && s[i + 2] == c
                let quoteLen = triple ? 3 : 1
                var j = i + quoteLen
                var closed = false
                while j < s.count {
                    if s[j] == "\\" { j += 2; continue }
                    if s[j] == c && (!triple || (j + 2 < s.count && s[j + 1] == c && s[j + 2] == c)) {
                        closed = true
                        break
                    }
                    j += 1
                }
                if !closed { openString = i + quoteLen; return }
                i = j + quoteLen
                continue
            }
            switch c {
            case "(", "[", "{": stack.append((Character(c), i))
            case ")", "]", "}": if !stack.isEmpty { stack.removeLast() }
            default: break
            }
            i += 1
        }
        openParen = stack.last(where: { $0.0 == "(" }).flatMap { top in stack.last!.0 == "(" ? top.1 : nil }
    }

    /// The offset of the bracket matching the closing bracket at the end of `text`.
    static func matchingOpen(_ text: String) -> Int? {
        let s = Array(text.unicodeScalars)
        var depth = 0
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            switch s[i] {
            case ")", "]", "}": depth += 1
            case "(", "[", "{":
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
        }
        return nil
    }

    static func isIdentifier(_ s: Unicode.Scalar) -> Bool {
        s == "_" || ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    static func isIdentifierOrClose(_ s: Unicode.Scalar) -> Bool {
        isIdentifier(s) || s == ")" || s == "]" || s == "\"" || s == "'"
    }
}
