// The public face of the language: evaluate code in persistent globals, check code without
// running it, list params and cells, call script functions from Swift, register builtins, and
// interrupt a running script from another thread.

import Foundation

/// A gfn interpreter. State (globals, imported files) persists across `evaluate` calls, so a REPL
/// evaluates one input after another in the same interpreter. Not thread-safe, except
/// `interrupt`, which any thread or a signal handler may set.
public final class Interpreter {
    /// Set it (`interpreter.interrupt.request()`) from another thread or a signal handler to stop
    /// the running script with an "interrupted" error; checked on every loop back-edge and call.
    public let interrupt: InterruptFlag
    /// The limits compiled code enforces. Set before the first `evaluate`.
    public let limits: Limits
    /// Where `print` writes.
    public var output: OutputSink
    /// Script arguments, visible to scripts as the global list `args`.
    public var arguments: [String] = [] {
        didSet { globals.set("args", .list(ListObject.make(arguments.map { .string($0) }))) }
    }
    /// Values for declared `param`s, by name, as command-line text (`["steps": "50"]`). Applied
    /// when the `param` statement runs; `evaluate` fails on a name that no param declares.
    public var overrides: [String: String] = [:]
    /// Whether the compiler may use the specialiser's forms (Specialised+*.swift: operand shapes
    /// such as `local op constant`, lists and dicts in local slots used in place, arguments
    /// straight into the callee's frame, fused `f(a) op g(b)`, inlined early returns). Off, every
    /// construct compiles to the plain compiler's one form, which is where the semantics are
    /// stated; the conformance suite runs both ways, so a specialisation can never change a
    /// result. Applies to code compiled after it is set.
    public var specialised = true
    /// The builtins and methods of this interpreter (the standard library plus registrations).
    public private(set) var library: Library

    let globals = Globals()
    let state: UnsafeMutablePointer<VMState>
    private let stack: Frame
    private static let stackSlots = 1 << 20
    private var running = false
    var docs: [String: String] = [:]
    var paramsDeclared: [ParamInfo] = []
    var importedCode: [String: Exec] = [:]
    var importsRun: Set<String> = []
    /// Every compiled function, kept for the interpreter's lifetime: calls of plain global
    /// functions hold their proto unretained (`Globals.plainPointer`), so no proto may die
    /// while a call of it runs, even when the global that held it is reassigned.
    var protos: [FunctionProto] = []
    /// Objects compiled code points to unretained (the specialiser's `OperatorSite`, `GlobalCallSite`, …), kept for the same reason.
    var compiledObjects: [AnyObject] = []
    private var inputCount = 0

    public init(limits: Limits = Limits(), interrupt: InterruptFlag = InterruptFlag(), output: OutputSink = StandardOutput()) {
        self.limits = limits
        self.interrupt = interrupt
        self.output = output
        self.library = Library.standard
        ValueLayout.check()
        stack = Frame.allocate(capacity: Interpreter.stackSlots)
        let ret = Frame.allocate(capacity: 1)
        ret.initialize(to: .null)
        state = UnsafeMutablePointer<VMState>.allocate(capacity: 1)
        state.initialize(to: VMState(sp: stack, end: stack + Interpreter.stackSlots, depth: 0, maxDepth: limits.maxCallDepth,
                                     ret: ret, interpreter: self, flag: Unmanaged.passUnretained(interrupt)))
        // `self` is fully initialized only now; the unowned(unsafe) reference above is fine
        // because the state never outlives the interpreter.
        for f in library.functions { globals.set(f.name, .builtin(f)) }
        for (name, value, _) in library.constants { globals.set(name, value) }
        globals.set("args", .list(ListObject.make()))
    }

    deinit {
        state.pointee.ret.deinitialize(count: 1)
        state.pointee.ret.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        stack.deallocate()
    }

    // MARK: - Running code

