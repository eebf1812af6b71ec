// The values of the language. `Value` is a small enum: scalars inline, collections and functions
// as references (lists and dicts are shared, mutable objects, so passing them never copies).

/// A gfn value.
public enum Value {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list(ListObject)
    case dict(DictObject)
    case range(RangeObject)
    /// A function written in gfn (possibly a closure).
    case function(ScriptFunction)
    /// A function written in Swift: a builtin, a registered binding or a bound method.
    case builtin(NativeFunction)
    /// An opaque host object: a model, a tensor, a figure, a random source.
    case native(any NativeObject)

    /// The type name used in messages and by `type(x)`.
    public var typeName: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .range: return "range"
        case .function, .builtin: return "function"
        case .native(let o): return o.typeName
        }
    }

    /// The type's name after "a" or "an", as error messages say it ("an int", "a list").
    public var typeNameWithArticle: String { ErrorText.withArticle(typeName) }

    /// `nil`, `false`, zero, and empty strings and collections are false.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return l.count != 0
        case .dict(let d): return d.count != 0
        case .range(let r): return r.count != 0
        case .function, .builtin: return true
        case .native(let o): return o.isTruthy
        }
    }

    public var isNil: Bool { if case .null = self { return true }; return false }

    // MARK: Convenience for hosts

    /// The int, or a float with no fractional part, as an Int.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .float(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int(d)
        default: return nil
        }
    }
    /// An int or a float as a Double.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var listValue: ListObject? { if case .list(let l) = self { return l }; return nil }
    public var dictValue: DictObject? { if case .dict(let d) = self { return d }; return nil }

    /// A new list value.
    public static func makeList(_ items: [Value]) -> Value { .list(ListObject.make(items)) }
    /// A new dict value with string keys, in the given order.
    public static func makeDict(_ pairs: [(String, Value)]) -> Value {
        let d = DictObject()
        for (k, v) in pairs { d[.string(k)] = v }
        return .dict(d)
    }
    /// A native object as a value.
    public static func object(_ o: any NativeObject) -> Value { .native(o) }
}

extension Value: CustomStringConvertible {
    /// What `str(x)` gives: strings bare, everything else as `repr`.
    public var description: String { ValueFormatter.str(self) }
    /// What the REPL echoes and lists show: strings quoted.
    public var repr: String { ValueFormatter.repr(self) }
}

// MARK: - Equality

extension Value {
    /// Value equality as `==` sees it: numbers across int and float, strings by content, lists and
    /// dicts element-wise, functions and native objects by identity.
    public func equals(_ other: Value) -> Bool { Value.equal(self, other) }

    /// What comparing two values found without looking inside collections.
    private enum Shallow { case equal, unequal, descend }

    private static func shallow(_ a: Value, _ b: Value) -> Shallow {
        switch (a, b) {
        case (.null, .null): return .equal
        case (.bool(let x), .bool(let y)): return x == y ? .equal : .unequal
        case (.int(let x), .int(let y)): return x == y ? .equal : .unequal
        case (.float(let x), .float(let y)): return x == y ? .equal : .unequal
        case (.int(let x), .float(let y)):
            return Double(x) == y && y.magnitude < 9.3e18 && Int(y) == x ? .equal : .unequal
        case (.float(let x), .int(let y)):
            return Double(y) == x && x.magnitude < 9.3e18 && Int(x) == y ? .equal : .unequal
        case (.string(let x), .string(let y)): return x == y ? .equal : .unequal
        case (.list(let x), .list(let y)):
            if x === y { return .equal }
            return x.count == y.count ? .descend : .unequal
        case (.dict(let x), .dict(let y)):
            if x === y { return .equal }
            return x.count == y.count ? .descend : .unequal
        case (.range(let x), .range(let y)):
            return x.start == y.start && x.stop == y.stop && x.step == y.step ? .equal : .unequal
        case (.function(let x), .function(let y)): return x === y ? .equal : .unequal
        case (.builtin(let x), .builtin(let y)): return x === y ? .equal : .unequal
        case (.native(let x), .native(let y)): return x === y ? .equal : .unequal
        default: return .unequal
        }
    }

