// The machinery compiled code runs on: a value stack of frames addressed by resolved slots, the
// globals table, script functions and cells for captured variables, and the call sequence.
//
// Compiled code is a tree of Swift closures (see Compiler.swift). An expression compiles to an
// `Eval`, a statement to an `Exec`; both receive the frame pointer, so a local variable is
// `fp[slot]`, with no lookup by name at run time.

import Synchronization

typealias Frame = UnsafeMutablePointer<Value>

extension UnsafeMutablePointer where Pointee == Value {
    /// The value in this slot. Ints and floats are matched in place: the general copy of a
    /// `Value` is an outlined call that switches on the case.
    @inline(__always) var load: Value {
        switch pointee {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        default: return pointee
        }
    }

    /// Replaces the value in this slot; a number, bool or nil there needs no release, so it is
    /// overwritten without the general (outlined) destroy.
    @inline(__always) func store(_ v: Value) {
        switch pointee {
        case .null, .bool, .int, .float: initialize(to: v)
        default: pointee = v
        }
    }
}
typealias Eval = (Frame) throws -> Value
typealias Exec = (Frame) throws -> Flow
typealias Test = (Frame) throws -> Bool

/// Compiled code kept in arrays goes in these boxes: a function type stored directly in an
/// Array or Optional is kept at its most general abstraction, and every call then goes through
/// reabstraction thunks; inside a concrete struct it keeps its natural calling convention.
struct EvalBox { let run: Eval }
struct ExecBox { let run: Exec }

/// How a statement ended.
enum Flow { case next, breakLoop, continueLoop, returned }

/// A request to stop the running script, settable from another thread or a signal handler
/// (lock-free atomics only). The interpreter checks it on every loop back-edge and call.
///
/// Native work that must stop only at its own boundaries (a training step, whose reward function
/// is script code) runs inside `holdingRequests`: a request made meanwhile is held (`isHeld`), not
/// seen by the script code it calls, and becomes an ordinary request when the work ends.
public final class InterruptFlag: Sendable {
    let raw = Atomic<Bool>(false)
    /// How many `holdingRequests` calls are running (they nest).
    private let holds = Atomic<Int>(0)
    private let held = Atomic<Bool>(false)
    public init() {}
    /// Ask the running script to stop with an "interrupted" error (held back while `holdingRequests` runs).
    public func request() {
        guard holds.load(ordering: .sequentiallyConsistent) > 0 else { raw.store(true, ordering: .sequentiallyConsistent); return }
        held.store(true, ordering: .sequentiallyConsistent)
        // The hold may have ended between the check and the store: then release the request here
        // (exactly one of this and the end of the hold sees `held` set).
        if holds.load(ordering: .sequentiallyConsistent) == 0, held.exchange(false, ordering: .sequentiallyConsistent) {
            raw.store(true, ordering: .sequentiallyConsistent)
        }
    }
    /// Clear a request that nobody consumed (a held one too).
    public func clear() {
        raw.store(false, ordering: .relaxed)
        held.store(false, ordering: .relaxed)
    }
    public var isRequested: Bool { raw.load(ordering: .relaxed) }
    /// A request arrived while `holdingRequests` runs and waits for it to end.
    public var isHeld: Bool { held.load(ordering: .relaxed) }

    /// Runs `body` with new requests held back from the code it runs; a held request becomes an
    /// ordinary one when `body` ends (the caller decides where to stop, then `checkInterrupt()` throws).
    public func holdingRequests<T>(_ body: () throws -> T) rethrows -> T {
        holds.add(1, ordering: .sequentiallyConsistent)
        defer {
            if holds.subtract(1, ordering: .sequentiallyConsistent).newValue == 0, held.exchange(false, ordering: .sequentiallyConsistent) {
                raw.store(true, ordering: .sequentiallyConsistent)
            }
        }
        return try body()
    }

    @inline(__always) func check(_ loc: SourceLoc) throws {
        if raw.load(ordering: .relaxed) {
            raw.store(false, ordering: .relaxed)
            throw Failure.interrupt(at: loc)
        }
    }
}

