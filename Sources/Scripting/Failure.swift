// Errors while running. Hosts throw `RuntimeError` from native functions; inside the interpreter
// every runtime error travels as a `Failure`, which collects the location and the script call
// stack on its way out and becomes a `ScriptError` at the API boundary.

import EditDistance

/// The error a native function (a binding) throws to fail a call with a message. Other Swift
/// errors thrown by natives are reported with their description.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { message }
}

/// A runtime error in flight. A class, so that appending stack entries while unwinding is cheap.
final class Failure: Error, @unchecked Sendable {
    var message: String
    var loc: SourceLoc?
    var stack: [Diagnostic.StackEntry] = []
    var hint: String?
    var interrupted = false
    /// What the script passed to `error(...)`, for `catch e { e.value }`.
    var value: Value?

    init(_ message: String, at loc: SourceLoc? = nil, hint: String? = nil) {
        self.message = message
        self.loc = loc
        self.hint = hint
    }

    static func interrupt(at loc: SourceLoc?) -> Failure {
        let f = Failure("interrupted", at: loc)
        f.interrupted = true
        return f
    }

    /// Turns any error from a native call into a Failure located at the call.
    static func wrap(_ error: Error, at loc: SourceLoc) -> Failure {
        if let f = error as? Failure {
            if f.loc == nil { f.loc = loc }
            return f
        }
        if let r = error as? RuntimeError { return Failure(r.message, at: loc, hint: r.hint) }
        if let s = error as? ScriptError, let d = s.diagnostics.first {
            let f = Failure(d.message, at: d.location ?? loc, hint: d.hint)
            f.stack = d.stack
            f.interrupted = s.kind == .interrupted
            return f
        }
        return Failure("\(error)", at: loc)
    }

    var scriptError: ScriptError {
        ScriptError(kind: interrupted ? .interrupted : .runtime,
                    diagnostics: [Diagnostic(.error, message, at: loc, hint: hint, stack: stack)])
    }
}

/// "did you mean": the one typo matcher of the language, the REPL and the command line.
public enum Suggest {
    /// Case-insensitive edit distance with adjacent swaps counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        editDistance(a.lowercased().unicodeScalars, b.lowercased().unicodeScalars, transpositions: true)
    }

    /// The nearest candidate within a distance that grows with the name's length.
    public static func nearest(_ name: String, _ candidates: [String]) -> String? {
        let limit = max(1, min(3, name.count / 3 + 1))
        var best: (String, Int)? = nil
        for c in candidates where c != name {
            let d = distance(name, c)
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or "".
    public static func didYouMean(_ name: String, _ candidates: [String]) -> String {
        nearest(name, candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
