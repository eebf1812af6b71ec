// The call sequence: entering a script function on a new frame of the value stack, and calling
// any callable value with evaluated arguments (binding them to the parameters by the rules of
// docs/language.md).

/// Where a call is, for its error paths only: a location, or something that finds it there
/// (so the hot path of a call copies no `SourceLoc`, whose file reference costs a retain).
protocol CallLocation {
    var location: SourceLoc { get }
}

extension SourceLoc: CallLocation {
    var location: SourceLoc { self }
}

/// The call sequence.
///
/// Every call of a script function, from any call site, specialised or not, enters it through
/// `enter`: the one place that checks the frame size, the recursion depth and the interrupt flag,
/// prepares the frame (the closure's own slot, defaults, captured parameters) and adds the
/// function to an error's call stack. Arguments are bound to parameters in `callScript` (arity,
/// named arguments, defaults, `*rest`, `**named`), the one place those errors are raised; a fast
/// path may skip binding only where it is the identity (`FunctionProto.fastArity`).
enum Calls {
    /// Runs `proto` (the closure `f`, or nil when `proto.isPlain` and so nothing of the closure is
    /// needed) whose first `argc` arguments are already in `base[0..<argc]`, with the stack pointer
    /// just past them; `missing` lists the parameters whose defaults are to be computed. Pops the
    /// frame on the way out. The error paths are out of line, so this (inlined into every call
    /// site) stays small; the location is only read on them.
    @inline(__always)
    static func enter<L: CallLocation>(_ proto: FunctionProto, closure f: ScriptFunction?, base: Frame, argc: Int,
                                       missing: [Int]?, st: UnsafeMutablePointer<VMState>, loc: L) throws -> Value {
        let size = proto.frameSize
        guard base + size <= st.pointee.end else { throw frameOverflow(base, argc, st, loc.location) }
        var i = argc
        while i < size { (base + i).initialize(to: .null); i += 1 }
        st.pointee.sp = base + size
        st.pointee.depth += 1
        defer {
            // One release per slot is cheaper than the generic array destroy for small frames.
            var i = 0
            while i < size { Calls.release(base + i); i += 1 }
            st.pointee.sp = base
            st.pointee.depth -= 1
        }
        do {
            if st.pointee.depth > st.pointee.maxDepth { throw depthExceeded(st, loc.location) }
            if st.pointee.flag._withUnsafeGuaranteedRef({ $0.isRequested }) { throw interruption(st, loc.location) }
            if let f, !proto.isPlain {
                // The closure's own slot is inline (every call of a closure with captures
                // needs it); defaults and captured parameters are out of line.
                // The slot holds the nil set above, so it is initialised, not assigned (an
                // assignment copies the new value and destroys the old one out of line).
                if proto.selfSlot >= 0 { (base + proto.selfSlot).initialize(to: .function(f)) }
                if missing != nil || proto.hasCellSlots { try prepareFrame(proto, base, missing) }
            }
            return try proto.body(base)
        } catch {
            throw addingFrame(error, proto, loc.location)
        }
    }

    /// `enter` for the closure `f`, with no defaults to compute.
    @inline(__always)
    static func enter(_ f: ScriptFunction, base: Frame, argc: Int, st: UnsafeMutablePointer<VMState>,
                      loc: SourceLoc) throws -> Value {
        try enter(f.proto, closure: f, base: base, argc: argc, missing: nil, st: st, loc: loc)
    }

    /// `enter` for a plain function (`FunctionProto.isPlain`): only its prototype is needed.
    @inline(__always)
    static func enterPlain<L: CallLocation>(_ proto: FunctionProto, base: Frame, argc: Int, st: UnsafeMutablePointer<VMState>,
                                            loc: L) throws -> Value {
        try enter(proto, closure: nil, base: base, argc: argc, missing: nil, st: st, loc: loc)
    }

    /// What a frame needs besides its arguments and the closure's own slot: the defaults of
    /// missing parameters (computed in the callee's frame, left to right), then cells for
    /// captured parameters.
    @inline(never)
    static func prepareFrame(_ proto: FunctionProto, _ base: Frame, _ missing: [Int]?) throws {
        if let missing {
            for i in missing {
                if let d = proto.params[i].defaultValue { base[i] = try d.run(base) }
            }
        }
        if proto.hasCellSlots { for c in proto.cellSlots { base[c] = .native(Cell(base[c])) } }
    }

