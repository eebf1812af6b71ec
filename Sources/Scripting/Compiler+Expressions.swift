// Expressions. Operators are specialised by operand shape (a local slot, a constant, any
// expression) so that `n - 1` or `i < n` costs one closure call, not three.

extension Compiler {
    enum Operand {
        case local(Int)
        case constant(Value)
        case eval(Eval)
    }

    func operand(_ e: Expr) -> Operand {
        if !specialised { return .eval(compileExpr(e)) }
        switch e {
        case .literal(let v, _): return .constant(v)
        case .name(let n, let loc):
            if !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured { return .local(l.slot) }
            guard let r = resolve(n, loc) else { return .eval(dead) }
            return .eval(read(r, n, loc))
        default: return .eval(compileExpr(e))
        }
    }

    func evalOf(_ o: Operand) -> Eval {
        switch o {
        case .local(let s): return { fp in (fp + s).load }
        case .constant(let v): return { _ in v }
        case .eval(let e): return e
        }
    }

    func compileExpr(_ e: Expr) -> Eval {
        switch e {
        case .literal(let v, _):
            return { _ in v }

        case .name(let n, let loc):
            guard let r = resolve(n, loc) else { return dead }
            return read(r, n, loc)

        case .interpolated(let parts, let loc):
            return compileInterpolation(parts, loc)

        case .list(let items, _):
            // Short literals (pairs, tree nodes, small records) are built as Swift array literals:
            // one allocation of the exact size, without `reserveCapacity`'s buffer
            // reallocation and the appends' capacity checks.
            switch items.count {
            case 1:
                let a = compileExpr(items[0])
                return { fp in .list(ListObject([try a(fp)])) }
            case 2:
                let a = compileExpr(items[0]), b = compileExpr(items[1])
                return { fp in .list(ListObject([try a(fp), try b(fp)])) }
            case 3:
                let a = compileExpr(items[0]), b = compileExpr(items[1]), c = compileExpr(items[2])
                return { fp in .list(ListObject([try a(fp), try b(fp), try c(fp)])) }
            default:
                break
            }
            let fill = CodeTree.fill(items.map { EvalBox(run: compileExpr($0)) })
            let n = items.count
            return { fp in
                var out: [Value] = []
                out.reserveCapacity(n)
                try fill(fp, &out)
                return .list(ListObject(out))
            }

        case .dict(let pairs, _):
            let entries = pairs.map { pair -> DictFillBox in
                let v = compileExpr(pair.1)
                // A string literal key (records: `{"id": i, "name": …}`) is converted once.
                if case .literal(.string(let k), _) = pair.0 {
                    let key = DictKey.string(k)
                    return DictFillBox { fp, d in d[key] = try v(fp) }
                }
                let k = compileExpr(pair.0), kloc = pair.0.loc
                return DictFillBox { fp, d in
                    let kv = try k(fp)
                    guard let key = DictKey(kv) else { throw Failure("\(kv.typeName) cannot be a dict key (use a string, number or bool)", at: kloc) }
                    d[key] = try v(fp)
                }
            }
            let fill = CodeTree.dictFill(entries), n = pairs.count
            return { fp in
                let d = n == 0 ? DictObject() : DictObject(capacity: n)
                try fill(fp, d)
                return .dict(d)
            }

        case .unary(let op, let x, let loc):
            let xe = compileExpr(x)
            if op == .plus {
                return { fp in
                    let v = try xe(fp)
                    guard v.doubleValue != nil else { throw Failure(ErrorText.unsupportedOperand("+", v), at: loc) }
                    return v
                }
            }
            return { fp in
                let v = try xe(fp)
                if case .float(let d) = v { return .float(-d) }
                return try negate(v, loc)
            }

        case .binary(let op, let l, let r, let loc):
            if op.isComparison {
                let t = compileComparison(op, l, r, loc)
                return { fp in .bool(try t(fp)) }
            }
            if let fused = fusedCallArithmetic(e) { return { fp in try fused.value(fp) } }
            return compileArithmetic(op, operand(l), operand(r), loc)

        case .and(let a, let b, _):
            let ae = compileExpr(a), be = compileExpr(b)
            return { fp in
                let x = try ae(fp)
                return x.isTruthy ? try be(fp) : x
            }

        case .or(let a, let b, _):
            let ae = compileExpr(a), be = compileExpr(b)
            return { fp in
                let x = try ae(fp)
                return x.isTruthy ? x : try be(fp)
            }

        case .not(let x, _):
            let t = compileTest(x)
            return { fp in .bool(!(try t(fp))) }

        case .call(let callee, let args, let loc):
            return compileCall(callee, args, loc)

        case .member(let o, let name, let loc):
            return compileMember(o, name, loc)

        case .index(let c, let i, let loc):
            // `r["name"]`: the key's hash is computed once, here.
            if specialised, case .literal(.string(let k), _) = i {
                let key = DictKey.string(k), hash = DictObject.hash(key), index = Value.string(k)
                // A dict in a local variable is read where it lies (see `IndexGet`).
                if case .name(let n, _) = c, !fs.isTopLevel, let l = fs.lookupLocal(n), !l.captured {
                    let slot = l.slot
                    return { fp in
                        if let v = (fp + slot).dictValue(key, hash: hash) { return v }
                        return try Indexing.get((fp + slot).load, index, loc)
                    }
                }
                let ce = compileExpr(c)
                return { fp in
                    let container = try ce(fp)
                    if case .dict(let d) = container, let v = d.value(key, hash: hash) { return v }
                    return try Indexing.get(container, index, loc)
                }
            }
            return withOperands(c, i, IndexGet(loc: loc)).run

        case .slice(let c, let a, let b, let s, let loc):
            let ce = compileExpr(c)
            let ae = a.map { compileExpr($0) }, be = b.map { compileExpr($0) }, se = s.map { compileExpr($0) }
            return { fp in
                try Indexing.slice(try ce(fp), try ae?(fp) ?? .null, try be?(fp) ?? .null, try se?(fp) ?? .null, loc)
            }

        case .function(let decl):
            return compileFunction(decl, name: decl.name ?? "<lambda:\(decl.loc.line)>")

        case .ifExpr(let c, let a, let b, _):
            let t = compileTest(c)
            let then = compileValueBlock(a)
            let other = b.map { compileValueBlock($0) }
            return { fp in
                if try t(fp) { return try then(fp) }
                return try other?(fp) ?? .null
            }
        }
    }