/// Limits that keep a script from taking the host down.
public struct Limits: Sendable {
    /// Nested script calls before "recursion depth limit exceeded".
    public var maxCallDepth = 4000
    /// Elements in one list, dict or materialized range.
    public var maxElements = 50_000_000
    /// Bytes in one string.
    public var maxStringBytes = 1 << 30
    public init() {}
}

/// Mutable interpreter state that compiled closures reach through a pointer (no class
/// property access, so no exclusivity checks on the hot path).
struct VMState {
    var sp: Frame
    var end: Frame
    var depth: Int
    var maxDepth: Int
    /// Where a `return` leaves its value.
    let ret: Frame
    unowned(unsafe) let interpreter: Interpreter
    /// Unmanaged: reading an `unowned(unsafe)` class reference out of this struct costs a
    /// retain and a release, on every call. The interpreter owns the flag and outlives this state.
    let flag: Unmanaged<InterruptFlag>

    @inline(__always) func checkInterrupt(_ loc: SourceLoc) throws {
        try flag._withUnsafeGuaranteedRef { try $0.check(loc) }
    }
}

/// A box for a local variable that a nested function captures. It lives in the frame slot as a
/// native value that scripts never see.
final class Cell: NativeObject {
    /// Unchecked, like `ListObject.items`, to skip exclusivity checks.
    @exclusivity(unchecked) var value: Value
    init(_ value: Value) {
        self.value = value
    }
    var typeName: String { "cell" }
}

@inline(__always) func cell(_ v: Value) -> Cell {
    if case .native(let o) = v { return unsafeDowncast(o as AnyObject, to: Cell.self) }
    preconditionFailure("internal: captured slot holds no cell")
}

/// A compiled function: shared by every closure made from the same `fn`. Immutable, so the
/// call path reads it without exclusivity checks.
final class FunctionProto {
    struct Param {
        let name: String
        let kind: ParameterDecl.Kind
        let defaultValue: EvalBox?
    }
    let name: String
    let params: [Param]
    let frameSize: Int
    /// The body, compiled to return the function's value.
    let body: Eval
    /// Slot that holds the running function itself (for its captured cells), or -1.
    let selfSlot: Int
    /// Parameter slots that nested functions capture: boxed into cells on entry.
    let cellSlots: [Int]
    let hasCellSlots: Bool
    /// The number of arguments for the fast call path, or -1 when binding needs the general path.
    let fastArity: Int
    /// Positional parameters only, no captured cells and no upvalues: a call is "put the
    /// arguments in the frame and run the body", and needs nothing from the closure object.
    let isPlain: Bool
    let doc: String?
    let loc: SourceLoc

    init(name: String, params: [Param], frameSize: Int, body: @escaping Eval, selfSlot: Int?,
         cellSlots: [Int], doc: String?, loc: SourceLoc) {
        self.name = name
        self.params = params
        self.frameSize = frameSize
        self.body = body
        self.selfSlot = selfSlot ?? -1
        self.cellSlots = cellSlots
        self.hasCellSlots = !cellSlots.isEmpty
        self.fastArity = params.allSatisfy { $0.kind == .positional && $0.defaultValue == nil } ? params.count : -1
        self.isPlain = fastArity >= 0 && self.selfSlot < 0 && cellSlots.isEmpty
        self.doc = doc
        self.loc = loc
    }

    var signature: String {
        let ps = params.map { p -> String in
            switch p.kind {
            case .rest: return "*" + p.name
            case .restNamed: return "**" + p.name
            default: return p.defaultValue == nil ? p.name : p.name + "=…"
            }
        }
        return "\(name)(\(ps.joined(separator: ", ")))"
    }
}

/// A function written in gfn, with the cells it captured.
public final class ScriptFunction {
    let proto: FunctionProto
    let captures: [Cell]
    init(proto: FunctionProto, captures: [Cell]) {
        self.proto = proto
        self.captures = captures
    }
    public var name: String { proto.name }
    /// `name(a, b=…, *rest)`.
    public var signature: String { proto.signature }
    /// The `##` doc comment above the declaration.
    public var doc: String? { proto.doc }
    public var location: SourceLoc { proto.loc }
}

