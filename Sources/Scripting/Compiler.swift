// The compiler: resolves every name to a slot, a captured cell, an upvalue or a global, and turns
// the syntax tree into a tree of Swift closures. It reports every error it finds (for `check`)
// and keeps going with placeholder code after each one.
//
// Two layers. The plain compiler (this file: scope rules and statements;
// Compiler+Expressions.swift; Compiler+Calls.swift) compiles each construct to one closure that
// states its semantics: what is evaluated, in which order, and which semantic helper
// (Operators.swift, `Indexing`, `Calls`) does the work and raises the errors. Where
// `specialised` is on, a construct first asks the specialiser (Specialised+*.swift) at one hook
// (`if specialised, let fast = specialised…(…) { return fast }`) for a faster form that computes
// the same; off (`Interpreter.specialised = false`), only the plain forms are compiled.

import Foundation

final class Compiler {
    unowned let interpreter: Interpreter
    let st: UnsafeMutablePointer<VMState>
    let globals: Globals
    let limits: Limits
    let flag: InterruptFlag
    let file: SourceFile
    /// `Interpreter.specialised`: false compiles only the general forms.
    let specialised: Bool
    var errors: [Diagnostic] = []
    var fs: FunctionScope
    /// Names this chunk assigns at its top level.
    var chunkGlobals: Set<String> = []
    /// Files being imported, to catch cycles.
    var importStack: [String]

    init(interpreter: Interpreter, file: SourceFile, importStack: [String] = []) {
        self.interpreter = interpreter
        self.st = interpreter.state
        self.globals = interpreter.globals
        self.limits = interpreter.limits
        self.flag = interpreter.interrupt
        self.file = file
        self.specialised = interpreter.specialised
        self.importStack = importStack
        self.fs = FunctionScope(parent: nil, isTopLevel: true, captured: [])
    }

    // MARK: - Errors

    func error(_ message: String, _ loc: SourceLoc, hint: String? = nil) {
        errors.append(Diagnostic(.error, message, at: loc, hint: hint))
    }

    /// Placeholder code after an error (never run: a chunk with errors is not executed).
    let dead: Eval = { _ in .null }
    let deadExec: Exec = { _ in .next }

    // MARK: - Chunks

    /// Compiles a whole input. Top-level code keeps every variable global; the value of a trailing
    /// expression statement is the chunk's value.
    func compileChunk(_ body: [Stmt]) -> Exec {
        let names = NameCollector.topLevelNames(body) { path, loc in self.importedNames(path, loc) }
        chunkGlobals = Set(names)
        for n in names { _ = globals.slot(n) }
        return compileStatements(body, tail: true)
    }

    // MARK: - Names

    /// Resolves a name for reading, or records "unknown name" and returns nil.
    func resolve(_ name: String, _ loc: SourceLoc) -> Resolved? {
        if !fs.isTopLevel {
            if let l = fs.lookupLocal(name) { return l.captured ? .cellLocal(l.slot) : .local(l.slot) }
            if let u = resolveUpvalue(fs, name) { return .upvalue(u) }
        }
        if let g = globals.lookup(name) { return .global(g) }
        if chunkGlobals.contains(name) { return .global(globals.slot(name)) }
        let candidates = fs.visibleNames + globals.names + Array(chunkGlobals) + Keyword.allCases.map(\.rawValue)
        error("unknown name '\(name)'" + Suggest.didYouMean(name, candidates), loc)
        return nil
    }

    private func resolveUpvalue(_ f: FunctionScope, _ name: String) -> Int? {
        guard let parent = f.parent, !parent.isTopLevel else { return nil }
        if let l = parent.lookupLocal(name) {
            guard l.captured || l.byValue else { return nil }
            return f.addUpvalue(name, fromLocal: true, index: l.slot, byValue: l.byValue)
        }
        if let u = resolveUpvalue(parent, name) { return f.addUpvalue(name, fromLocal: false, index: u) }
        return nil
    }

