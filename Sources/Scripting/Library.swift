// The registry of builtins: one list of functions, methods by type and constants, each with its
// signature and help. It feeds the globals, `help`, REPL completion, docs/language.md and the
// example tests. The Bindings layer adds to it through `Interpreter.register`.

/// The builtins of an interpreter.
public struct Library {
    public private(set) var functions: [NativeFunction] = []
    /// Methods by type name ("string", "list", "dict", "range"), then by method name.
    public private(set) var methods: [String: [String: NativeFunction]] = [:]
    /// Global values with help: `pi`, `inf`, `nan`, modules registered by bindings.
    public private(set) var constants: [(String, Value, Help)] = []

    mutating func add(_ f: NativeFunction) {
        functions.removeAll { $0.name == f.name }
        functions.append(f)
    }

    mutating func addMethod(_ f: NativeFunction, on type: String) {
        methods[type, default: [:]][f.name] = f
    }

    mutating func addConstant(_ name: String, _ value: Value, _ help: Help) {
        constants.removeAll { $0.0 == name }
        constants.append((name, value, help))
    }

    /// Every function and method, methods named `type.name`, in a stable order.
    public var allEntries: [NativeFunction] {
        functions + methods.keys.sorted().flatMap { t in methods[t]!.keys.sorted().map { methods[t]![$0]! } }
    }

    func methodInfo(_ type: String) -> [MemberInfo] {
        (methods[type] ?? [:]).values.map(\.memberInfo).sorted { $0.name < $1.name }
    }

    /// The help page of a builtin, method or constant.
    public func help(for name: String) -> String? {
        var key = name
        if key.hasPrefix("str.") { key = "string." + key.dropFirst(4) }
        if let f = functions.first(where: { $0.name == key }) { return Library.page(f) }
        if let dot = key.firstIndex(of: ".") {
            let type = String(key[..<dot]), m = String(key[key.index(after: dot)...])
            if let f = methods[type]?[m] { return Library.page(f) }
        }
        if let c = constants.first(where: { $0.0 == key }) {
            var out = "\(c.0)\n\n\(c.2.summary)\n"
            if !c.2.details.isEmpty { out += "\n\(c.2.details)\n" }
            if !c.2.example.isEmpty { out += "\nexample:\n" + c.2.example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n" }
            return out
        }
        if let t = methods[key] {
            return "methods of \(key):\n" + t.keys.sorted().map { "  \(t[$0]!.memberInfo.signature) — \(t[$0]!.help.summary)" }.joined(separator: "\n") + "\n"
        }
        return nil
    }

    static func page(_ f: NativeFunction) -> String {
        var out = "\(f.signature.text)\n\n\(f.help.summary)\n"
        if !f.help.details.isEmpty { out += "\n\(f.help.details)\n" }
        if !f.help.example.isEmpty {
            out += "\nexample:\n" + f.help.example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// "list has no method 'apend' (did you mean 'append'?)".
    func noMember(_ v: Value, _ name: String, _ loc: SourceLoc) -> Failure {
        let key: String
        switch v {
        case .string: key = "string"
        case .list: key = "list"
        case .dict: key = "dict"
        case .range: key = "range"
        default: return Failure("\(v.typeName) has no member '\(name)'", at: loc)
        }
        var msg = "\(v.typeName) has no method '\(name)'" + Suggest.didYouMean(name, Array((methods[key] ?? [:]).keys))
        if case .dict = v { msg += " (dict entries are read with d[\"\(name)\"])" }
        return Failure(msg, at: loc)
    }

    /// The standard library, built once.
    nonisolated(unsafe) static let standard: Library = {
        var lib = Library()
        for f in CoreLibrary.functions { lib.add(f) }
        for f in CollectionsLibrary.functions { lib.add(f) }
        for f in MathLibrary.functions { lib.add(f) }
        for f in IOLibrary.functions { lib.add(f) }
        lib.add(CSVReader.function)
        for f in SystemLibrary.functions { lib.add(f) }
        for f in StringMethods.all { lib.addMethod(f, on: "string") }
        for f in ListMethods.all { lib.addMethod(f, on: "list") }
        for f in DictMethods.all { lib.addMethod(f, on: "dict") }
        for (n, v, h) in MathLibrary.constants { lib.addConstant(n, v, h) }
        return lib
    }()
}

extension Library {
    /// The builtin reference as Markdown (section 8 of docs/language.md is exactly this text;
    /// a test keeps them equal).
    public func referenceMarkdown() -> String {
        var out = ""
        let groups: [(String, String)] = [("core", "Core"), ("sequences", "Sequences"), ("statistics", "Statistics"), ("math", "Math"),
                                          ("io", "Files, JSON and CSV"), ("time", "Time"), ("random", "Random numbers")]
        for (cat, title) in groups {
            let fs = functions.filter { $0.category == cat }
            guard !fs.isEmpty else { continue }
            out += "### \(title)\n\n"
            for f in fs { out += entry(f) }
        }
        let others = functions.filter { f in !groups.contains { $0.0 == f.category } }
        if !others.isEmpty {
            out += "### Registered by the host\n\n"
            for f in others { out += entry(f) }
        }
        out += "### Constants\n\n"
        for (name, _, help) in constants { out += "- `\(name)`: \(help.summary)\n" }
        out += "\n"
        for type in methods.keys.sorted() {
            out += "### Methods of \(type)\n\n"
            for name in methods[type]!.keys.sorted() { out += entry(methods[type]![name]!) }
        }
        return out
    }

    private func entry(_ f: NativeFunction) -> String {
        var out = "- `\(f.signature.text)`: \(f.help.summary)"
        if !f.help.details.isEmpty { out += " " + f.help.details }
        out += "\n"
        if !f.help.example.isEmpty {
            out += "  ```\n" + f.help.example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n  ```\n"
        }
        return out
    }
}