/// Global variables: a name table and stable storage (chunks that never move, so compiled code
/// holds direct pointers).
final class Globals {
    private(set) var names: [String] = []
    private var index: [String: Int] = [:]
    private var chunks: [UnsafeMutablePointer<Value>] = []
    private var flagChunks: [UnsafeMutablePointer<Bool>] = []
    private var plainChunks: [UnsafeMutablePointer<UnsafeRawPointer?>] = []
    private static let chunk = 256

    func lookup(_ name: String) -> Int? { index[name] }

    func slot(_ name: String) -> Int {
        if let i = index[name] { return i }
        let i = names.count
        if i % Globals.chunk == 0 {
            let c = UnsafeMutablePointer<Value>.allocate(capacity: Globals.chunk)
            c.initialize(repeating: .null, count: Globals.chunk)
            chunks.append(c)
            let f = UnsafeMutablePointer<Bool>.allocate(capacity: Globals.chunk)
            f.initialize(repeating: false, count: Globals.chunk)
            flagChunks.append(f)
            let q = UnsafeMutablePointer<UnsafeRawPointer?>.allocate(capacity: Globals.chunk)
            q.initialize(repeating: nil, count: Globals.chunk)
            plainChunks.append(q)
        }
        names.append(name)
        index[name] = i
        return i
    }

    func pointer(_ i: Int) -> UnsafeMutablePointer<Value> { chunks[i / Globals.chunk] + i % Globals.chunk }
    func definedPointer(_ i: Int) -> UnsafeMutablePointer<Bool> { flagChunks[i / Globals.chunk] + i % Globals.chunk }
    /// The unretained proto of the plain script function a global holds, or nil: what a call
    /// site of a global function reads (no copy of the value, so no retain and release).
    func plainPointer(_ i: Int) -> UnsafeMutablePointer<UnsafeRawPointer?> { plainChunks[i / Globals.chunk] + i % Globals.chunk }

    /// What `plainPointer` holds for a value. Protos live as long as the interpreter
    /// (`Interpreter.protos`), so the pointer stays valid even after the global changes.
    @inline(__always) static func plainProto(_ v: Value) -> UnsafeRawPointer? {
        if case .function(let f) = v, f.proto.isPlain { return UnsafeRawPointer(Unmanaged.passUnretained(f.proto).toOpaque()) }
        return nil
    }

    func get(_ name: String) -> Value? {
        guard let i = index[name], definedPointer(i).pointee else { return nil }
        return pointer(i).pointee
    }

    func set(_ name: String, _ v: Value) {
        let i = slot(name)
        pointer(i).pointee = v
        definedPointer(i).pointee = true
        plainPointer(i).pointee = Globals.plainProto(v)
    }

    /// Names that hold a value.
    var definedNames: [String] { names.enumerated().filter { definedPointer($0.offset).pointee }.map(\.element) }

    /// Forgets every value (for `:reset`); the slots stay so compiled code stays valid.
    func clearAll() {
        for i in 0..<names.count { pointer(i).pointee = .null; definedPointer(i).pointee = false; plainPointer(i).pointee = nil }
    }

    deinit {
        for c in chunks { c.deinitialize(count: Globals.chunk); c.deallocate() }
        for f in flagChunks { f.deallocate() }
        for q in plainChunks { q.deallocate() }
    }
}

/// One callee called many times with one argument (map, filter, each): what kind of function
/// it is is looked at once, not per element.
struct Caller1 {
    /// Keeps the callee (and so the proto below) alive.
    let callee: Value
    /// The unretained proto when the callee is a plain script function of one parameter.
    let plain: UnsafeRawPointer?
    let st: UnsafeMutablePointer<VMState>
    let loc: SourceLoc

    init(_ callee: Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) {
        self.callee = callee
        if case .function(let f) = callee, f.proto.isPlain, f.proto.fastArity == 1 {
            plain = UnsafeRawPointer(Unmanaged.passUnretained(f.proto).toOpaque())
        } else {
            plain = nil
        }
        self.st = st
        self.loc = loc
    }

    @inline(__always) func callAsFunction(_ x: Value) throws -> Value {
        if let raw = plain { return try Calls.callPlain1(raw, x, st: st, loc: loc) }
        return try Calls.call1(callee, x, st: st, loc: loc)
    }
}