    /// Structural equality at any depth, with a work list instead of recursion (so nesting never
    /// overflows the stack). Pairs of collections already compared are remembered once there are
    /// many, so structures that contain themselves compare in finite time (equal when no
    /// difference is reachable).
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch shallow(a, b) {
        case .equal: return true
        case .unequal: return false
        case .descend: break
        }
        var work: [(Value, Value)] = [(a, b)]
        var seen = Set<PairOfObjects>()
        var compared = 0
        while let (x, y) = work.popLast() {
            compared += 1
            switch (x, y) {
            case (.list(let p), .list(let q)):
                if compared > 1000, !seen.insert(PairOfObjects(p, q)).inserted { continue }
                guard p.count == q.count else { return false }
                for i in 0..<p.count {
                    let u = p.element(i), v = q.element(i)
                    switch shallow(u, v) {
                    case .equal: continue
                    case .unequal: return false
                    case .descend: work.append((u, v))
                    }
                }
            case (.dict(let p), .dict(let q)):
                if compared > 1000, !seen.insert(PairOfObjects(p, q)).inserted { continue }
                guard p.count == q.count else { return false }
                let keys = p.keyList, values = p.valueList
                for i in 0..<keys.count {
                    let u = values[i]
                    guard let v = q[keys[i]] else { return false }
                    switch shallow(u, v) {
                    case .equal: continue
                    case .unequal: return false
                    case .descend: work.append((u, v))
                    }
                }
            default:
                if shallow(x, y) == .unequal { return false }
            }
        }
        return true
    }
}

/// Two collections being compared, by identity.
private struct PairOfObjects: Hashable {
    let a: ObjectIdentifier
    let b: ObjectIdentifier
    init(_ a: AnyObject, _ b: AnyObject) {
        self.a = ObjectIdentifier(a)
        self.b = ObjectIdentifier(b)
    }
}

// MARK: - Collections

/// A dict key: strings, numbers and bools. A float with an integral value is the same key as the int.
public enum DictKey: Hashable, Sendable {
    case int(Int)
    case string(String)
    case float(Double)
    case bool(Bool)

    /// The key for a value, or nil when the value cannot be a key.
    public init?(_ v: Value) {
        switch v {
        case .int(let i): self = .int(i)
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .float(let d):
            if d.rounded() == d, d.magnitude < 9.2e18 { self = .int(Int(d)) } else if d.isNaN { return nil } else { self = .float(d) }
        default: return nil
        }
    }

    /// One hasher call per key (the synthesized hash also feeds the case tag): ints and strings
    /// are the common keys, and a collision between an int and a bool only costs an `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .int(let i): hasher.combine(i)
        case .string(let s): hasher.combine(s)
        case .float(let d): hasher.combine(d.bitPattern)
        case .bool(let b): hasher.combine(b)
        }
    }

    public var value: Value {
        switch self {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        }
    }
}

/// An insertion-ordered dict, shared by reference.
///
/// Keys and values live in insertion order in two arrays; an open-addressing table (linear
/// probing, at most half full) maps a key's hash to its position. Int keys, the common case in
/// counting loops, hash with one multiply instead of a full `Hasher` run. A dict of at most
/// `smallCount` entries (a record) has no table: its keys are searched in order, which costs
/// less than hashing them and saves the table's allocation.
public final class DictObject {
    /// Unchecked for the same reason as `ListObject.items`.
    private struct Storage {
        var keys: [DictKey] = []
        var values: [Value] = []
        /// Positions in `keys` plus one; 0 is an empty bucket. Empty while the dict is small.
        var table: [Int] = []
    }
    @exclusivity(unchecked) private var storage = Storage()
    /// Counts the changes that move entries (removals, clearing): a position found by
    /// `lookup` stays the key's position while this is unchanged (inserting appends).
    @exclusivity(unchecked) private(set) var moves = 0

    /// The most entries a dict keeps without a hash table.
    static let smallCount = 8
    /// The room an empty dict makes on its first insertion.
    static let firstCapacity = 4

    public init() {}

    /// An empty dict with room for `capacity` entries (a dict literal knows its size).
    init(capacity: Int) {
        storage.keys.reserveCapacity(capacity)
        storage.values.reserveCapacity(capacity)
        if capacity > DictObject.smallCount {
            var size = 8
            while size < 2 * (capacity + 1) { size <<= 1 }
            storage.table = [Int](repeating: 0, count: size)
        }
    }

    deinit {
        if !storage.values.isEmpty {
            var values = takeValues()
            Teardown.release(&values)
        }
    }

    /// The values, leaving the dict empty (for `Teardown`).
    func takeValues() -> [Value] {
        var out: [Value] = []
        swap(&out, &storage.values)
        storage = Storage()
        moves &+= 1
        return out
    }

    public var count: Int { storage.keys.count }