    /// Code that reads a resolved name.
    func read(_ r: Resolved, _ name: String, _ loc: SourceLoc) -> Eval {
        switch r {
        case .local(let s): return { fp in (fp + s).load }
        case .cellLocal(let s): return { fp in cell(fp[s]).value }
        case .upvalue(let i):
            let selfSlot = fs.selfSlot ?? 0
            return { fp in
                guard case .function(let f) = fp[selfSlot] else { throw Failure("internal: no closure in frame", at: loc) }
                return f.captures[i].value
            }
        case .global(let g):
            let p = globals.pointer(g), d = globals.definedPointer(g)
            return { _ in
                if d.pointee { return p.pointee }
                throw Failure("'\(name)' is used before it is assigned", at: loc)
            }
        }
    }

    /// Code that stores into a name, declaring a local when assignment declares one.
    func store(_ name: String, _ loc: SourceLoc) -> (Frame, Value) throws -> Void {
        if fs.isTopLevel || fs.declaredGlobals.contains(name) {
            let g = globals.slot(name)
            let p = globals.pointer(g), d = globals.definedPointer(g), q = globals.plainPointer(g)
            return { _, v in p.pointee = v; d.pointee = true; q.pointee = Globals.plainProto(v) }
        }
        if let l = fs.lookupLocal(name) {
            let s = l.slot
            if l.captured { return { fp, v in cell(fp[s]).value = v } }
            return { fp, v in (fp + s).store(v) }
        }
        if let u = resolveUpvalue(fs, name) {
            let selfSlot = fs.selfSlot ?? 0
            return { fp, v in
                guard case .function(let f) = fp[selfSlot] else { throw Failure("internal: no closure in frame", at: loc) }
                f.captures[u].value = v
            }
        }
        return declareStore(name)
    }

    /// The frame slot an assignment to `name` writes with a plain store (an uncaptured local,
    /// declared here when the assignment declares it), or nil when the store is anything else.
    func plainLocalSlot(_ name: String) -> Int? {
        guard isPlainLocalTarget(name) else { return nil }
        return fs.lookupLocal(name)?.slot ?? fs.declare(name).slot
    }

    /// Whether assigning `name` here stores into an uncaptured local slot (declared by the
    /// first such assignment), without declaring it.
    func isPlainLocalTarget(_ name: String) -> Bool {
        if fs.isTopLevel || fs.declaredGlobals.contains(name) { return false }
        if let l = fs.lookupLocal(name) { return !l.captured }
        return resolveUpvalue(fs, name) == nil && !fs.captured.contains(name)
    }

    /// Declares a new local in the current block; the store makes a fresh cell when captured.
    func declareStore(_ name: String) -> (Frame, Value) throws -> Void {
        if fs.isTopLevel { return store(name, SourceLoc(file: file, line: 1, column: 1)) }
        let l = fs.declare(name)
        let s = l.slot
        if l.captured { return { fp, v in fp[s] = .native(Cell(v)) } }
        return { fp, v in (fp + s).store(v) }
    }

    // MARK: - Blocks

    /// A function body (or a branch in its tail position) compiled to return its value: the
    /// value of a `return`, or of the last expression statement, with no trip through the
    /// return slot on the common path.
    func compileTailValue(_ stmts: [Stmt], pushScope: Bool = true) -> Eval {
        if pushScope { fs.pushBlock() }
        defer { if pushScope { fs.popBlock() } }
        let ret = st.pointee.ret
        if specialised, let fast = specialisedTailValue(stmts) { return fast }
        let last: Eval
        switch stmts.last {
        case nil:
            return { _ in .null }
        case .expr(let e)?:
            last = compileExprAfter(stmts)
            _ = e
        case .ifStmt(let c, let a, let b, _)?:
            let prefixExec = compileStatements(Array(stmts.dropLast()), tail: false)
            let test = compileTest(c)
            let then = compileTailValue(a)
            let other = b.map { compileTailValue($0) }
            let ifValue: Eval = { fp in
                if try test(fp) { return try then(fp) }
                return try other?(fp) ?? .null
            }
            return combine(prefixExec, ifValue, stmts.count > 1, ret)
        case .returnStmt(let e, let loc)?:
            if fs.valueIfDepth > 0 { error("'return' cannot leave an 'if' used as a value", loc) }
            let prefixExec = compileStatements(Array(stmts.dropLast()), tail: false)
            let v: Eval = e.map { compileExpr($0) } ?? { _ in .null }
            return combine(prefixExec, v, stmts.count > 1, ret)
        default:
            // A last statement that is not an expression (a `try`, a loop): run everything in
            // tail mode, so a `try` whose block ends with an expression still gives its value.
            let all = compileStatements(stmts, tail: true)
            return { fp in
                if try all(fp) == .returned {
                    let r = ret.move()
                    ret.initialize(to: .null)
                    return r
                }
                return .null
            }
        }
        return last
    }