/// Where a call is, for its error paths only: a location, or something that finds it there
/// (so the hot path of a call copies no `SourceLoc`, whose file reference costs a retain).
protocol CallLocation {
    var location: SourceLoc { get }
}

extension SourceLoc: CallLocation {
    var location: SourceLoc { self }
}

/// The call sequence.
enum Calls {
    /// Runs `f` whose first `argc` arguments are already in `base[0..<argc]` and the stack
    /// pointer is just past them. Pops the frame on the way out.
    @inline(__always)
    static func enter(_ f: ScriptFunction, base: Frame, argc: Int, st: UnsafeMutablePointer<VMState>,
                      loc: SourceLoc) throws -> Value {
        try enter(f, base: base, argc: argc, missing: nil, st: st, loc: loc)
    }

    @inline(__always)
    static func enter(_ f: ScriptFunction, base: Frame, argc: Int, missing: [Int]?, st: UnsafeMutablePointer<VMState>,
                      loc: SourceLoc) throws -> Value {
        let proto = f.proto
        let size = proto.frameSize
        guard base + size <= st.pointee.end else {
            base.deinitialize(count: argc)
            st.pointee.sp = base
            throw Failure("stack overflow (frames too large)", at: loc)
        }
        (base + argc).initialize(repeating: .null, count: size - argc)
        st.pointee.sp = base + size
        st.pointee.depth += 1
        defer {
            // One outlined destroy per slot is cheaper than the generic array destroy for small frames.
            var i = 0
            while i < size { (base + i).deinitialize(count: 1); i += 1 }
            st.pointee.sp = base
            st.pointee.depth -= 1
        }
        do {
            if st.pointee.depth > st.pointee.maxDepth {
                throw Failure("recursion depth limit (\(st.pointee.maxDepth)) exceeded", at: loc,
                              hint: "a function calls itself without end, or the recursion is deeper than the limit")
            }
            try st.pointee.checkInterrupt(loc)
            if proto.selfSlot >= 0 { base[proto.selfSlot] = .function(f) }
            if let missing {
                for i in missing {
                    if let d = proto.params[i].defaultValue { base[i] = try d.run(base) }
                }
            }
            if proto.hasCellSlots { for c in proto.cellSlots { base[c] = .native(Cell(base[c])) } }
            return try proto.body(base)
        } catch let failure as Failure {
            if failure.stack.count < 10_000 {
                failure.stack.append(Diagnostic.StackEntry(function: proto.name, location: loc))
            }
            throw failure
        }
    }

    /// Calls a plain function (`FunctionProto.isPlain`) whose `argc` arguments are already in
    /// `base[0..<argc]`, with the stack pointer just past them. Pops the frame on the way out.
    @inline(__always)
    static func enterPlain<L: CallLocation>(_ proto: FunctionProto, base: Frame, argc: Int, st: UnsafeMutablePointer<VMState>,
                                            loc: L) throws -> Value {
        let size = proto.frameSize
        guard base + size <= st.pointee.end else { throw frameOverflow(base, argc, st, loc.location) }
        var i = argc
        while i < size { (base + i).initialize(to: .null); i += 1 }
        st.pointee.sp = base + size
        st.pointee.depth += 1
        defer {
            var i = 0
            while i < size { Calls.release(base + i); i += 1 }
            st.pointee.sp = base
            st.pointee.depth -= 1
        }
        // The error paths are out of line, so this (inlined into every call site) stays small;
        // the location is only read on them.
        do {
            if st.pointee.depth > st.pointee.maxDepth { throw depthExceeded(st, loc.location) }
            if st.pointee.flag._withUnsafeGuaranteedRef({ $0.isRequested }) { throw interruption(st, loc.location) }
            return try proto.body(base)
        } catch {
            throw addingFrame(error, proto, loc.location)
        }
    }

    /// Consumes the interrupt request (as `InterruptFlag.check` does).
    @inline(never)
    static func interruption(_ st: UnsafeMutablePointer<VMState>, _ loc: SourceLoc) -> Failure {
        st.pointee.flag._withUnsafeGuaranteedRef { $0.clear() }
        return Failure.interrupt(at: loc)
    }

