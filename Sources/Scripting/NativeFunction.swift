// Functions written in Swift: builtins, methods of the builtin types, and whatever the Bindings
// layer registers. A function is declared by its signature text, which is parsed once and used
// both to bind arguments (positional and named, with defaults) and to show help.

/// Help text for a builtin: what `help(name)` prints and docs/language.md lists.
public struct Help: Sendable {
    public var summary: String
    public var details: String
    /// gfn code that runs as a test; its `# expect:` comments give the expected output.
    public var example: String

    public init(summary: String, details: String = "", example: String = "") {
        self.summary = summary
        self.details = details
        self.example = example
    }
}

/// A parsed signature: `name(a, b=1, *rest, c="x", **named)`.
public struct Signature: Sendable, CustomStringConvertible {
    public struct Parameter: Sendable {
        public enum Kind: Sendable { case positional, rest, keywordOnly, restNamed }
        public let name: String
        public let kind: Kind
        /// The default, if the parameter is optional. `nil` literal defaults are `.some(.null)`.
        public let defaultText: String?
        let defaultValue: SendableValue?
    }

    /// `len`, or `str.strip` for methods.
    public let name: String
    public let parameters: [Parameter]
    public let text: String
    /// Every parameter is a plain positional one (no `*rest`, keyword-only or `**named`).
    let isPositionalOnly: Bool

    public var description: String { text }

    /// Parses `name(params)`. Signatures are written by programmers, so a malformed one is a bug:
    /// it stops the program with a message naming the signature.
    public init(_ text: String) {
        self.text = text
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else {
            preconditionFailure("malformed builtin signature '\(text)'")
        }
        name = String(text[..<open]).trimmingSpaces()
        let inner = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        var params: [Parameter] = []
        var afterRest = false
        for piece in Signature.splitTopLevel(inner) {
            var p = piece.trimmingSpaces()
            if p.isEmpty { continue }
            var kind = Parameter.Kind.positional
            if p.hasPrefix("**") { kind = .restNamed; p.removeFirst(2) }
            else if p.hasPrefix("*") { kind = .rest; p.removeFirst(); afterRest = true }
            else if afterRest { kind = .keywordOnly }
            var defText: String? = nil
            if let eq = p.firstIndex(of: "=") {
                defText = String(p[p.index(after: eq)...]).trimmingSpaces()
                p = String(p[..<eq]).trimmingSpaces()
            }
            let defValue = defText.map { t -> SendableValue in
                guard let v = Signature.literal(t) else { preconditionFailure("default '\(t)' in signature '\(text)' is not a literal") }
                return v
            }
            params.append(Parameter(name: p, kind: kind, defaultText: defText, defaultValue: defValue))
        }
        parameters = params
        isPositionalOnly = params.allSatisfy { $0.kind == .positional }
    }

    /// The parameter values for a call with positional arguments only: the arguments in order,
    /// the rest in `*rest`, defaults for the parameters not given. Nil when the call does not
    /// bind (too many arguments, a parameter without default missing): the general binder then
    /// reports the error.
    func bindPositional(_ positional: [Value]) -> [Value]? {
        if isPositionalOnly && positional.count == parameters.count { return positional }
        var values: [Value] = []
        values.reserveCapacity(parameters.count)
        var pi = 0
        for p in parameters {
            switch p.kind {
            case .positional:
                if pi < positional.count {
                    values.append(positional[pi])
                    pi += 1
                } else if let d = p.defaultValue {
                    values.append(d.value)
                } else {
                    return nil
                }
            case .rest:
                values.append(.list(ListObject.make(pi == 0 ? positional : Array(positional[pi...]))))
                pi = positional.count
            case .keywordOnly:
                guard let d = p.defaultValue else { return nil }
                values.append(d.value)
            case .restNamed:
                values.append(.dict(DictObject()))
            }
        }
        return pi == positional.count ? values : nil
    }

    static func splitTopLevel(_ s: String) -> [String] {
        var out: [String] = [], cur = "", depth = 0
        var quote: Character? = nil
        for c in s {
            if let q = quote { cur.append(c); if c == q { quote = nil }; continue }
            switch c {
            case "\"", "'": quote = c; cur.append(c)
            case "(", "[", "{": depth += 1; cur.append(c)
            case ")", "]", "}": depth -= 1; cur.append(c)
            case "," where depth == 0: out.append(cur); cur = ""
            default: cur.append(c)
            }
        }
        out.append(cur)
        return out
    }

