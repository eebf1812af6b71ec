// Arithmetic, comparison, membership, indexing and slicing. Each operator is a type with a static
// `apply`, so the compiler can specialise one closure per operator with the int and float fast
// paths inlined and everything else in a slow path that is not.

import Foundation

protocol BinaryOperator {
    static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value
    /// Whether `ints` ever answers (code with an int literal operand specialises on it).
    static var hasIntFastPath: Bool { get }
    /// The result for two ints when it is an int with no error (no overflow, no division by
    /// zero), else nil and `apply` decides.
    static func ints(_ x: Int, _ y: Int) -> Int?
    /// The result for two floats (or an int and a float, as a float) when it is a float with
    /// no error, else nil and `apply` decides.
    static func floats(_ x: Double, _ y: Double) -> Double?
}

extension BinaryOperator {
    static var hasIntFastPath: Bool { false }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? { nil }
    @inline(__always) static func floats(_ x: Double, _ y: Double) -> Double? { nil }
}

protocol ComparisonOperator {
    static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool
    static var hasIntFastPath: Bool { get }
    /// The answer for two ints, when the operator compares them as numbers.
    static func ints(_ x: Int, _ y: Int) -> Bool
}

extension ComparisonOperator {
    static var hasIntFastPath: Bool { false }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { false }
}

func typeError(_ op: String, _ a: Value, _ b: Value, _ loc: SourceLoc) -> Failure {
    Failure(ErrorText.unsupportedOperands(op, a, b), at: loc)
}

enum AddOp: BinaryOperator {
    @inline(__always) static func floats(_ x: Double, _ y: Double) -> Double? { x + y }
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? {
        let (r, o) = x.addingReportingOverflow(y)
        return o ? nil : r
    }
    @inline(__always) static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw Failure("integer overflow in +", at: loc) }
            return .int(r)
        }
        if case .float(let x) = a, case .float(let y) = b { return .float(x + y) }
        if case .int(let x) = a, case .float(let y) = b { return .float(Double(x) + y) }
        if case .float(let x) = a, case .int(let y) = b { return .float(x + Double(y)) }
        return try slow(a, b, loc, limits)
    }
    @inline(never) static func slow(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        switch (a, b) {
        case (.int(let x), .float(let y)): return .float(Double(x) + y)
        case (.float(let x), .int(let y)): return .float(x + Double(y))
        case (.string(let x), .string(let y)):
            guard x.utf8.count + y.utf8.count <= limits.maxStringBytes else { throw Failure(ErrorText.stringTooLarge(x.utf8.count + y.utf8.count, limit: limits.maxStringBytes), at: loc) }
            return .string(x + y)
        case (.list(let x), .list(let y)):
            guard x.count + y.count <= limits.maxElements else { throw Failure(ErrorText.listTooLarge(x.count + y.count, limit: limits.maxElements), at: loc) }
            return .list(ListObject.make(x.snapshot() + y.snapshot()))
        case (.string, _), (_, .string):
            throw Failure(ErrorText.unsupportedOperands("+", a, b), at: loc, hint: ErrorText.concatenationHint)
        default: throw typeError("+", a, b, loc)
        }
    }
}

/// `x += t` on a variable slot that holds a string: the string is moved out of the slot (no
/// retain and release of its buffer) and back after the append, so the buffer is held once and
/// grows in place instead of being copied (a loop that builds a string piece by piece takes
/// linear time, not quadratic). The size limit and its error are those of `+`.
@inline(never)
func appendString(_ slot: UnsafeMutablePointer<Value>, _ t: String, _ loc: SourceLoc, _ limits: Limits) throws {
    guard case .string = slot.pointee else { preconditionFailure("appendString on a slot without a string") }
    guard case .string(var s) = slot.move() else { preconditionFailure("appendString on a slot without a string") }
    let n = s.utf8.count + t.utf8.count
    guard n <= limits.maxStringBytes else {
        slot.initialize(to: .string(s))
        throw Failure(ErrorText.stringTooLarge(n, limit: limits.maxStringBytes), at: loc)
    }
    s += t
    slot.initialize(to: .string(s))
}