    /// A block used as a value: its last expression statement gives the value.
    func compileValueBlock(_ stmts: [Stmt]) -> Eval {
        fs.pushBlock()
        let savedLoops = fs.loopDepth
        fs.loopDepth = 0
        fs.valueIfDepth += 1
        defer {
            fs.popBlock()
            fs.loopDepth = savedLoops
            fs.valueIfDepth -= 1
        }
        guard let last = stmts.last else { return { _ in .null } }
        let first = compileStatements(Array(stmts.dropLast()), tail: false)
        let value: Eval
        switch last {
        case .expr(let e): value = compileExpr(e)
        case .ifStmt(let c, let a, let b, let loc): value = compileExpr(.ifExpr(c, a, b, loc))
        default:
            let x = compileStatement(last, tail: false)
            value = { fp in _ = try x(fp); return .null }
        }
        if stmts.count == 1 { return value }
        return { fp in
            _ = try first(fp)
            return try value(fp)
        }
    }

    private func compileInterpolation(_ parts: [InterpolationPart], _ loc: SourceLoc) -> Eval {
        let limits = self.limits
        let pieces: [TextFillBox] = parts.map {
            switch $0 {
            case .text(let t):
                return TextFillBox { _, s in
                    s += t
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            case .expr(let e, let spec?):
                let v = compileExpr(e), eloc = e.loc
                return TextFillBox { fp, s in
                    let x = try v(fp)
                    do { s += try spec.format(x) } catch { throw Failure.wrap(error, at: eloc) }
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            case .expr(let e, nil):
                let v = compileExpr(e)
                return TextFillBox { fp, s in
                    let x = try v(fp)
                    if case .string(let t) = x { s += t } else { s += x.description }
                    if s.utf8.count > limits.maxStringBytes { throw Failure(ErrorText.stringTooLarge(s.utf8.count, limit: limits.maxStringBytes), at: loc) }
                }
            }
        }
        let fill = CodeTree.textFill(pieces)
        // Room for the literal text and a few bytes per value, when that is more than a small
        // string holds: the string then grows once instead of at every doubling.
        let estimate = parts.reduce(0) { n, p in
            if case .text(let t) = p { return n + t.utf8.count }
            return n + 8
        }
        if estimate > 15 {
            return { fp in
                var s = ""
                s.reserveCapacity(estimate)
                try fill(fp, &s)
                return .string(s)
            }
        }
        return { fp in
            var s = ""
            try fill(fp, &s)
            return .string(s)
        }
    }

    // MARK: - Operators

    func binaryFunction(_ op: BinaryOp, _ loc: SourceLoc) -> (Value, Value) throws -> Value {
        let limits = self.limits
        switch op {
        case .add: return { try AddOp.apply($0, $1, loc, limits) }
        case .sub: return { try SubOp.apply($0, $1, loc, limits) }
        case .mul: return { try MulOp.apply($0, $1, loc, limits) }
        case .div: return { try DivOp.apply($0, $1, loc, limits) }
        case .floorDiv: return { try FloorDivOp.apply($0, $1, loc, limits) }
        case .mod: return { try ModOp.apply($0, $1, loc, limits) }
        case .pow: return { try PowOp.apply($0, $1, loc, limits) }
        case .eq: return { .bool(try EqOp.test($0, $1, loc)) }
        case .ne: return { .bool(try NeOp.test($0, $1, loc)) }
        case .lt: return { .bool(try LtOp.test($0, $1, loc)) }
        case .le: return { .bool(try LeOp.test($0, $1, loc)) }
        case .gt: return { .bool(try GtOp.test($0, $1, loc)) }
        case .ge: return { .bool(try GeOp.test($0, $1, loc)) }
        case .in: return { .bool(try InOp.test($0, $1, loc)) }
        case .notIn: return { .bool(try NotInOp.test($0, $1, loc)) }
        }
    }

    private func compileArithmetic(_ op: BinaryOp, _ l: Operand, _ r: Operand, _ loc: SourceLoc) -> Eval {
        switch op {
        case .add: return arithmetic(AddOp.self, l, r, loc)
        case .sub: return arithmetic(SubOp.self, l, r, loc)
        case .mul: return arithmetic(MulOp.self, l, r, loc)
        case .div: return arithmetic(DivOp.self, l, r, loc)
        case .floorDiv: return arithmetic(FloorDivOp.self, l, r, loc)
        case .mod: return arithmetic(ModOp.self, l, r, loc)
        case .pow: return arithmetic(PowOp.self, l, r, loc)
        default: preconditionFailure("comparison compiled as arithmetic")
        }
    }

    private func arithmetic<O: BinaryOperator>(_: O.Type, _ l: Operand, _ r: Operand, _ loc: SourceLoc) -> Eval {
        let limits = self.limits
        // An int literal on the right (`x * 3`, `y % 10`, `get(k, 0) + 1`): the int case is
        // matched in place, so an int operand is never copied as a general value.
        if O.hasIntFastPath, case .constant(.int(let k)) = r {
            unowned(unsafe) let site = operatorSite(.int(k), loc)
            switch l {
            case .local(let i):
                return { fp in
                    if case .int(let x) = fp[i], let v = O.ints(x, k) { return .int(v) }
                    return try site.apply(O.self, (fp + i).load)
                }
            case .eval(let a):
                return { fp in
                    let x = try a(fp)
                    if case .int(let xi) = x, let v = O.ints(xi, k) { return .int(v) }
                    return try site.apply(O.self, x)
                }
            case .constant: break
            }
        }
        switch (l, r) {
        case (.local(let i), .constant(let c)): return { fp in try O.apply(fp[i], c, loc, limits) }
        case (.local(let i), .local(let j)): return { fp in try O.apply(fp[i], fp[j], loc, limits) }
        case (.constant(let c), .local(let j)): return { fp in try O.apply(c, fp[j], loc, limits) }
        case (.eval(let a), .constant(let c)): return { fp in try O.apply(try a(fp), c, loc, limits) }
        case (.local(let i), .eval(let b)): return { fp in
            let y = try b(fp)
            return try O.apply(fp[i], y, loc, limits)
        }
        case (.eval(let a), .local(let j)): return { fp in try O.apply(try a(fp), fp[j], loc, limits) }
        default:
            let a = evalOf(l), b = evalOf(r)
            return { fp in
                let x = try a(fp)
                return try O.apply(x, try b(fp), loc, limits)
            }
        }
    }

    func compileComparison(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ loc: SourceLoc) -> Test {
        let a = operand(l), b = operand(r)
        switch op {
        case .eq: return comparison(EqOp.self, a, b, loc)
        case .ne: return comparison(NeOp.self, a, b, loc)
        case .lt: return comparison(LtOp.self, a, b, loc)
        case .le: return comparison(LeOp.self, a, b, loc)
        case .gt: return comparison(GtOp.self, a, b, loc)
        case .ge: return comparison(GeOp.self, a, b, loc)
        case .in: return comparison(InOp.self, a, b, loc)
        case .notIn: return comparison(NotInOp.self, a, b, loc)
        default: preconditionFailure("arithmetic compiled as comparison")
        }
    }

    private func comparison<O: ComparisonOperator>(_: O.Type, _ l: Operand, _ r: Operand, _ loc: SourceLoc) -> Test {
        if O.hasIntFastPath, case .constant(.int(let k)) = r {
            unowned(unsafe) let site = operatorSite(.int(k), loc)
            switch l {
            case .local(let i):
                return { fp in
                    if case .int(let x) = fp[i] { return O.ints(x, k) }
                    return try site.test(O.self, (fp + i).load)
                }
            case .eval(let a):
                return { fp in
                    let x = try a(fp)
                    if case .int(let xi) = x { return O.ints(xi, k) }
                    return try site.test(O.self, x)
                }
            case .constant: break
            }
        }
        // `x == nil` and `x != nil`: only nil equals nil, so the test is the value's case.
        if O.self == EqOp.self || O.self == NeOp.self, case .constant(.null) = r {
            let wantNil = O.self == EqOp.self
            switch l {
            case .local(let i): return { fp in fp[i].isNil == wantNil }
            case .eval(let a): return { fp in try a(fp).isNil == wantNil }
            case .constant: break
            }
        }
        switch (l, r) {
        case (.local(let i), .constant(let c)): return { fp in try O.test(fp[i], c, loc) }
        case (.local(let i), .local(let j)): return { fp in try O.test(fp[i], fp[j], loc) }
        case (.eval(let a), .constant(let c)): return { fp in try O.test(try a(fp), c, loc) }
        case (.local(let i), .eval(let b)): return { fp in
            let y = try b(fp)
            return try O.test(fp[i], y, loc)
        }
        default:
            let a = evalOf(l), b = evalOf(r)
            return { fp in
                let x = try a(fp)
                return try O.test(x, try b(fp), loc)
            }
        }
    }

    /// A condition, compiled straight to Bool (no boxing of comparison results).
    func compileTest(_ e: Expr) -> Test {
        switch e {
        case .binary(let op, let l, let r, let loc) where op.isComparison:
            return compileComparison(op, l, r, loc)
        case .and(let a, let b, _):
            let ta = compileTest(a), tb = compileTest(b)
            return { fp in try ta(fp) ? try tb(fp) : false }
        case .or(let a, let b, _):
            let ta = compileTest(a), tb = compileTest(b)
            return { fp in try ta(fp) ? true : try tb(fp) }
        case .not(let x, _):
            let t = compileTest(x)
            return { fp in !(try t(fp)) }
        case .literal(let v, _):
            let b = v.isTruthy
            return { _ in b }
        default:
            let ev = compileExpr(e)
            return { fp in try ev(fp).isTruthy }
        }
    }

    // MARK: - Members

    func compileMember(_ o: Expr, _ name: String, _ loc: SourceLoc) -> Eval {
        let oe = compileExpr(o)
        let lib = interpreter.library
        let tables = (lib.methods["string"]?[name], lib.methods["list"]?[name], lib.methods["dict"]?[name], lib.methods["range"]?[name])
        return { fp in
            let obj = try oe(fp)
            var method: NativeFunction? = nil
            switch obj {
            case .string: method = tables.0
            case .list: method = tables.1
            case .dict: method = tables.2
            case .range: method = tables.3
            case .native(let n):
                do {
                    if let v = try n.property(name) { return v }
                } catch { throw Failure.wrap(error, at: loc) }
                if let m = n.method(name) { return .builtin(NativeFunction(bound: m, to: obj)) }
                throw Failure("\(n.typeName) has no member '\(name)'" + Suggest.didYouMean(name, n.members.map(\.name)), at: loc)
            case .function(let f):
                switch name {
                case "name": return .string(f.name)
                case "doc": return f.doc.map { .string($0) } ?? .null
                default: break
                }
            default: break
            }
            if let method { return .builtin(NativeFunction(bound: method, to: obj)) }
            throw lib.noMember(obj, name, loc)
        }
    }
}

/// The error object a `catch` receives.
final class ErrorObject: PropertyTableObject {
    let failure: Failure
    init(_ failure: Failure) { self.failure = failure }
    var typeName: String { "error" }
    var description: String { failure.message }
    var summary: String { "error: what a `catch` receives" }
    static let methods: [NativeFunction] = []
    static let properties: [NativeProperty<ErrorObject>] = [
        NativeProperty("message", "the error message") { .string($0.failure.message) },
        NativeProperty("value", "the value given to error(…), or the message") { $0.failure.value ?? .string($0.failure.message) },
        NativeProperty("line", "the line where it happened") { $0.failure.loc.map { .int($0.line) } ?? .null },
        NativeProperty("column", "the column where it happened") { $0.failure.loc.map { .int($0.column) } ?? .null },
        NativeProperty("file", "the file where it happened") { $0.failure.loc.map { .string($0.file.name) } ?? .null },
    ]
}

/// Turning any iterable value into its elements.
enum Iteration {
    /// The one-character strings of the ASCII characters, made once.
    nonisolated(unsafe) private static let asciiStrings: [Value] = (0..<128).map { .string(String(Character(Unicode.Scalar(UInt8($0))))) }

    /// The one-character string of an ASCII byte.
    @inline(__always) static func asciiString(_ b: UInt8) -> Value { asciiStrings[Int(b)] }

    /// The characters of an ASCII string without carriage returns, one per byte (no grapheme
    /// breaking); nil for any other string.
    /// Runs `body` with each character of an ASCII string without carriage returns (one per
    /// byte) and returns true; returns false without calling it for any other string. The
    /// characters are not collected into an array first.
    static func forEachASCIICharacter(_ s: String, _ body: (Value) throws -> Bool) rethrows -> Bool {
        let r: Bool? = try s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b >= 0x80 || b == 0x0D { return false }
            let table = asciiStrings
            for b in bytes {
                if try !body(table[Int(b)]) { break }
            }
            return true
        }
        return r ?? false
    }

    static func asciiCharacters(_ s: String) -> [Value]? {
        let r: [Value]?? = s.utf8.withContiguousStorageIfAvailable { bytes -> [Value]? in
            var out: [Value] = []
            out.reserveCapacity(bytes.count)
            let table = asciiStrings
            for b in bytes {
                if b >= 0x80 || b == 0x0D { return nil }
                out.append(table[Int(b)])
            }
            return out
        }
        return r ?? nil
    }

    static func elements(_ v: Value, limits: Limits, loc: SourceLoc? = nil) throws -> [Value]? {
        switch v {
        case .list(let l): return l.items
        case .range(let r):
            let n = r.count
            guard n <= limits.maxElements else { throw Failure(ErrorText.listTooLarge(n, limit: limits.maxElements), at: loc) }
            var out: [Value] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(.int(r.element(i))) }
            return out
        case .string(let s):
            if let chars = asciiCharacters(s) { return chars }
            return s.map { .string(String($0)) }
        case .dict(let d): return d.keyList.map(\.value)
        case .native(let o):
            do { return try o.elements() } catch { throw Failure.wrap(error, at: loc ?? SourceLoc(file: SourceFile(name: "<native>", text: ""), line: 1, column: 1)) }
        default: return nil
        }
    }
}

// MARK: - Specialised condition shapes

/// A condition a branch can inline (generic call sites specialise over it).
protocol TestCode {
    func test(_ fp: Frame) throws -> Bool
}

struct ClosureTest: TestCode {
    let test: Test
    @inline(__always) func test(_ fp: Frame) throws -> Bool { try test(fp) }
}

/// `local < constant` and the other comparisons of a local with a literal.
struct LocalComparesConstant<O: ComparisonOperator>: TestCode {
    let slot: Int
    let constant: Value
    let loc: SourceLoc
    @inline(__always) func test(_ fp: Frame) throws -> Bool { try O.test(fp[slot], constant, loc) }
}