    /// Prefix statements, then the last statement's expression.
    private func compileExprAfter(_ stmts: [Stmt]) -> Eval {
        guard case .expr(let e)? = stmts.last else { return { _ in .null } }
        let prefixExec = compileStatements(Array(stmts.dropLast()), tail: false)
        return combine(prefixExec, compileExpr(e), stmts.count > 1, st.pointee.ret)
    }

    private func combine(_ prefix: @escaping Exec, _ value: @escaping Eval, _ hasPrefix: Bool, _ ret: Frame) -> Eval {
        guard hasPrefix else { return value }
        return { fp in
            if try prefix(fp) == .returned {
                let r = ret.move()
                ret.initialize(to: .null)
                return r
            }
            return try value(fp)
        }
    }

    func compileBlock(_ stmts: [Stmt], tail: Bool = false) -> Exec {
        fs.pushBlock()
        defer { fs.popBlock() }
        return compileStatements(stmts, tail: tail)
    }

    func compileStatements(_ stmts: [Stmt], tail: Bool) -> Exec {
        var execs: [ExecBox] = []
        for (i, s) in stmts.enumerated() {
            execs.append(ExecBox(run: compileStatement(s, tail: tail && i == stmts.count - 1)))
        }
        return sequence(execs)
    }

    /// Statements run in order. Up to six are one closure (a loop body of five or six
    /// statements runs one sequence closure, not two or three); longer runs become a tree of
    /// closures of four (depth log4 n), never a loop over an array: copying a closure out of an
    /// array retains and releases its context on every run, which cost a fifth of a loop-heavy
    /// program.
    func sequence(_ execs: [ExecBox]) -> Exec {
        switch execs.count {
        case 0: return { _ in .next }
        case 1: return execs[0].run
        case 2:
            let a = execs[0].run, b = execs[1].run
            return { fp in
                let f = try a(fp)
                if f != .next { return f }
                return try b(fp)
            }
        case 3:
            let a = execs[0].run, b = execs[1].run, c = execs[2].run
            return { fp in
                var f = try a(fp)
                if f != .next { return f }
                f = try b(fp)
                if f != .next { return f }
                return try c(fp)
            }
        case 4:
            let a = execs[0].run, b = execs[1].run, c = execs[2].run, d = execs[3].run
            return { fp in
                var f = try a(fp)
                if f != .next { return f }
                f = try b(fp)
                if f != .next { return f }
                f = try c(fp)
                if f != .next { return f }
                return try d(fp)
            }
        case 5:
            let a = execs[0].run, b = execs[1].run, c = execs[2].run, d = execs[3].run, e = execs[4].run
            return { fp in
                var f = try a(fp)
                if f != .next { return f }
                f = try b(fp)
                if f != .next { return f }
                f = try c(fp)
                if f != .next { return f }
                f = try d(fp)
                if f != .next { return f }
                return try e(fp)
            }
        case 6:
            let a = execs[0].run, b = execs[1].run, c = execs[2].run, d = execs[3].run, e = execs[4].run
            let g = execs[5].run
            return { fp in
                var f = try a(fp)
                if f != .next { return f }
                f = try b(fp)
                if f != .next { return f }
                f = try c(fp)
                if f != .next { return f }
                f = try d(fp)
                if f != .next { return f }
                f = try e(fp)
                if f != .next { return f }
                return try g(fp)
            }
        default:
            return sequence(CodeTree.groups(execs) { ExecBox(run: sequence($0)) })
        }
    }

    // MARK: - Statements