    /// A literal default: numbers, strings, true/false/nil, inf.
    static func literal(_ t: String) -> SendableValue? {
        switch t {
        case "nil": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        default: break
        }
        if let i = Int(t) { return .int(i) }
        if let d = Double(t) { return .float(d) }
        if t.count >= 2, let f = t.first, f == "\"" || f == "'", t.last == f {
            let body = String(t.dropFirst().dropLast())
            return .string(body.replacingOccurrences("\\n", "\n").replacingOccurrences("\\t", "\t"))
        }
        return nil
    }
}

/// The scalar defaults a signature can hold (kept Sendable, unlike `Value`).
public enum SendableValue: Sendable {
    case null, bool(Bool), int(Int), float(Double), string(String)
    var value: Value {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .string(s)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\n" || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\n" || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// A function implemented in Swift.
public final class NativeFunction: @unchecked Sendable {
    public typealias Body = (inout Arguments) throws -> Value

    public let signature: Signature
    public let help: Help
    /// Where `help()` groups it: "core", "math", "string", "list", "dict", "io", ...
    public let category: String
    let body: Body
    /// For a bound method (`f = xs.append`): the receiver.
    let receiver: Value?
    /// A direct form of a one-argument function for the arguments it handles at once (a number
    /// for `sqrt`, a list for `len`): it answers without binding an `Arguments`, or nil, and
    /// the call then goes through `body` as always (so every error comes from `body`). A call
    /// with binding cost more than `sqrt` itself by far (about 170 ns against a 30 ns loop step).
    let direct1: (@Sendable (Value) -> Value?)?
    /// The same for a two-argument call (`min(a, b)`, `range(a, b)`).
    let direct2: (@Sendable (Value, Value) -> Value?)?
    /// The same for a method called with no arguments (`s.upper()`, `xs.copy()`): it gets the
    /// receiver. Method call sites use it; a bound method (`f = s.upper`) does not carry it.
    let directMethod0: (@Sendable (Value) -> Value?)?

    /// The short name (`strip` for `str.strip`).
    public var name: String {
        if let dot = signature.name.lastIndex(of: ".") { return String(signature.name[signature.name.index(after: dot)...]) }
        return signature.name
    }
    /// The name with its type for methods: `str.strip`; plain name otherwise.
    public var qualifiedName: String { signature.name }

    /// Declares a function: `NativeFunction("clip(x, lo, hi)", summary: "...", example: "...") { args in ... }`.
    public init(_ signature: String, summary: String, details: String = "", example: String = "",
                category: String = "host", _ body: @escaping Body) {
        self.signature = Signature(signature)
        self.help = Help(summary: summary, details: details, example: example)
        self.category = category
        self.body = body
        self.receiver = nil
        self.direct1 = nil
        self.direct2 = nil
        self.directMethod0 = nil
    }

    /// A builtin with direct forms (see `direct1`, `direct2`, `directMethod0`).
    init(_ signature: String, summary: String, details: String = "", example: String = "",
         category: String, direct1: (@Sendable (Value) -> Value?)? = nil, direct2: (@Sendable (Value, Value) -> Value?)? = nil,
         directMethod0: (@Sendable (Value) -> Value?)? = nil, _ body: @escaping Body) {
        self.signature = Signature(signature)
        self.help = Help(summary: summary, details: details, example: example)
        self.category = category
        self.body = body
        self.receiver = nil
        self.direct1 = direct1
        self.direct2 = direct2
        self.directMethod0 = directMethod0
    }

    init(bound original: NativeFunction, to receiver: Value) {
        self.signature = original.signature
        self.help = original.help
        self.category = original.category
        self.body = original.body
        self.receiver = receiver
        self.direct1 = nil
        self.direct2 = nil
        self.directMethod0 = nil
    }

    /// For completion and help lists.
    public var memberInfo: MemberInfo {
        MemberInfo(name: name, kind: .method, signature: signature.text.replacingOccurrences(signature.name + "(", name + "("),
                   summary: help.summary)
    }

    /// Binds positional and named arguments to the signature's parameters.
    func bind(_ positional: [Value], _ named: [(String, Value)], receiver: Value, interpreter: Interpreter) throws -> Arguments {
        // Every parameter given by position (`sqrt(x)`, `xs.append(x)`): the values are the arguments.
        if named.isEmpty, let values = signature.bindPositional(positional) {
            return Arguments(function: self, receiverValue: receiver, values: values, interpreter: interpreter)
        }
        var slots = [Value?](repeating: nil, count: signature.parameters.count)
        let params = signature.parameters
        var pi = 0
        var rest: [Value] = []
        var restIndex: Int? = nil, namedIndex: Int? = nil
        for (i, p) in params.enumerated() {
            if p.kind == .rest { restIndex = i }
            if p.kind == .restNamed { namedIndex = i }
        }
        for v in positional {
            while pi < params.count && params[pi].kind != .positional { if params[pi].kind == .rest { break }; pi += 1 }
            if pi < params.count && params[pi].kind == .positional {
                slots[pi] = v
                pi += 1
            } else if restIndex != nil {
                rest.append(v)
            } else {
                let maxCount = params.filter { $0.kind == .positional }.count
                throw Failure("too many arguments to '\(signature.name)' (expected at most \(maxCount), got \(positional.count))")
            }
        }
        var extra: [(String, Value)] = []
        for (name, v) in named {
            if let i = params.firstIndex(where: { $0.name == name && ($0.kind == .positional || $0.kind == .keywordOnly) }) {
                if slots[i] != nil { throw Failure("argument '\(name)' to '\(signature.name)' given twice") }
                slots[i] = v
            } else if namedIndex != nil {
                extra.append((name, v))
            } else {
                let names = params.filter { $0.kind == .positional || $0.kind == .keywordOnly }.map(\.name)
                throw Failure("unknown argument '\(name)' to '\(signature.name)'" + Suggest.didYouMean(name, names)
                              + (names.isEmpty ? " (it takes no named arguments)" : ""))
            }
        }
        var values: [Value] = []
        values.reserveCapacity(params.count)
        for (i, p) in params.enumerated() {
            switch p.kind {
            case .rest: values.append(.list(ListObject.make(rest)))
            case .restNamed:
                let d = DictObject()
                for (k, v) in extra { d[.string(k)] = v }
                values.append(.dict(d))
            case .positional, .keywordOnly:
                if let v = slots[i] { values.append(v) }
                else if let d = p.defaultValue { values.append(d.value) }
                else { throw Failure("missing argument '\(p.name)' to '\(signature.name)'") }
            }
        }
        _ = restIndex
        return Arguments(function: self, receiverValue: receiver, values: values, interpreter: interpreter)
    }
}

/// The arguments of a native call, bound to the signature's parameters (defaults filled in).
/// Typed accessors throw "bad argument 'x' to 'f' (number expected, got string)".
public struct Arguments {
    public let function: NativeFunction
    /// The object a method was called on (`.null` for plain functions).
    public let receiverValue: Value
    /// One value per signature parameter, in order; a `*rest` parameter holds a list and a
    /// `**named` parameter a dict.
    public var values: [Value]
    /// The interpreter running the call: use it to call script functions back (`call`), write
    /// output, or check for an interrupt in long loops (`checkInterrupt()`).
    public unowned(unsafe) let interpreter: Interpreter
    /// Where the call is in the script (for errors raised by callbacks).
    public internal(set) var location: SourceLoc? = nil

    public var count: Int { values.count }

    /// Calls a script function (or any callable) from inside a native function, e.g. the `f` of
    /// `map(f, xs)`. Errors propagate with the script's call stack.
    public func call(_ function: Value, _ arguments: [Value], named: [(String, Value)] = []) throws -> Value {
        try Calls.call(function, arguments, named, st: interpreter.state, loc: location ?? Interpreter.hostLocation)
    }

    /// Calls a function with one argument (the fast path for map, filter and keys).
    public func call(_ function: Value, _ argument: Value) throws -> Value {
        try Calls.call1(function, argument, st: interpreter.state, loc: location ?? Interpreter.hostLocation)
    }

    /// Calls a function with two arguments and no argument array (the fast path for reduce).
    public func call(_ function: Value, _ a0: consuming Value, _ a1: consuming Value) throws -> Value {
        try Calls.call2(function, a0, a1, st: interpreter.state, loc: location ?? Interpreter.hostLocation)
    }

    /// A caller of `function` with one argument, for a loop that calls it once per element.
    func caller1(_ function: Value) -> Caller1 {
        Caller1(function, st: interpreter.state, loc: location ?? Interpreter.hostLocation)
    }

    public subscript(_ i: Int) -> Value { values[i] }

    /// The value of the parameter named `name`.
    public subscript(_ name: String) -> Value { values[index(name)] }

    func index(_ name: String) -> Int {
        guard let i = function.signature.parameters.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("'\(function.signature.name)' has no parameter '\(name)'")
        }
        return i
    }

    func paramName(_ i: Int) -> String { function.signature.parameters[i].name }

    /// "bad argument 'x' to 'f' (number expected, got string)".
    public func badArgument(_ i: Int, _ expected: String) -> Error {
        Failure("bad argument '\(paramName(i))' to '\(function.qualifiedName)' (\(expected) expected, got \(values[i].typeName))")
    }

    public func badArgument(_ name: String, _ message: String) -> Error {
        Failure("bad argument '\(name)' to '\(function.qualifiedName)' (\(message))")
    }

    public func int(_ i: Int) throws -> Int {
        switch values[i] {
        case .int(let v): return v
        case .float(let d) where d.rounded() == d && d.magnitude < 9.2e18: return Int(d)
        case .bool(let b): return b ? 1 : 0
        default: throw badArgument(i, "int")
        }
    }
    public func int(_ name: String) throws -> Int { try int(index(name)) }
    public func optionalInt(_ i: Int) throws -> Int? { values[i].isNil ? nil : try int(i) }
    public func optionalInt(_ name: String) throws -> Int? { try optionalInt(index(name)) }

    public func double(_ i: Int) throws -> Double {
        switch values[i] {
        case .int(let v): return Double(v)
        case .float(let d): return d
        default: throw badArgument(i, "number")
        }
    }
    public func double(_ name: String) throws -> Double { try double(index(name)) }
    public func optionalDouble(_ name: String) throws -> Double? { values[index(name)].isNil ? nil : try double(index(name)) }

    public func string(_ i: Int) throws -> String {
        guard case .string(let s) = values[i] else { throw badArgument(i, "string") }
        return s
    }
    public func string(_ name: String) throws -> String { try string(index(name)) }
    public func optionalString(_ name: String) throws -> String? { values[index(name)].isNil ? nil : try string(index(name)) }

    public func bool(_ i: Int) throws -> Bool {
        guard case .bool(let b) = values[i] else { throw badArgument(i, "bool") }
        return b
    }
    public func bool(_ name: String) throws -> Bool { try bool(index(name)) }

    public func list(_ i: Int) throws -> ListObject {
        guard case .list(let l) = values[i] else { throw badArgument(i, "list") }
        return l
    }
    public func list(_ name: String) throws -> ListObject { try list(index(name)) }

    public func dict(_ i: Int) throws -> DictObject {
        guard case .dict(let d) = values[i] else { throw badArgument(i, "dict") }
        return d
    }
    public func dict(_ name: String) throws -> DictObject { try dict(index(name)) }

    /// A function value (script or native).
    public func callable(_ i: Int) throws -> Value {
        switch values[i] {
        case .function, .builtin: return values[i]
        default: throw badArgument(i, "function")
        }
    }
    public func callable(_ name: String) throws -> Value { try callable(index(name)) }

    /// The receiver of a method, as the host class that implements it.
    public func receiver<T: NativeObject>(_ type: T.Type) throws -> T {
        if case .native(let o) = receiverValue, let t = o as? T { return t }
        throw Failure("'\(function.qualifiedName)' must be called on a \(T.self), not on \(receiverValue.typeName)")
    }

    /// The elements of a list, range, string, dict (keys) or iterable native object.
    public func sequence(_ i: Int) throws -> [Value] {
        guard let items = try Iteration.elements(values[i], limits: interpreter.limits) else { throw badArgument(i, "list") }
        return items
    }
    public func sequence(_ name: String) throws -> [Value] { try sequence(index(name)) }

    /// Numbers from a list (ints and floats).
    public func numbers(_ i: Int) throws -> [Double] {
        try sequence(i).map { v -> Double in
            guard let d = v.doubleValue else {
                throw badArgument(paramName(i), "list of numbers expected, found \(v.typeName)")
            }
            return d
        }
    }
}
