// Diagnostics are data (Wren's manners): the interpreter never prints an error itself; it returns
// or throws these, and `render` formats them the same way for files, `-e` strings and the REPL.

/// One error (or note) about a script, with its place in the source.
public struct Diagnostic: Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var location: SourceLoc?
    /// Extra lines shown under the caret, e.g. "did you mean 'reward'?" is part of the message,
    /// while a `hint:` explains a set-up problem.
    public var hint: String?
    /// For runtime errors: the script functions that were running, innermost first.
    public var stack: [StackEntry]

    public struct StackEntry: Sendable {
        public let function: String
        public let location: SourceLoc
    }

    public init(_ severity: Severity = .error, _ message: String, at location: SourceLoc?, hint: String? = nil,
                stack: [StackEntry] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.hint = hint
        self.stack = stack
    }

    public var description: String { render(color: false) }

    /// `file:line:col: error: message`, the source line, a caret under the culprit, a hint,
    /// and for runtime errors the call stack.
    public func render(color: Bool) -> String {
        let bold = color ? "\u{1B}[1m" : "", red = color ? "\u{1B}[31;1m" : "", green = color ? "\u{1B}[32;1m" : ""
        let cyan = color ? "\u{1B}[36m" : "", reset = color ? "\u{1B}[0m" : ""
        var out = ""
        let sev = severity == .error ? "\(red)error\(reset)\(bold)" : "\(severity.rawValue)"
        if let loc = location {
            out += "\(bold)\(loc.file.name):\(loc.line):\(loc.column): \(sev): \(message)\(reset)\n"
            let text = loc.file.line(loc.line)
            if !text.isEmpty {
                let shown = text.replacingTabs()
                let gutter = String(loc.line)
                out += " \(gutter) | \(shown)\n"
                let pad = String(repeating: " ", count: gutter.count)
                let prefix = String(repeating: " ", count: max(0, loc.column - 1))
                let available = max(1, shown.unicodeScalars.count - (loc.column - 1))
                let caret = "^" + String(repeating: "~", count: max(0, min(loc.length, available) - 1))
                out += " \(pad) | \(prefix)\(green)\(caret)\(reset)\n"
            }
        } else {
            out += "\(bold)\(sev): \(message)\(reset)\n"
        }
        if let hint { out += "\(cyan)hint:\(reset) \(hint)\n" }
        if !stack.isEmpty {
            out += "call stack (innermost first):\n"
            for entry in stack.prefix(20) {
                out += "  in \(entry.function) called at \(entry.location)\n"
            }
            if stack.count > 20 { out += "  … \(stack.count - 20) more\n" }
        }
        return out
    }
}

extension String {
    /// Tabs become one space so that carets line up with columns counted in scalars.
    fileprivate func replacingTabs() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\t" ? " " : $0 }))
    }
}

/// The error `evaluate` and friends throw: one or more diagnostics. Syntax and name errors come
/// all at once; a runtime error is a single diagnostic with a call stack.
public struct ScriptError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The parser ran out of text inside a block, bracket, string or expression: a REPL should
        /// read another line and try again.
        case incompleteInput
        /// A syntax error, an unknown name or another error found before running.
        case invalidInput
        /// An error while running (including a failed assert and a script's own `error(...)`).
        case runtime
        /// The host requested an interrupt (Ctrl-C).
        case interrupted
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    public init(kind: Kind, diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }

    /// The first diagnostic's message.
    public var message: String { diagnostics.first?.message ?? "error" }

    public var description: String { render(color: false) }

    public func render(color: Bool) -> String { diagnostics.map { $0.render(color: color) }.joined() }
}
