// Texts built from a training example: the policy's prompt, a reward's context and observed
// continuation, buffer seeds. A script gives a template string with {field} placeholders or a
// function of the example.
import GFlowNets
import Scripting

/// A dataset row handed through the engine untouched (`TrainingPrompt.example`).
final class ExampleBox {
    let index: Int
    let value: Value
    init(index: Int, value: Value) {
        self.index = index
        self.value = value
    }
}

/// How a text is made from an example: a template whose `{field}`s are the example's fields
/// (`{{` and `}}` are literal braces), or a function called with the example.
enum ExampleText {
    case template(String)
    case function(Value)

    /// `args[name]` as a template string or a function; nil when the argument is nil.
    static func argument(_ args: Arguments, _ name: String) throws -> ExampleText? {
        switch args[name] {
        case .null: return nil
        case .string(let s): return .template(s)
        case .function, .builtin: return .function(args[name])
        case let other: throw args.badArgument(name, "a template string (fields as {name}) or a function of the example expected, got \(other.typeName)")
        }
    }

    /// The field names a template uses (empty for a function or a template without fields).
    var fields: [String] {
        guard case .template(let s) = self else { return [] }
        return (try? Self.parse(s).compactMap { if case .field(let f) = $0 { return f } else { return nil } }) ?? []
    }

    enum Piece { case text(String), field(String) }

    static func parse(_ s: String) throws -> [Piece] {
        var pieces: [Piece] = [], text = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i], next = s.index(after: i)
            if c == "{" || c == "}" {
                if next < s.endIndex && s[next] == c { text.append(c); i = s.index(after: next); continue }
                guard c == "{", let close = s[next...].firstIndex(of: "}") else {
                    throw RuntimeError("template \"\(s)\": a single '\(c)' (write '\(c)\(c)' for a literal brace)")
                }
                let name = String(s[next..<close])
                guard !name.isEmpty, !name.contains("{") else { throw RuntimeError("template \"\(s)\": an empty or nested {field}") }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.field(name))
                i = s.index(after: close)
            } else {
                text.append(c)
                i = next
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// The text for `example` (nil: a plain prompt, which only a template without fields can serve).
    /// `what` names the argument in errors, e.g. "prompt".
    func render(_ example: ExampleBox?, interpreter: Interpreter, what: String) throws -> String {
        switch self {
        case .template(let s):
            var out = ""
            for piece in try Self.parse(s) {
                switch piece {
                case .text(let t): out += t
                case .field(let name):
                    guard let example else {
                        throw RuntimeError("\(what): the template uses {\(name)}, which needs examples (give examples= to the tuner)")
                    }
                    guard case .dict(let d) = example.value else {
                        throw RuntimeError("\(what): example \(example.index) is \(example.value.typeNameWithArticle); templates need dicts")
                    }
                    guard let v = d[name] else {
                        let known = d.pairs.compactMap { $0.0.value.stringValue }.joined(separator: ", ")
                        throw RuntimeError("\(what): example \(example.index) has no field '\(name)' (it has: \(known))")
                    }
                    out += v.stringValue ?? v.description
                }
            }
            return out
        case .function(let f):
            guard let example else { throw RuntimeError("\(what): a function of the example needs examples (give examples= to the tuner)") }
            let v = try interpreter.call(f, [example.value])
            guard let s = v.stringValue else {
                throw RuntimeError("\(what): the function returned \(v.typeName) for example \(example.index), a string is needed")
            }
            return s
        }
    }
}

/// Token ids of an `ExampleText` per training item, encoded once per item key.
final class ExampleTokens {
    let text: ExampleText
    let what: String
    private let lm: ModelObject
    private unowned let interpreter: Interpreter
    private var cache: [String: [Int]] = [:]

    init(_ text: ExampleText, lm: ModelObject, interpreter: Interpreter, what: String) {
        self.text = text
        self.lm = lm
        self.interpreter = interpreter
        self.what = what
    }

    func tokens(_ context: RewardContext) throws -> [Int] {
        if let hit = cache[context.key] { return hit }
        let rendered = try text.render(context.example as? ExampleBox, interpreter: interpreter, what: what)
        let ids = try lm.encode(rendered)
        guard !ids.isEmpty else { throw RuntimeError("\(what): \"\(rendered)\" encodes to no tokens (example key \(context.key))") }
        if cache.count > 100_000 { cache.removeAll() }
        cache[context.key] = ids
        return ids
    }
}