enum SubOp: BinaryOperator {
    @inline(__always) static func floats(_ x: Double, _ y: Double) -> Double? { x - y }
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? {
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? nil : r
    }
    @inline(__always) static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw Failure("integer overflow in -", at: loc) }
            return .int(r)
        }
        if case .float(let x) = a, case .float(let y) = b { return .float(x - y) }
        if case .int(let x) = a, case .float(let y) = b { return .float(Double(x) - y) }
        if case .float(let x) = a, case .int(let y) = b { return .float(x - Double(y)) }
        return try slow(a, b, loc)
    }
    @inline(never) static func slow(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Value {
        switch (a, b) {
        case (.int(let x), .float(let y)): return .float(Double(x) - y)
        case (.float(let x), .int(let y)): return .float(x - Double(y))
        default: throw typeError("-", a, b, loc)
        }
    }
}

enum MulOp: BinaryOperator {
    @inline(__always) static func floats(_ x: Double, _ y: Double) -> Double? { x * y }
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? {
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? nil : r
    }
    @inline(__always) static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw Failure("integer overflow in *", at: loc) }
            return .int(r)
        }
        if case .float(let x) = a, case .float(let y) = b { return .float(x * y) }
        if case .int(let x) = a, case .float(let y) = b { return .float(Double(x) * y) }
        if case .float(let x) = a, case .int(let y) = b { return .float(x * Double(y)) }
        return try slow(a, b, loc, limits)
    }
    @inline(never) static func slow(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        switch (a, b) {
        case (.int(let x), .float(let y)): return .float(Double(x) * y)
        case (.float(let x), .int(let y)): return .float(x * Double(y))
        case (.string(let s), .int(let n)), (.int(let n), .string(let s)):
            // Repeating nothing is nothing, at once: `"" * 10**12` must not loop 10^12 times.
            let count = s.isEmpty ? 0 : max(0, n)
            guard count == 0 || s.utf8.count <= limits.maxStringBytes / count else {
                throw Failure(ErrorText.stringTooLarge(ErrorText.product(s.utf8.count, count), limit: limits.maxStringBytes), at: loc)
            }
            return .string(String(repeating: s, count: count))
        case (.list(let l), .int(let n)), (.int(let n), .list(let l)):
            let items = l.snapshot()
            let count = items.isEmpty ? 0 : max(0, n)
            guard count == 0 || items.count <= limits.maxElements / count else {
                throw Failure(ErrorText.listTooLarge(ErrorText.product(items.count, count), limit: limits.maxElements), at: loc)
            }
            // `[x] * n`, the usual way to make a list of n slots, fills the array at once: one
            // `append(contentsOf:)` per repetition cost about a hundred instructions an element.
            if items.count == 1 { return .list(ListObject.make(Array(repeating: items[0], count: count))) }
            var out: [Value] = []
            out.reserveCapacity(items.count * count)
            for _ in 0..<count { out.append(contentsOf: items) }
            return .list(ListObject.make(out))
        default: throw typeError("*", a, b, loc)
        }
    }
}

enum DivOp: BinaryOperator {
    @inline(__always) static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        guard let x = a.doubleValue, let y = b.doubleValue else { throw typeError("/", a, b, loc) }
        if y == 0 { throw Failure("division by zero", at: loc) }
        return .float(x / y)
    }
}

enum FloorDivOp: BinaryOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? { y > 0 && x >= 0 ? x / y : nil }
    static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            if y == 0 { throw Failure("division by zero", at: loc) }
            if x == Int.min && y == -1 { throw Failure("integer overflow in //", at: loc) }
            let q = x / y
            return .int((x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q)
        }
        guard let x = a.doubleValue, let y = b.doubleValue else { throw typeError("//", a, b, loc) }
        if y == 0 { throw Failure("division by zero", at: loc) }
        return .float((x / y).rounded(.down))
    }
}