    @inline(__always) static func hash(_ key: DictKey) -> Int {
        switch key {
        case .int(let i): return Int(bitPattern: (UInt(bitPattern: i) &* 0x9E37_79B9_7F4A_7C15) >> 17)
        case .string(let t): return stringHash(t)
        case .float(let d): return Int(bitPattern: (UInt(d.bitPattern) &* 0x9E37_79B9_7F4A_7C15) >> 17)
        case .bool(let b): return b ? 0x5bd1e995 : 0x1b873593
        }
    }

    /// A string key's hash: FNV-1a over its bytes, then mixed, when it is ASCII (the common
    /// key, hashed in a few instructions per byte instead of a full `Hasher` run); Swift's
    /// `hashValue` otherwise. Equal strings must hash alike, and `==` on strings is canonical
    /// equivalence: the only non-ASCII scalars equivalent to ASCII text are U+037E (";"),
    /// U+1FEF ("`") and U+212A ("K"), so a string whose other scalars are ASCII is hashed as
    /// that ASCII text.
    @inline(__always) private static func stringHash(_ t: String) -> Int {
        let fast: Int?? = t.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var high: UInt8 = 0
            for b in bytes {
                h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
                high |= b
            }
            return high < 0x80 ? mix(h) : nil
        }
        if case .some(.some(let h)) = fast { return h }
        return nonASCIIStringHash(t)
    }

    @inline(__always) private static func mix(_ x: UInt64) -> Int {
        var h = x
        h ^= h >> 32
        h &*= 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(bitPattern: UInt(h))
    }

    @inline(never) private static func nonASCIIStringHash(_ t: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for scalar in t.unicodeScalars {
            let b: UInt32
            switch scalar.value {
            case ..<0x80: b = scalar.value
            case 0x037E: b = 0x3B
            case 0x1FEF: b = 0x60
            case 0x212A: b = 0x4B
            default: return t.hashValue
            }
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return mix(h)
    }

    /// The position of `key` in `keys`, or nil.
    @inline(__always) private func find(_ key: DictKey) -> Int? {
        if storage.table.isEmpty { return scan(key) }
        return find(key, hash: DictObject.hash(key))
    }

    /// The position of `key` in a small dict's keys (no table), or nil.
    @inline(__always) private func scan(_ key: DictKey) -> Int? {
        storage.keys.withUnsafeBufferPointer { keys in
            var i = 0
            while i < keys.count {
                if keys[i] == key { return i }
                i += 1
            }
            return nil
        }
    }

    /// The position of `key`, whose `hash` is given, in `keys`, or nil.
    @inline(__always) private func find(_ key: DictKey, hash: Int) -> Int? {
        let size = storage.table.count
        if size == 0 { return scan(key) }
        let mask = size - 1
        var b = hash & mask
        while true {
            let e = storage.table[b]
            if e == 0 { return nil }
            if storage.keys[e - 1] == key { return e - 1 }
            b = (b + 1) & mask
        }
    }

    /// What `lookup(_:)` found: a position in `keys`, no entry, or a key that is neither an
    /// int nor a string (the caller goes through `DictKey`, which also gives the errors).
    enum Lookup { case at(Int), absent, otherKind }

    /// Finds an int or string key given as a value, without making a `DictKey` (whose
    /// construction, outlined comparison and destruction cost more than the probe itself on a
    /// counting loop's one-character keys). The same hash and positions as `find`.
    ///
    /// The table and keys are read by subscript, not through `withUnsafeBufferPointer`: a
    /// closure over a class's array retains and releases the array around the call (two pairs
    /// per lookup, a fifth of a lookup's instructions in a counting loop).
    @inline(__always) func lookup(_ key: Value) -> Lookup {
        switch key {
        case .int(let i):
            let size = storage.table.count
            if size == 0 {
                var n = 0
                while n < storage.keys.count {
                    if case .int(let j) = storage.keys[n], j == i { return .at(n) }
                    n += 1
                }
                return .absent
            }
            let mask = size - 1
            var b = Int(bitPattern: (UInt(bitPattern: i) &* 0x9E37_79B9_7F4A_7C15) >> 17) & mask
            while true {
                let e = storage.table[b]
                if e == 0 { return .absent }
                if case .int(let j) = storage.keys[e - 1], j == i { return .at(e - 1) }
                b = (b + 1) & mask
            }
        case .string(let t):
            let size = storage.table.count
            if size == 0 {
                var n = 0
                while n < storage.keys.count {
                    if DictObject.keyIsString(storage.keys[n], t) { return .at(n) }
                    n += 1
                }
                return .absent
            }
            let mask = size - 1
            var b = DictObject.stringHash(t) & mask
            while true {
                let e = storage.table[b]
                if e == 0 { return .absent }
                if DictObject.keyIsString(storage.keys[e - 1], t) { return .at(e - 1) }
                b = (b + 1) & mask
            }
        default:
            return .otherKind
        }
    }

    /// Whether `key` is the string `t`.
    @inline(__always) private static func keyIsString(_ key: DictKey, _ t: String) -> Bool {
        if case .string(let u) = key { return u == t }
        return false
    }

    /// The value at a position `lookup` returned.
    @inline(__always) func value(at i: Int) -> Value { storage.values[i] }
    /// Replaces the value at a position `lookup` returned.
    @inline(__always) func setValue(at i: Int, _ v: Value) { storage.values[i] = v }

    /// Puts position `i` of `keys` into the table (which has room and does not hold the key).
    private func place(_ i: Int) {
        let mask = storage.table.count - 1
        var b = DictObject.hash(storage.keys[i]) & mask
        while storage.table[b] != 0 { b = (b + 1) & mask }
        storage.table[b] = i + 1
    }

    /// Rebuilds the table for the current keys, at most half full; a small dict has none.
    private func rebuild() {
        if storage.keys.count <= DictObject.smallCount {
            storage.table = []
            return
        }
        var size = 8
        while size < 2 * (storage.keys.count + 1) { size <<= 1 }
        storage.table = [Int](repeating: 0, count: size)
        for i in 0..<storage.keys.count { place(i) }
    }

    /// Reads or writes a value; writing nil removes the key.
    public subscript(key: DictKey) -> Value? {
        get {
            guard let i = find(key) else { return nil }
            return storage.values[i]
        }
        set {
            if let v = newValue {
                if let i = find(key) { storage.values[i] = v } else {
                    // A dict filled one key at a time (parsed JSON objects, records built in a
                    // loop) starts with room for a few entries instead of growing from one.
                    if storage.keys.capacity == 0 {
                        storage.keys.reserveCapacity(DictObject.firstCapacity)
                        storage.values.reserveCapacity(DictObject.firstCapacity)
                    }
                    storage.keys.append(key)
                    storage.values.append(v)
                    if storage.table.isEmpty {
                        if storage.keys.count > DictObject.smallCount { rebuild() }
                    } else if 2 * storage.keys.count > storage.table.count {
                        rebuild()
                    } else {
                        place(storage.keys.count - 1)
                    }
                }
            } else {
                remove(key)
            }
        }
    }

    /// The value of `key` whose hash (`DictObject.hash`) was computed once, by code that looks
    /// up the same constant key many times.
    @inline(__always) func value(_ key: DictKey, hash: Int) -> Value? {
        guard let i = find(key, hash: hash) else { return nil }
        return storage.values[i]
    }

    /// Replaces the value of `key` (with its precomputed hash) when present; false when absent.
    @inline(__always) func replace(_ key: DictKey, hash: Int, _ v: Value) -> Bool {
        guard let i = find(key, hash: hash) else { return false }
        storage.values[i] = v
        return true
    }

    /// Reads a value by string key.
    public subscript(name: String) -> Value? {
        get { self[.string(name)] }
        set { self[.string(name)] = newValue }
    }

    @discardableResult
    public func remove(_ key: DictKey) -> Value? {
        guard let i = find(key) else { return nil }
        moves &+= 1
        storage.keys.remove(at: i)
        let v = storage.values.remove(at: i)
        rebuild()
        return v
    }

    public func removeAll() {
        storage = Storage()
        moves &+= 1
    }

    /// Key-value pairs in insertion order.
    public var pairs: [(DictKey, Value)] { Array(zip(storage.keys, storage.values)) }
    /// The keys in insertion order (the dict's own array, shared until either changes).
    public var keyList: [DictKey] { storage.keys }
    /// The values in insertion order (the dict's own array, shared until either changes).
    public var valueList: [Value] { storage.values }
}

/// `range(start, stop, step)`: a lazy arithmetic sequence of ints.
public final class RangeObject {
    public let start: Int
    public let stop: Int
    public let step: Int

    public init(start: Int, stop: Int, step: Int) {
        self.start = start
        self.stop = stop
        self.step = step
    }

    public var count: Int {
        if step > 0 ? start >= stop : start <= stop { return 0 }
        // The difference as unsigned is exact even when stop - start overflows Int.
        let diff = step > 0 ? UInt(bitPattern: stop &- start) : UInt(bitPattern: start &- stop)
        let n = (diff - 1) / step.magnitude + 1
        return n > UInt(Int.max) ? Int.max : Int(n)
    }

    /// The i-th element (0 <= i < count).
    public func element(_ i: Int) -> Int { start &+ i &* step }
}