    @inline(never)
    static func frameOverflow(_ base: Frame, _ argc: Int, _ st: UnsafeMutablePointer<VMState>, _ loc: SourceLoc) -> Failure {
        base.deinitialize(count: argc)
        st.pointee.sp = base
        return Failure("stack overflow (frames too large)", at: loc)
    }

    @inline(never)
    static func depthExceeded(_ st: UnsafeMutablePointer<VMState>, _ loc: SourceLoc) -> Failure {
        Failure("recursion depth limit (\(st.pointee.maxDepth)) exceeded", at: loc,
                hint: "a function calls itself without end, or the recursion is deeper than the limit")
    }

    /// The error with this call added to its script call stack.
    @inline(never)
    static func addingFrame(_ error: any Error, _ proto: FunctionProto, _ loc: SourceLoc) -> any Error {
        if let failure = error as? Failure, failure.stack.count < 10_000 {
            failure.stack.append(Diagnostic.StackEntry(function: proto.name, location: loc))
        }
        return error
    }

    @inline(never)
    static func stackOverflow(_ loc: SourceLoc) -> Failure { Failure("stack overflow", at: loc) }

    /// Ends the life of a frame slot; numbers, bools and nil need no call of the value's
    /// outlined destroy.
    @inline(__always)
    static func release(_ slot: Frame) {
        switch slot.pointee {
        case .null, .bool, .int, .float: break
        default: slot.deinitialize(count: 1)
        }
    }

    /// Whether the proto behind a `plainPointer` takes `arity` arguments.
    @inline(__always)
    static func plainArity(_ raw: UnsafeRawPointer, is arity: Int) -> Bool {
        Unmanaged<FunctionProto>.fromOpaque(raw)._withUnsafeGuaranteedRef { $0.fastArity == arity }
    }

    /// Calls the plain one-parameter function behind a `plainPointer` (checked with `plainArity`).
    @inline(__always)
    static func callPlain1<L: CallLocation>(_ raw: UnsafeRawPointer, _ a0: Value, st: UnsafeMutablePointer<VMState>, loc: L) throws -> Value {
        let base = st.pointee.sp
        guard base + 1 <= st.pointee.end else { throw stackOverflow(loc.location) }
        base.initialize(to: a0)
        st.pointee.sp = base + 1
        return try Unmanaged<FunctionProto>.fromOpaque(raw)._withUnsafeGuaranteedRef {
            try enterPlain($0, base: base, argc: 1, st: st, loc: loc)
        }
    }

    /// Calls the plain two-parameter function behind a `plainPointer` (checked with `plainArity`).
    @inline(__always)
    static func callPlain2(_ raw: UnsafeRawPointer, _ a0: Value, _ a1: Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        let base = st.pointee.sp
        guard base + 2 <= st.pointee.end else { throw stackOverflow(loc) }
        base.initialize(to: a0)
        (base + 1).initialize(to: a1)
        st.pointee.sp = base + 2
        return try Unmanaged<FunctionProto>.fromOpaque(raw)._withUnsafeGuaranteedRef {
            try enterPlain($0, base: base, argc: 2, st: st, loc: loc)
        }
    }

    /// Calls any callable value with evaluated arguments.
    static func call(_ callee: Value, _ positional: [Value], _ named: [(String, Value)], st: UnsafeMutablePointer<VMState>,
                     loc: SourceLoc) throws -> Value {
        switch callee {
        case .function(let f):
            if named.isEmpty && f.proto.fastArity == positional.count {
                let base = st.pointee.sp
                guard base + positional.count <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
                for (i, v) in positional.enumerated() { (base + i).initialize(to: v) }
                st.pointee.sp = base + positional.count
                return try enter(f, base: base, argc: positional.count, st: st, loc: loc)
            }
            return try callScript(f, positional, named, st: st, loc: loc)
        case .builtin(let nf):
            if named.isEmpty {
                if positional.count == 1, let direct = nf.direct1, let v = direct(positional[0]) { return v }
                if positional.count == 2, let direct = nf.direct2, let v = direct(positional[0], positional[1]) { return v }
            }
            return try callNative(nf, positional, named, receiver: nf.receiver ?? .null, st: st, loc: loc)
        case .native(let o):
            if let m = o.method("call") {
                return try callNative(m, positional, named, receiver: callee, st: st, loc: loc)
            }
            throw Failure("attempt to call a \(o.typeName) value", at: loc)
        default:
            throw Failure("attempt to call a \(callee.typeName) value", at: loc)
        }
    }