enum ModOp: BinaryOperator {
    static var hasIntFastPath: Bool { true }
    /// Non-negative operands only: there `%` and the floored modulo agree.
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Int? { y > 0 && x >= 0 ? x % y : nil }
    @inline(__always) static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b, y > 0, x >= 0 { return .int(x % y) }
        return try slow(a, b, loc)
    }
    @inline(never) static func slow(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            if y == 0 { throw Failure("division by zero (modulo)", at: loc) }
            if y == -1 { return .int(0) }
            let r = x % y
            return .int(r != 0 && ((r < 0) != (y < 0)) ? r + y : r)
        }
        guard let x = a.doubleValue, let y = b.doubleValue else { throw typeError("%", a, b, loc) }
        if y == 0 { throw Failure("division by zero (modulo)", at: loc) }
        let r = fmod(x, y)
        return .float(r != 0 && ((r < 0) != (y < 0)) ? r + y : r)
    }
}

enum PowOp: BinaryOperator {
    static func apply(_ a: Value, _ b: Value, _ loc: SourceLoc, _ limits: Limits) throws -> Value {
        if case .int(var base) = a, case .int(var e) = b, e >= 0 {
            var result = 1
            while e > 0 {
                if e & 1 == 1 {
                    let (r, o) = result.multipliedReportingOverflow(by: base)
                    if o { throw Failure("integer overflow in **", at: loc) }
                    result = r
                }
                e >>= 1
                if e > 0 {
                    let (r, o) = base.multipliedReportingOverflow(by: base)
                    if o { throw Failure("integer overflow in **", at: loc) }
                    base = r
                }
            }
            return .int(result)
        }
        guard let x = a.doubleValue, let y = b.doubleValue else { throw typeError("**", a, b, loc) }
        if x == 0 && y < 0 { throw Failure("division by zero (0 raised to a negative power)", at: loc) }
        return .float(pow(x, y))
    }
}

// MARK: - Comparisons

enum EqOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x == y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x == y }
        if case .string(let x) = a, case .string(let y) = b { return x == y }
        return Value.equal(a, b)
    }
}

enum NeOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x != y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x != y }
        if case .string(let x) = a, case .string(let y) = b { return x != y }
        return !Value.equal(a, b)
    }
}

/// Strings by Unicode scalar values, so the order does not depend on normalization. UTF-8
/// keeps the order of scalar values, so comparing the bytes gives the same answer.
func orderStrings(_ x: String, _ y: String) -> Int {
    let fast: Int?? = x.utf8.withContiguousStorageIfAvailable { p -> Int? in
        y.utf8.withContiguousStorageIfAvailable { q -> Int in
            let n = min(p.count, q.count)
            // Short keys (names, words) differ within a few bytes: comparing them here costs
            // less than the call to `memcmp`, which takes over past the first 16 bytes.
            var i = 0
            while i < n && i < 16 {
                if p[i] != q[i] { return p[i] < q[i] ? -1 : 1 }
                i += 1
            }
            if i < n, let a = p.baseAddress, let b = q.baseAddress {
                let c = memcmp(a + i, b + i, n - i)
                if c != 0 { return c < 0 ? -1 : 1 }
            }
            return p.count < q.count ? -1 : p.count == q.count ? 0 : 1
        }
    }
    if case .some(.some(let o)) = fast { return o }
    var ix = x.utf8.makeIterator(), iy = y.utf8.makeIterator()
    while true {
        switch (ix.next(), iy.next()) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let p?, let q?): if p != q { return p < q ? -1 : 1 }
        }
    }
}