    /// Puts `args` on the value stack as the arguments of a call and returns where they start.
    @inline(__always)
    static func push(_ args: [Value], st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Frame {
        let base = st.pointee.sp
        guard base + args.count <= st.pointee.end else { throw stackOverflow(loc) }
        var i = 0
        while i < args.count { (base + i).initialize(to: args[i]); i += 1 }
        st.pointee.sp = base + args.count
        return base
    }

    /// Consumes the interrupt request as `InterruptFlag.check` does (a held request stays held).
    @inline(never)
    static func interruption(_ st: UnsafeMutablePointer<VMState>, _ loc: SourceLoc) -> Failure {
        st.pointee.flag._withUnsafeGuaranteedRef { $0.raw.store(false, ordering: .relaxed) }
        return Failure.interrupt(at: loc)
    }

    /// A frame that does not fit on the value stack; its `argc` arguments are dropped.
    @inline(never)
    static func frameOverflow(_ base: Frame, _ argc: Int, _ st: UnsafeMutablePointer<VMState>, _ loc: SourceLoc) -> Failure {
        base.deinitialize(count: argc)
        st.pointee.sp = base
        return framesTooLarge(loc)
    }

    @inline(never)
    static func framesTooLarge(_ loc: SourceLoc) -> Failure { Failure("stack overflow (frames too large)", at: loc) }

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

    /// Arguments that do not fit on the value stack.
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
    static func callPlain1<L: CallLocation>(_ raw: UnsafeRawPointer, _ a0: consuming Value, st: UnsafeMutablePointer<VMState>, loc: L) throws -> Value {
        let base = st.pointee.sp
        guard base + 1 <= st.pointee.end else { throw stackOverflow(loc.location) }
        base.initialize(to: consume a0)
        st.pointee.sp = base + 1
        return try Unmanaged<FunctionProto>.fromOpaque(raw)._withUnsafeGuaranteedRef {
            try enterPlain($0, base: base, argc: 1, st: st, loc: loc)
        }
    }

    /// Calls the plain two-parameter function behind a `plainPointer` (checked with `plainArity`).
    @inline(__always)
    static func callPlain2(_ raw: UnsafeRawPointer, _ a0: consuming Value, _ a1: consuming Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        let base = st.pointee.sp
        guard base + 2 <= st.pointee.end else { throw stackOverflow(loc) }
        base.initialize(to: consume a0)
        (base + 1).initialize(to: consume a1)
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
                let base = try push(positional, st: st, loc: loc)
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
            throw Failure("attempt to call \(ErrorText.withArticle(o.typeName)) value", at: loc)
        default:
            throw Failure("attempt to call \(callee.typeNameWithArticle) value", at: loc)
        }
    }

    /// A call with one argument and no array (map, filter, sort keys).
    @inline(__always)
    static func call1(_ callee: Value, _ x: consuming Value, st: UnsafeMutablePointer<VMState>, loc: SourceLoc) throws -> Value {
        if case .function(let f) = callee, f.proto.fastArity == 1 {
            let base = st.pointee.sp
            guard base + 1 <= st.pointee.end else { throw stackOverflow(loc) }
            base.initialize(to: consume x)
            st.pointee.sp = base + 1
            return try enter(f, base: base, argc: 1, st: st, loc: loc)
        }
        if case .builtin(let nf) = callee, let direct = nf.direct1, let v = direct(x) { return v }
        return try call(callee, [x], [], st: st, loc: loc)
    }

    /// A call with two arguments and no array: a script function whose binding is the identity
    /// gets them moved straight into its frame, a builtin its direct form; as `call` does.
    @inline(__always)
    static func call2(_ callee: Value, _ a0: consuming Value, _ a1: consuming Value, st: UnsafeMutablePointer<VMState>,
                      loc: SourceLoc) throws -> Value {
        if case .function(let f) = callee, f.proto.fastArity == 2 {
            let base = st.pointee.sp
            guard base + 2 <= st.pointee.end else { throw stackOverflow(loc) }
            base.initialize(to: consume a0)
            (base + 1).initialize(to: consume a1)
            st.pointee.sp = base + 2
            return try enter(f, base: base, argc: 2, st: st, loc: loc)
        }
        if case .builtin(let nf) = callee, let direct = nf.direct2, let v = direct(a0, a1) { return v }
        return try call(callee, [a0, a1], [], st: st, loc: loc)
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
            case .rest: slots[i] = .list(ListObject.make(rest))
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
        guard base + max(params.count, proto.frameSize) <= st.pointee.end else { throw framesTooLarge(loc) }
        for (i, v) in slots.enumerated() { (base + i).initialize(to: v ?? .null) }
        st.pointee.sp = base + params.count
        return try enter(proto, closure: f, base: base, argc: params.count, missing: missing, st: st, loc: loc)
    }
}