    func compileStatement(_ s: Stmt, tail: Bool) -> Exec {
        switch s {
        case .expr(let e):
            let ev = compileExpr(e)
            if tail {
                let ret = st.pointee.ret
                return { fp in ret.pointee = try ev(fp); return .returned }
            }
            return { fp in _ = try ev(fp); return .next }

        case .assign(let targets, let value, let loc):
            return compileAssign(targets, value, loc)

        case .compoundAssign(let op, let target, let value, let loc):
            return compileCompoundAssign(op, target, value, loc)

        case .function(let decl):
            let name = decl.name ?? "<fn>"
            if fs.isTopLevel || fs.declaredGlobals.contains(name) {
                if let doc = decl.doc { interpreter.docs[name] = doc }
                let create = compileFunction(decl, name: name)
                let set = store(name, decl.loc)
                return { fp in try set(fp, try create(fp)); return .next }
            }
            let l = fs.lookupLocal(name) ?? fs.declare(name)
            let create = compileFunction(decl, name: name)
            let s = l.slot
            if l.captured {
                return { fp in
                    let c = Cell(.null)
                    fp[s] = .native(c)
                    c.value = try create(fp)
                    return .next
                }
            }
            return { fp in fp[s] = try create(fp); return .next }

        case .ifStmt(let c, let a, let b, _):
            let test = compileTest(c)
            let then = compileBlock(a, tail: tail)
            if let b {
                let other = compileBlock(b, tail: tail)
                return { fp in try test(fp) ? try then(fp) : try other(fp) }
            }
            if tail {
                let ret = st.pointee.ret
                return { fp in
                    if try test(fp) { return try then(fp) }
                    ret.pointee = .null
                    return .returned
                }
            }
            return { fp in try test(fp) ? try then(fp) : .next }

        case .whileStmt(let c, let body, let loc):
            if specialised { return specialisedWhile(c, body, loc) }
            let test = compileTest(c)
            fs.loopDepth += 1
            let b = compileBlock(body)
            fs.loopDepth -= 1
            let flag = self.flag
            return { fp in
                while try test(fp) {
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return .next
                    case .returned: return .returned
                    }
                    try flag.check(loc)
                }
                return .next
            }

        case .forStmt(let names, let seq, let body, let loc):
            return compileFor(names, seq, body, loc)

        case .breakStmt(let loc):
            if fs.loopDepth == 0 { error(fs.valueIfDepth > 0 ? "'break' cannot leave an 'if' used as a value" : "'break' outside a loop", loc) }
            return { _ in .breakLoop }

        case .continueStmt(let loc):
            if fs.loopDepth == 0 { error(fs.valueIfDepth > 0 ? "'continue' cannot leave an 'if' used as a value" : "'continue' outside a loop", loc) }
            return { _ in .continueLoop }

        case .returnStmt(let e, let loc):
            if fs.isTopLevel { error("'return' outside a function", loc) }
            else if fs.valueIfDepth > 0 { error("'return' cannot leave an 'if' used as a value", loc) }
            let ret = st.pointee.ret
            guard let e else { return { _ in ret.pointee = .null; return .returned } }
            let ev = compileExpr(e)
            return { fp in ret.pointee = try ev(fp); return .returned }

        case .importStmt(let path, let loc):
            return compileImport(path, loc)

        case .tryStmt(let body, let name, let handler, _):
            let b = compileBlock(body, tail: tail)
            fs.pushBlock()
            defer { fs.popBlock() }
            let bind: ((Frame, Value) throws -> Void)? = name.map { declareStore($0.0) }
            let h = compileStatements(handler, tail: tail)
            return { fp in
                do {
                    return try b(fp)
                } catch let failure as Failure where !failure.interrupted {
                    if let bind { try bind(fp, .native(ErrorObject(failure))) }
                    return try h(fp)
                }
            }

        case .assertStmt(let c, let m, let loc):
            let test = compileTest(c)
            let msg = m.map { compileExpr($0) }
            return { fp in
                if try test(fp) { return .next }
                var text = "assertion failed"
                if let msg { text += ": " + (try msg(fp)).description }
                throw Failure(text, at: loc)
            }

        case .global(let names, let loc):
            if fs.isTopLevel { return { _ in .next } }
            for (n, nloc) in names {
                if fs.lookupLocal(n) != nil { error("'\(n)' is already a local variable here; declare 'global \(n)' before using it", nloc) }
                fs.declaredGlobals.insert(n)
                _ = globals.slot(n)
            }
            _ = loc
            return { _ in .next }

        case .param(let name, let value, let doc, let loc):
            return compileParam(name, value, doc, loc)
        }
    }

    private func compileAssign(_ targets: [Expr], _ value: Expr, _ loc: SourceLoc) -> Exec {
        if specialised, targets.count == 1, let fast = specialisedAssign(targets[0], value) { return fast }
        let v = compileExpr(value)
        if targets.count == 1, case .name(let n, _) = targets[0], let slot = plainLocalSlot(n) {
            return { fp in (fp + slot).store(try v(fp)); return .next }
        }
        if targets.count == 1 {
            let set = compileTarget(targets[0])
            return { fp in try set(fp, try v(fp)); return .next }
        }
        let sets = targets.map { compileTarget($0) }
        let n = sets.count
        return { fp in
            let value = try v(fp)
            guard case .list(let l) = value else {
                throw Failure("cannot unpack a \(value.typeName) into \(n) names (a list is needed)", at: loc)
            }
            guard l.count == n else {
                throw Failure("cannot unpack a list of length \(l.count) into \(n) names", at: loc)
            }
            let items = l.snapshot()
            for i in 0..<n { try sets[i](fp, items[i]) }
            return .next
        }
    }

    /// Code that assigns to a target expression (a name, `a[i]` or `a.b`).
    func compileTarget(_ t: Expr) -> (Frame, Value) throws -> Void {
        switch t {
        case .name(let n, let loc):
            return store(n, loc)
        case .index(let c, let i, let loc):
            let ce = compileExpr(c), ie = compileExpr(i)
            let limits = self.limits
            return { fp, v in try Indexing.set(try ce(fp), try ie(fp), v, loc, limits) }
        case .member(let o, let name, let loc):
            let oe = compileExpr(o)
            let set = memberWriter(name, loc)
            return { fp, v in try set(try oe(fp), v) }
        default:
            error("cannot assign to this expression", t.loc)
            return { _, _ in }
        }
    }

    /// What `obj.name = v` does to an object: sets a native object's settable property.
    func memberWriter(_ name: String, _ loc: SourceLoc) -> (Value, Value) throws -> Void {
        return { obj, v in
            if case .native(let n) = obj {
                do { if try n.setProperty(name, v) { return } } catch { throw Failure.wrap(error, at: loc) }
                let names = n.members.filter { $0.kind == .property }.map(\.name)
                throw Failure("\(n.typeName) has no settable property '\(name)'" + Suggest.didYouMean(name, names), at: loc)
            }
            if case .dict = obj {
                throw Failure("cannot set a property of a dict (write d[\"\(name)\"] = …)", at: loc)
            }
            throw Failure("cannot set a property of a \(obj.typeName)", at: loc)
        }
    }

    /// `target op= value`: the target is read, then `value` evaluated, the two combined by the
    /// operator and stored back (an index target's container and index are evaluated once).
    private func compileCompoundAssign(_ op: BinaryOp, _ target: Expr, _ value: Expr, _ loc: SourceLoc) -> Exec {
        if specialised, let fast = specialisedCompoundAssign(op, target, value, loc) { return fast }
        let v = compileExpr(value)
        let apply = binaryFunction(op, loc)
        switch target {
        case .name(let n, let nloc):
            guard let r = resolve(n, nloc) else { return deadExec }
            let get = read(r, n, nloc)
            let set = store(n, nloc)
            return { fp in
                let old = try get(fp)
                try set(fp, try apply(old, try v(fp)))
                return .next
            }
        case .index(let c, let i, let iloc):
            let ce = compileExpr(c), ie = compileExpr(i)
            let limits = self.limits
            return { fp in
                let container = try ce(fp), index = try ie(fp)
                let old = try Indexing.get(container, index, iloc)
                try Indexing.set(container, index, try apply(old, try v(fp)), iloc, limits)
                return .next
            }
        case .member(let o, let name, let mloc):
            // The object is evaluated once, for the read and the write.
            let oe = compileExpr(o)
            let get = memberReader(name, mloc), set = memberWriter(name, mloc)
            return { fp in
                let obj = try oe(fp)
                let old = try get(obj)
                try set(obj, try apply(old, try v(fp)))
                return .next
            }
        default:
            error("cannot assign to this expression", target.loc)
            return deadExec
        }
    }

    private func compileFor(_ names: [(String, SourceLoc)], _ seq: Expr, _ body: [Stmt], _ loc: SourceLoc) -> Exec {
        let seqE = compileExpr(seq)
        fs.pushBlock()
        defer { fs.popBlock() }
        // One plain local loop variable (the common case) is stored straight into its slot.
        let plainSlot = names.count == 1 && !fs.isTopLevel && !fs.captured.contains(names[0].0) ? fs.declare(names[0].0).slot : nil
        let sets = plainSlot == nil ? names.map { declareStore($0.0) } : []
        fs.loopDepth += 1
        let b = compileBlock(body)
        fs.loopDepth -= 1
        let flag = self.flag
        let n = names.count
        if let slot = plainSlot { return forLoop(seqE, b, flag, loc, SlotStore(slot: slot)) }
        let assign: (Frame, Value) throws -> Void
        if n == 1 {
            assign = sets[0]
        } else {
            assign = { fp, v in
                let items: [Value]
                if case .list(let l) = v { items = l.snapshot() } else {
                    throw Failure("cannot unpack a \(v.typeName) into \(n) loop variables", at: loc)
                }
                guard items.count == n else {
                    throw Failure("cannot unpack a list of length \(items.count) into \(n) loop variables", at: loc)
                }
                for i in 0..<n { try sets[i](fp, items[i]) }
            }
        }
        return forLoop(seqE, b, flag, loc, ClosureStore(store: assign))
    }

    /// The loop itself, specialised (inlined) for how the loop variable is assigned.
    private func forLoop<S: StoreCode>(_ seqE: @escaping Eval, _ b: @escaping Exec, _ flag: InterruptFlag, _ loc: SourceLoc,
                                       _ store: S) -> Exec {
        let limits = self.limits
        return { fp in
            let s = try seqE(fp)
            switch s {
            case .range(let r):
                let count = r.count
                var i = 0
                while i < count {
                    try store.store(fp, .int(r.element(i)))
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return .next
                    case .returned: return .returned
                    }
                    try flag.check(loc)
                    i += 1
                }
                return .next
            case .list(let l):
                var i = 0
                while i < l.count {
                    try store.store(fp, l.element(i))
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return .next
                    case .returned: return .returned
                    }
                    try flag.check(loc)
                    i += 1
                }
                return .next
            case .string(let text):
                // An ASCII string is walked byte by byte, with no array of its characters.
                var flow = Flow.next
                let walked = try Iteration.forEachASCIICharacter(text) { (ch: consuming Value) -> Bool in
                    try store.store(fp, ch)
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return false
                    case .returned: flow = .returned; return false
                    }
                    try flag.check(loc)
                    return true
                }
                if walked { return flow }
                guard let items = try Iteration.elements(s, limits: limits, loc: loc) else {
                    throw Failure("cannot iterate over a \(s.typeName)", at: loc)
                }
                for item in items {
                    try store.store(fp, item)
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return .next
                    case .returned: return .returned
                    }
                    try flag.check(loc)
                }
                return .next
            default:
                guard let items = try Iteration.elements(s, limits: limits, loc: loc) else {
                    throw Failure("cannot iterate over a \(s.typeName)", at: loc)
                }
                for item in items {
                    try store.store(fp, item)
                    switch try b(fp) {
                    case .next, .continueLoop: break
                    case .breakLoop: return .next
                    case .returned: return .returned
                    }
                    try flag.check(loc)
                }
                return .next
            }
        }
    }

    // MARK: - Functions

    /// Compiles a function and returns the code that makes a closure of it.
    func compileFunction(_ decl: FunctionDecl, name: String) -> Eval {
        let captured = NameCollector.namesInNestedFunctions(decl.body, decl.expressionBody, params: decl.params)
        let outer = fs
        let byValue = specialised ? CaptureByValue.names(decl, captured: captured) : []
        let scope = FunctionScope(parent: outer, isTopLevel: false, captured: captured, byValue: byValue)
        fs = scope
        defer { fs = outer }
        var cellSlots: [Int] = []
        for p in decl.params {
            let l = scope.declare(p.name)
            if l.captured { cellSlots.append(l.slot) }
        }
        if !outer.isTopLevel { scope.selfSlot = scope.hiddenSlot() }
        let params = decl.params.map {
            FunctionProto.Param(name: $0.name, kind: $0.kind, defaultValue: $0.defaultValue.map { EvalBox(run: compileExpr($0)) })
        }
        let body: Eval
        if let e = decl.expressionBody {
            body = compileExpr(e)
        } else {
            body = compileTailValue(decl.body, pushScope: false)
        }
        let proto = FunctionProto(name: name, params: params, frameSize: max(scope.frameSize, 1), body: body,
                                  selfSlot: scope.upvalues.isEmpty ? nil : scope.selfSlot, cellSlots: cellSlots, doc: decl.doc, loc: decl.loc)
        interpreter.protos.append(proto)
        if scope.upvalues.isEmpty {
            let f = ScriptFunction(proto: proto, captures: [])
            return { _ in .function(f) }
        }
        let ups = scope.upvalues
        let outerSelf = outer.selfSlot ?? 0
        return { fp in
            var caps: [Cell] = []
            caps.reserveCapacity(ups.count)
            for u in ups {
                if u.byValue {
                    caps.append(Cell(fp[u.index]))
                } else if u.fromLocal {
                    caps.append(cell(fp[u.index]))
                } else {
                    guard case .function(let enclosing) = fp[outerSelf] else { throw Failure("internal: no enclosing closure", at: decl.loc) }
                    caps.append(enclosing.captures[u.index])
                }
            }
            return .function(ScriptFunction(proto: proto, captures: caps))
        }
    }

    // MARK: - Params and imports

    private func compileParam(_ name: String, _ value: Expr, _ doc: String?, _ loc: SourceLoc) -> Exec {
        if !fs.isTopLevel { error("'param' is only allowed at the top level of a script", loc) }
        if interpreter.paramsDeclared.contains(where: { $0.name == name && $0.file === file }) {
            error("param '\(name)' is declared twice", loc)
        }
        let defaultText = sourceText(of: value)
        interpreter.paramsDeclared.append(ParamInfo(name: name, defaultSource: defaultText, doc: doc, line: loc.line, file: file))
        if let doc { interpreter.docs[name] = doc }
        let v = compileExpr(value)
        let set = store(name, loc)
        let override = interpreter.overrides[name]
        return { fp in
            let def = try v(fp)
            var value = def
            if let override { value = try ParamInfo.convert(override, like: def, name: name, at: loc) }
            try set(fp, value)
            return .next
        }
    }

    func sourceText(of e: Expr) -> String { Compiler.sourceText(of: e, in: file) }

    /// A param statement's description, for `Interpreter.params(source:)`.
    static func paramScanner(_ file: SourceFile) -> (Stmt) -> ParamInfo? {
        return { s in
            guard case .param(let name, let value, let doc, let loc) = s else { return nil }
            return ParamInfo(name: name, defaultSource: sourceText(of: value, in: file), doc: doc, line: loc.line, file: file)
        }
    }

    static func sourceText(of e: Expr, in file: SourceFile) -> String {
        // The default's text: from its start to the end of the line, without a trailing comment.
        let line = file.line(e.loc.line)
        let start = line.unicodeScalars.index(line.unicodeScalars.startIndex, offsetBy: min(e.loc.column - 1, line.unicodeScalars.count))
        var text = String(line.unicodeScalars[start...])
        if let hash = text.firstIndex(of: "#"), !text[..<hash].contains("\"") { text = String(text[..<hash]) }
        return text.trimmingSpaces()
    }

    private func resolveImport(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let base: String
        if file.name.hasPrefix("<") { base = FileManager.default.currentDirectoryPath } else {
            base = (file.name as NSString).deletingLastPathComponent
        }
        let joined = base.isEmpty ? path : base + "/" + path
        return (joined as NSString).standardizingPath
    }

    private func importedNames(_ path: String, _ loc: SourceLoc) -> [String] {
        let full = resolveImport(path)
        guard !importStack.contains(full), let parsed = try? interpreter.parseImport(full) else { return [] }
        return NameCollector.topLevelNames(parsed.1) { p, l in
            let sub = Compiler(interpreter: self.interpreter, file: parsed.0, importStack: self.importStack + [full])
            return sub.importedNames(p, l)
        }
    }

    private func compileImport(_ path: String, _ loc: SourceLoc) -> Exec {
        if !fs.isTopLevel { error("'import' is only allowed at the top level", loc) }
        let full = resolveImport(path)
        if importStack.contains(full) || full == resolveImport(file.name) {
            error("circular import of '\(path)'", loc)
            return deadExec
        }
        if let done = interpreter.importedCode[full] { return runImportOnce(full, done) }
        let parsed: (SourceFile, [Stmt])
        do { parsed = try interpreter.parseImport(full) } catch {
            if error.diagnostics.first?.location == nil {
                self.error(error.message, loc)
            } else {
                errors += error.diagnostics
            }
            return deadExec
        }
        let sub = Compiler(interpreter: interpreter, file: parsed.0, importStack: importStack + [resolveImport(file.name), full])
        let code = sub.compileChunk(parsed.1)
        errors += sub.errors
        if !sub.errors.isEmpty { return deadExec }
        interpreter.importedCode[full] = code
        return runImportOnce(full, code)
    }

    private func runImportOnce(_ full: String, _ code: @escaping Exec) -> Exec {
        unowned let interp = interpreter
        return { fp in
            if interp.importsRun.contains(full) { return .next }
            interp.importsRun.insert(full)
            _ = try code(fp)
            interp.state.pointee.ret.pointee = .null
            return .next
        }
    }
}