/// Ordering: -1, 0, 1; nil when unordered (nan).
func order(_ a: Value, _ b: Value, _ op: String, _ loc: SourceLoc, depth: Int = 0) throws -> Int? {
    if let o = scalarOrder(a, b) { return o }
    if case .list(let x) = a, case .list(let y) = b { return try orderLists(x, y, op, loc, depth: depth) }
    throw Failure("cannot compare \(a.typeName) and \(b.typeName) with \(op)", at: loc)
}

/// The ordering of two numbers, two strings or two bools (`.some`, holding nil when unordered);
/// nil for any other pair. Each value is tested on its own rather than as a tuple, which would
/// copy both out before matching.
@inline(__always) func scalarOrder(_ a: Value, _ b: Value) -> Int?? {
    switch a {
    case .int(let x):
        if case .int(let y) = b { return .some(x < y ? -1 : x == y ? 0 : 1) }
        if case .float(let y) = b { let dx = Double(x); return .some(dx < y ? -1 : dx == y ? 0 : dx > y ? 1 : nil) }
    case .float(let x):
        if case .float(let y) = b { return .some(x < y ? -1 : x == y ? 0 : x > y ? 1 : nil) }
        if case .int(let y) = b { let dy = Double(y); return .some(x < dy ? -1 : x == dy ? 0 : x > dy ? 1 : nil) }
    case .string(let x):
        if case .string(let y) = b { return .some(orderStrings(x, y)) }
    case .bool(let x):
        if case .bool(let y) = b { return .some(x == y ? 0 : (!x ? -1 : 1)) }
    default:
        break
    }
    return nil
}

/// Lists element by element, then by length: scalars are compared inline (sorting by a list
/// key compares many short lists), nested lists recursively up to a depth limit.
func orderLists(_ x: ListObject, _ y: ListObject, _ op: String, _ loc: SourceLoc, depth: Int) throws -> Int? {
    guard depth < 200 else { throw Failure("lists nested too deeply to compare", at: loc) }
    let n = min(x.count, y.count)
    var i = 0
    while i < n {
        let u = x.element(i), v = y.element(i)
        let o: Int?
        if let s = scalarOrder(u, v) { o = s } else { o = try order(u, v, op, loc, depth: depth + 1) }
        guard let o else { return nil }
        if o != 0 { return o }
        i += 1
    }
    return x.count < y.count ? -1 : x.count == y.count ? 0 : 1
}

enum LtOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x < y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x < y }
        if case .float(let x) = a, case .float(let y) = b { return x < y }
        return try order(a, b, "<", loc) == -1
    }
}
enum LeOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x <= y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x <= y }
        if case .float(let x) = a, case .float(let y) = b { return x <= y }
        let o = try order(a, b, "<=", loc); return o == -1 || o == 0
    }
}
enum GtOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x > y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x > y }
        if case .float(let x) = a, case .float(let y) = b { return x > y }
        return try order(a, b, ">", loc) == 1
    }
}
enum GeOp: ComparisonOperator {
    static var hasIntFastPath: Bool { true }
    @inline(__always) static func ints(_ x: Int, _ y: Int) -> Bool { x >= y }
    @inline(__always) static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x >= y }
        if case .float(let x) = a, case .float(let y) = b { return x >= y }
        let o = try order(a, b, ">=", loc); return o == 1 || o == 0
    }
}

enum InOp: ComparisonOperator {
    static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool {
        switch b {
        case .list(let l): return l.snapshot().contains { Value.equal($0, a) }
        case .dict(let d):
            guard let k = DictKey(a) else { return false }
            return d[k] != nil
        case .string(let s):
            guard case .string(let sub) = a else { throw Failure("'in <string>' needs a string on the left, not \(a.typeName)", at: loc) }
            return sub.isEmpty || s.contains(sub)
        case .range(let r):
            guard let i = a.intValue else { return false }
            if r.step > 0 ? (i < r.start || i >= r.stop) : (i > r.start || i <= r.stop) { return false }
            return (i - r.start) % r.step == 0
        case .native(let o):
            if let items = try o.elements() { return items.contains { Value.equal($0, a) } }
            throw Failure("'in' needs a list, dict, string or range, not \(b.typeName)", at: loc)
        default:
            throw Failure("'in' needs a list, dict, string or range, not \(b.typeName)", at: loc)
        }
    }
}