    /// Runs `source` in this interpreter's globals and returns the value of its last statement
    /// when that is an expression (or an `if` used as one), else `nil`. Throws a `ScriptError`:
    /// `.incompleteInput` or `.invalidInput` (nothing ran), `.runtime` or `.interrupted`.
    @discardableResult
    public func evaluate(_ source: String, file: String = "<input>") throws(ScriptError) -> Value {
        let sourceFile = SourceFile(name: file, text: source)
        return try onLargeStack { () throws(ScriptError) -> Value in
            let code = try compile(sourceFile, checkOverrides: true)
            return try run(code)
        }
    }

    /// Reads and runs a file (which must be valid UTF-8).
    @discardableResult
    public func evaluateFile(_ path: String) throws(ScriptError) -> Value {
        let text = try Interpreter.readSource(path)
        return try evaluate(text, file: path)
    }

    /// Parses and resolves without running; returns every error found (empty when the code is fine).
    public func check(_ source: String, file: String = "<input>") -> [Diagnostic] {
        let sourceFile = SourceFile(name: file, text: source)
        let saved = (paramsDeclared, docs)
        defer { (paramsDeclared, docs) = saved }
        do {
            _ = try onLargeStack { () throws(ScriptError) -> Exec in try compile(sourceFile, checkOverrides: false) }
            return []
        } catch {
            return error.diagnostics
        }
    }

    /// Whether the text is a complete input, needs more lines, or is invalid (for a REPL).
    public enum InputStatus: Sendable, Equatable { case complete, incomplete, invalid }

    public static func inputStatus(_ source: String) -> InputStatus {
        // On the large stack: a long line makes a deep tree (`1 + 1 + …` nests to the left), and
        // freeing it recurses.
        let status = try? Interpreter.onLargeStack { () throws(ScriptError) -> InputStatus in
            let file = SourceFile(name: "<input>", text: source)
            var parser = Parser(file: file)
            _ = parser.parseProgram()
            if parser.errors.isEmpty { return .complete }
            return parser.isIncomplete ? .incomplete : .invalid
        }
        return status ?? .invalid
    }

    /// Calls a function value (a script function or a builtin) from Swift, e.g. a reward function
    /// that a script passed to a binding.
    public func call(_ function: Value, _ arguments: [Value], named: [(String, Value)] = []) throws(ScriptError) -> Value {
        let loc = Interpreter.hostLocation
        if running {
            do { return try Calls.call(function, arguments, named, st: state, loc: loc) } catch {
                throw Failure.wrap(error, at: loc).scriptError
            }
        }
        return try onLargeStack { () throws(ScriptError) -> Value in
            running = true
            defer { running = false; output.flush() }
            do { return try Calls.call(function, arguments, named, st: state, loc: loc) } catch {
                throw Failure.wrap(error, at: loc).scriptError
            }
        }
    }

    static let hostLocation = SourceLoc(file: SourceFile(name: "<host>", text: ""), line: 1, column: 1)

    /// Throws "interrupted" if an interrupt was requested: long native loops call this.
    public func checkInterrupt() throws {
        if interrupt.isRequested {
            interrupt.clear()
            throw Failure.interrupt(at: nil)
        }
    }

    /// Writes text to the output sink (what `print` uses).
    public func write(_ text: String) { output.write(text) }

    private func compile(_ file: SourceFile, checkOverrides: Bool) throws(ScriptError) -> Exec {
        let stmts = try Parser.program(file)
        let compiler = Compiler(interpreter: self, file: file)
        let code = compiler.compileChunk(stmts)
        var errors = compiler.errors
        if checkOverrides {
            let declared = paramsDeclared.map(\.name)
            for key in overrides.keys.sorted() where !declared.contains(key) {
                errors.append(Diagnostic(.error, "unknown setting '\(key)': the script declares no 'param \(key)'"
                                         + Suggest.didYouMean(key, declared), at: nil,
                                         hint: declared.isEmpty ? "declare settings with 'param name = default'" : "settings: " + declared.joined(separator: ", ")))
            }
        }
        if !errors.isEmpty { throw ScriptError(kind: .invalidInput, diagnostics: errors) }
        return code
    }