    /// A call with one argument and no array (map, filter, sort keys).
    @inline(__always)
    static func call1(_ callee: Value, _ x: Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        if case .function(let f) = callee, f.proto.fastArity == 1 {
            let base = st.pointee.sp
            guard base + 1 <= st.pointee.end else { throw Failure("stack overflow", at: loc) }
            base.initialize(to: x)
            st.pointee.sp = base + 1
            if f.proto.isPlain { return try enterPlain(f.proto, base: base, argc: 1, st: st, loc: loc) }
            return try enter(f, base: base, argc: 1, st: st, loc: loc)
        }
        if case .builtin(let nf) = callee, let direct = nf.direct1, let v = direct(x) { return v }
        return try call(callee, [x], [], st: st, loc: loc)
    }

    static func callNative(_ nf: NativeFunction, _ positional: [Value], _ named: [(String, Value)], receiver: Value,
                           st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        do {
            try st.pointee.checkInterrupt(loc)
            var args = try nf.bind(positional, named, receiver: receiver, interpreter: st.pointee.interpreter)
            args.location = loc
            return try nf.body(&args)
        } catch {
            throw Failure.wrap(error, at: loc)
        }
    }

    /// Binds arguments to a script function's parameters (the general path) and runs it.
    static func callScript(_ f: ScriptFunction, _ positional: [Value], _ named: [(String, Value)],
                           st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        let proto = f.proto
        let params = proto.params
        var slots = [Value?](repeating: nil, count: params.count)
        var rest: [Value] = []
        var extra: [(String, Value)] = []
        var pi = 0
        let hasRest = params.contains { $0.kind == .rest }
        for v in positional {
            if pi < params.count && params[pi].kind == .positional {
                slots[pi] = v
                pi += 1
            } else if hasRest {
                rest.append(v)
            } else {
                let n = params.filter { $0.kind == .positional }.count
                throw Failure("too many arguments to '\(proto.name)' (expected \(n == 1 ? "1 argument" : "at most \(n) arguments"), got \(positional.count))", at: loc)
            }
        }
        let namedIndex = params.firstIndex { $0.kind == .restNamed }
        for (name, v) in named {
            if let i = params.firstIndex(where: { $0.name == name && ($0.kind == .positional || $0.kind == .keywordOnly) }) {
                if slots[i] != nil { throw Failure("argument '\(name)' to '\(proto.name)' given twice", at: loc) }
                slots[i] = v
            } else if namedIndex != nil {
                extra.append((name, v))
            } else {
                let names = params.filter { $0.kind == .positional || $0.kind == .keywordOnly }.map(\.name)
                throw Failure("unknown argument '\(name)' to '\(proto.name)'" + Suggest.didYouMean(name, names), at: loc)
            }
        }
        var missing: [Int] = []
        for (i, p) in params.enumerated() {
            switch p.kind {
            case .rest: slots[i] = .list(ListObject(rest))
            case .restNamed:
                let d = DictObject()
                for (k, v) in extra { d[.string(k)] = v }
                slots[i] = .dict(d)
            default:
                if slots[i] == nil {
                    if p.defaultValue == nil { throw Failure("missing argument '\(p.name)' to '\(proto.name)'", at: loc) }
                    missing.append(i)
                }
            }
        }
        let base = st.pointee.sp
        guard base + max(params.count, proto.frameSize) <= st.pointee.end else {
            throw Failure("stack overflow (frames too large)", at: loc)
        }
        for (i, v) in slots.enumerated() { (base + i).initialize(to: v ?? .null) }
        st.pointee.sp = base + params.count
        return try enter(f, base: base, argc: params.count, missing: missing, st: st, loc: loc)
    }
}