enum NotInOp: ComparisonOperator {
    static func test(_ a: Value, _ b: Value, _ loc: SourceLoc) throws -> Bool { try !InOp.test(a, b, loc) }
}

// MARK: - Unary

func negate(_ v: Value, _ loc: SourceLoc) throws -> Value {
    switch v {
    case .int(let i):
        if i == Int.min { throw Failure("integer overflow in -", at: loc) }
        return .int(-i)
    case .float(let d): return .float(-d)
    default: throw Failure(ErrorText.unsupportedOperand("-", v), at: loc)
    }
}

// MARK: - Indexing

enum Indexing {
    /// A normalized index into a collection of `count` elements.
    static func position(_ index: Value, count: Int, what: String, _ loc: SourceLoc) throws -> Int {
        guard let i = index.intValue else {
            throw Failure("\(what) indices must be ints, not \(index.typeName)", at: loc)
        }
        let j = i < 0 ? i + count : i
        guard j >= 0 && j < count else {
            throw Failure("index \(i) out of range for \(what) of length \(count)", at: loc)
        }
        return j
    }

    static func get(_ c: Value, _ index: Value, _ loc: SourceLoc) throws -> Value {
        switch c {
        case .list(let l):
            if case .int(let i) = index, i >= 0, i < l.count { return l.element(i) }
            return l.element(try position(index, count: l.count, what: "list", loc))
        case .dict(let d):
            if case .at(let i) = d.lookup(index) { return d.value(at: i) }
            guard let k = DictKey(index) else { throw Failure("\(index.typeName) cannot be a dict key", at: loc) }
            guard let v = d[k] else {
                let names = d.pairs.compactMap { if case .string(let s) = $0.0 { return s }; return nil }
                var msg = "key \(index.repr) not found in dict"
                if case .string(let s) = index { msg += Suggest.didYouMean(s, names) }
                throw Failure(msg, at: loc, hint: "use d.get(key, default) for a key that may be absent")
            }
            return v
        case .string(let s):
            if let v = try asciiBytes(s, { bytes -> Value in
                let b = bytes[try position(index, count: bytes.count, what: "string", loc)]
                return Iteration.asciiString(b)
            }) { return v }
            let chars = Array(s)
            return .string(String(chars[try position(index, count: chars.count, what: "string", loc)]))
        case .range(let r):
            return .int(r.element(try position(index, count: r.count, what: "range", loc)))
        case .native(let o):
            if let v = try o.item(index) { return v }
            throw Failure("cannot index a \(c.typeName)", at: loc)
        default:
            throw Failure("cannot index a \(c.typeName)", at: loc)
        }
    }

    static func set(_ c: Value, _ index: Value, _ v: Value, _ loc: SourceLoc, _ limits: Limits) throws {
        switch c {
        case .list(let l):
            if case .int(let i) = index, i >= 0, i < l.count { l.setElement(i, v); return }
            l.setElement(try position(index, count: l.count, what: "list", loc), v)
        case .dict(let d):
            if case .at(let i) = d.lookup(index) { d.setValue(at: i, v); return }
            guard let k = DictKey(index) else { throw Failure("\(index.typeName) cannot be a dict key", at: loc) }
            if d.count >= limits.maxElements && d[k] == nil { throw Failure(ErrorText.tooLarge("dict", d.count + 1, "entries", limit: limits.maxElements), at: loc) }
            d[k] = v
        case .string:
            throw Failure("strings are immutable (build a new one, e.g. s[:i] + c + s[i + 1:])", at: loc)
        default:
            throw Failure("cannot assign to an index of a \(c.typeName)", at: loc)
        }
    }