    private func run(_ code: Exec) throws(ScriptError) -> Value {
        running = true
        defer {
            running = false
            output.flush()
        }
        let base = state.pointee.sp
        do {
            if try code(base) == .returned {
                let v = state.pointee.ret.pointee
                state.pointee.ret.pointee = .null
                return v
            }
            return .null
        } catch {
            state.pointee.sp = base
            state.pointee.depth = 0
            state.pointee.ret.pointee = .null
            let f = Failure.wrap(error, at: SourceLoc(file: SourceFile(name: "<unknown>", text: ""), line: 1, column: 1))
            throw f.scriptError
        }
    }

    /// Reads a source file, failing cleanly on a missing file or invalid UTF-8.
    static func readSource(_ path: String) throws(ScriptError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScriptError(kind: .invalidInput, diagnostics: [Diagnostic(.error, "cannot read '\(path)': no such file or not readable", at: nil)])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ScriptError(kind: .invalidInput, diagnostics: [Diagnostic(.error, "'\(path)' is not valid UTF-8 text", at: nil)])
        }
        return text
    }

    func parseImport(_ path: String) throws(ScriptError) -> (SourceFile, [Stmt]) {
        let text = try Interpreter.readSource(path)
        let file = SourceFile(name: path, text: text)
        return (file, try Parser.program(file))
    }

    // MARK: - Globals, params, cells

    /// The value of a global, or nil if it has none.
    public func global(_ name: String) -> Value? { globals.get(name) }

    /// Sets a global (scripts see it as a variable).
    public func setGlobal(_ name: String, _ value: Value) { globals.set(name, value) }

    /// Names of globals that hold values (builtins included).
    public var globalNames: [String] { globals.definedNames }

    /// Globals defined by scripts (not builtins or registered values), in definition order.
    public var userGlobals: [(name: String, value: Value)] {
        let builtin = Set(library.functions.map(\.name) + library.constants.map(\.0) + ["args"])
        return globals.definedNames.filter { !builtin.contains($0) }.compactMap { n in globals.get(n).map { (n, $0) } }
    }

    /// Forgets every script-defined global and import (`:reset`); builtins and registrations stay.
    public func reset() {
        globals.clearAll()
        for f in library.functions { globals.set(f.name, .builtin(f)) }
        for (name, value, _) in library.constants { globals.set(name, value) }
        globals.set("args", .list(ListObject.make(arguments.map { .string($0) })))
        importsRun = []
        paramsDeclared = []
        docs = [:]
    }

    /// The `param` declarations at the top level of `source` (parsing only; nothing runs).
    public static func params(source: String, file: String = "<input>") throws(ScriptError) -> [ParamInfo] {
        // On the large stack, for the same reason as `inputStatus`.
        try onLargeStack { () throws(ScriptError) -> [ParamInfo] in try scanParams(source: source, file: file) }
    }

    private static func scanParams(source: String, file: String) throws(ScriptError) -> [ParamInfo] {
        let sf = SourceFile(name: file, text: source)
        let stmts = try Parser.program(sf)
        let helper = Compiler.paramScanner(sf)
        return stmts.compactMap { helper($0) }
    }

    /// The params the scripts run so far declared.
    public var declaredParams: [ParamInfo] { paramsDeclared }

    /// A notebook cell: a `# %%` line starts one; text before the first marker is cell 0 when it
    /// is not blank.
    public struct NotebookCell: Sendable {
        public let title: String
        /// 1-based, inclusive.
        public let firstLine: Int
        public let lastLine: Int
        public let source: String
    }

    /// Splits a script into its `# %%` cells.
    public static func cells(in source: String) -> [NotebookCell] {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cells: [NotebookCell] = []
        var title = "", start = 1, body: [String] = []
        func close(_ end: Int) {
            let text = body.joined(separator: "\n")
            if !(cells.isEmpty && title.isEmpty && text.trimmingSpaces().isEmpty) || start > 1 {
                cells.append(NotebookCell(title: title, firstLine: start, lastLine: end, source: text))
            }
        }
        for (i, line) in lines.enumerated() {
            let t = line.trimmingSpaces()
            if t.hasPrefix("# %%") {
                if i > 0 { close(i) }
                title = String(t.dropFirst(4)).trimmingSpaces()
                start = i + 1
                body = [line]
            } else {
                body.append(line)
            }
        }
        close(lines.count)
        return cells.filter { !($0.firstLine == 1 && $0.title.isEmpty && $0.source.trimmingSpaces().isEmpty) }
    }

    // MARK: - Registration (for the Bindings layer)

    /// Adds a global function (a builtin of this interpreter), shown by `help` and completion.
    public func register(_ function: NativeFunction) {
        library.add(function)
        globals.set(function.name, .builtin(function))
    }

    /// Adds a global value (a module object, a constant) with help text.
    public func define(_ name: String, _ value: Value, help: Help) {
        library.addConstant(name, value, help)
        globals.set(name, value)
    }

    /// Adds a method to a builtin type ("string", "list", "dict", "range").
    public func registerMethod(_ function: NativeFunction, on type: String) {
        library.addMethod(function, on: type)
    }

    // MARK: - Help and completion

    /// Help text for a builtin, a method (`str.strip`, `list.map`), a registered value, a user
    /// function with a doc comment, or a param.
    public func help(for name: String) -> String? {
        if let text = library.help(for: name) { return text }
        if let v = globals.get(name) {
            switch v {
            case .function(let f):
                return "\(f.signature)\n" + (f.doc.map { "\n\($0)\n" } ?? "\n(no doc comment; write ## lines above the fn)\n")
            case .native(let o): return o.help
            default: break
            }
        }
        if let doc = docs[name] { return "\(name)\n\n\(doc)\n" }
        return nil
    }

    /// Names for completing `prefix` at the top level: keywords, globals, builtins.
    public func completions(prefix: String) -> [String] {
        let all = Set(Keyword.allCases.map(\.rawValue) + globals.definedNames)
        return all.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Properties and methods of a value, for completion after `.`.
    public func members(of value: Value) -> [MemberInfo] {
        switch value {
        case .string: return library.methodInfo("string")
        case .list: return library.methodInfo("list")
        case .dict: return library.methodInfo("dict")
        case .range: return library.methodInfo("range")
        case .native(let o):
            var out = o.members
            if out.isEmpty, let e = o as? ErrorObject { out = e.members }
            return out
        case .function: return [MemberInfo(name: "name", kind: .property, summary: "the function's name"),
                                MemberInfo(name: "doc", kind: .property, summary: "its doc comment")]
        default: return []
        }
    }

    /// Named parameters of a callable value, for completion inside a call.
    public func parameterNames(of value: Value) -> [String] {
        switch value {
        case .function(let f): return f.proto.params.filter { $0.kind == .positional || $0.kind == .keywordOnly }.map(\.name)
        case .builtin(let b): return b.signature.parameters.filter { $0.kind == .positional || $0.kind == .keywordOnly }.map(\.name)
        default: return []
        }
    }

    // MARK: - A large stack

    /// Runs `body` on a thread with a 512 MiB stack, so that deep script recursion (up to the
    /// depth limit) and deeply nested expressions never overflow the host's stack.
    private func onLargeStack<T>(_ body: () throws(ScriptError) -> T) throws(ScriptError) -> T {
        if running { return try body() }
        return try Interpreter.onLargeStack(body)
    }

    private static func onLargeStack<T>(_ body: () throws(ScriptError) -> T) throws(ScriptError) -> T {
        try withoutActuallyEscaping(body) { (escapable: @escaping () throws(ScriptError) -> T) throws(ScriptError) -> T in
            let box = LargeStackJob(escapable)
            LargeStack.run(box)
            switch box.result! {
            case .success(let v): return v
            case .failure(let e): throw e
            }
        }
    }
}

final class LargeStackJob<T>: LargeStackRunnable, @unchecked Sendable {
    let body: () throws(ScriptError) -> T
    var result: Result<T, ScriptError>?
    init(_ body: @escaping () throws(ScriptError) -> T) { self.body = body }
    func runJob() {
        do throws(ScriptError) { result = .success(try body()) } catch { result = .failure(error) }
    }
}