/// How a loop stores its variable (loops are generic over it, so a plain local is one store).
/// Stores a loop variable. The value is consumed: an element copied out of its list or string
/// table moves into the slot instead of being copied again there and destroyed here.
protocol StoreCode {
    func store(_ fp: Frame, _ v: consuming Value) throws
}

struct SlotStore: StoreCode {
    let slot: Int
    @inline(__always) func store(_ fp: Frame, _ v: consuming Value) throws { (fp + slot).store(v) }
}

struct ClosureStore: StoreCode {
    let store: (Frame, Value) throws -> Void
    @inline(__always) func store(_ fp: Frame, _ v: consuming Value) throws { try store(fp, v) }
}

/// A declared script setting (`param steps = 200`).
public struct ParamInfo: Sendable {
    public let name: String
    /// The default as written (`200`, `1e-4`, `"gpt2"`).
    public let defaultSource: String
    /// The `##` comment above the declaration.
    public let doc: String?
    public let line: Int
    public let file: SourceFile

    /// Reads an override string as a gfn literal when it is one, else as a string, and checks it
    /// against the default's type.
    static func convert(_ text: String, like def: Value, name: String, at loc: SourceLoc) throws -> Value {
        let v = literal(text) ?? .string(text)
        switch (def, v) {
        case (.int, .int), (.float, .float), (.bool, .bool), (.string, .string), (.null, _), (.list, .list), (.dict, .dict): return v
        case (.float, .int(let i)): return .float(Double(i))
        case (.string, _): return .string(text)
        default:
            throw Failure("setting \(name)=\(text) has the wrong type: \(def.typeName) expected (the default is \(def.repr)), got \(v.typeName)", at: loc)
        }
    }

    /// A literal value, or nil when the text is not a single literal.
    static func literal(_ text: String) -> Value? {
        let file = SourceFile(name: "<setting>", text: text)
        var parser = Parser(file: file)
        let stmts = parser.parseProgram()
        guard parser.errors.isEmpty, stmts.count == 1, case .expr(let e) = stmts[0] else { return nil }
        return constant(e)
    }

    private static func constant(_ e: Expr) -> Value? {
        switch e {
        case .literal(let v, _): return v
        case .list(let xs, _):
            var out: [Value] = []
            for x in xs { guard let v = constant(x) else { return nil }; out.append(v) }
            return .list(ListObject.make(out))
        case .name("inf", _): return .float(.infinity)
        case .name("nan", _): return .float(.nan)
        default: return nil
        }
    }
}