    /// Python slice semantics: bounds are clamped, never an error.
    static func sliceIndices(count: Int, _ start: Value, _ stop: Value, _ step: Value, _ loc: SourceLoc) throws -> [Int] {
        func int(_ v: Value, _ what: String) throws -> Int? {
            if v.isNil { return nil }
            guard let i = v.intValue else { throw Failure("slice \(what) must be an int, not \(v.typeName)", at: loc) }
            return i
        }
        let st = try int(step, "step") ?? 1
        if st == 0 { throw Failure("slice step cannot be zero", at: loc) }
        func clamp(_ i: Int?, _ def: Int) -> Int {
            guard var i else { return def }
            if i < 0 { i += count }
            if st > 0 { return min(max(i, 0), count) }
            return min(max(i, -1), count - 1)
        }
        let a = clamp(try int(start, "start"), st > 0 ? 0 : count - 1)
        let b = clamp(try int(stop, "stop"), st > 0 ? count : -1)
        var out: [Int] = []
        var i = a
        while st > 0 ? i < b : i > b { out.append(i); i += st }
        return out
    }

    /// Runs `body` on the string's UTF-8 bytes when each byte is one character (all ASCII and
    /// no carriage return, which forms one character with a following line feed); nil otherwise.
    @inline(__always)
    static func asciiBytes(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Value) throws -> Value? {
        let r: Value?? = try s.utf8.withContiguousStorageIfAvailable { bytes -> Value? in
            for b in bytes where b >= 0x80 || b == 0x0D { return nil }
            return try body(bytes)
        }
        return r ?? nil
    }

    /// `[start:stop]` with step 1 as a clamped half-open range (empty when stop <= start).
    static func sliceBounds(count: Int, _ start: Value, _ stop: Value, _ loc: SourceLoc) throws -> (Int, Int) {
        func bound(_ v: Value, _ what: String, _ def: Int) throws -> Int {
            if v.isNil { return def }
            guard var i = v.intValue else { throw Failure("slice \(what) must be an int, not \(v.typeName)", at: loc) }
            if i < 0 { i += count }
            return min(max(i, 0), count)
        }
        let a = try bound(start, "start", 0)
        let b = try bound(stop, "stop", count)
        return (a, max(a, b))
    }

    static func slice(_ c: Value, _ start: Value, _ stop: Value, _ step: Value, _ loc: SourceLoc) throws -> Value {
        switch c {
        case .list(let l):
            let items = l.snapshot()
            if step.isNil {
                let (a, b) = try sliceBounds(count: items.count, start, stop, loc)
                return .list(ListObject.make(Array(items[a..<b])))
            }
            let idx = try sliceIndices(count: items.count, start, stop, step, loc)
            return .list(ListObject.make(idx.map { items[$0] }))
        case .string(let s):
            if let v = try asciiBytes(s, { bytes -> Value in
                if step.isNil {
                    let (a, b) = try sliceBounds(count: bytes.count, start, stop, loc)
                    return .string(String(decoding: UnsafeBufferPointer(rebasing: bytes[a..<b]), as: UTF8.self))
                }
                let idx = try sliceIndices(count: bytes.count, start, stop, step, loc)
                return .string(String(decoding: idx.map { bytes[$0] }, as: UTF8.self))
            }) { return v }
            let chars = Array(s)
            let idx = try sliceIndices(count: chars.count, start, stop, step, loc)
            return .string(String(idx.map { chars[$0] }))
        case .range(let r):
            let idx = try sliceIndices(count: min(r.count, 50_000_000), start, stop, step, loc)
            return .list(ListObject.make(idx.map { .int(r.element($0)) }))
        default:
            throw Failure("cannot slice a \(c.typeName)", at: loc)
        }
    }
}

