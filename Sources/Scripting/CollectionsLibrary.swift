// Builtins over sequences: map, filter, reduce, sorting, zip, enumerate, sums, min/max and
// statistics (mean, std, quantile, median).

import Foundation

enum CollectionsLibrary {
    /// Sorts values by `order`, stably, with an optional key function; errors from comparisons
    /// and key functions are thrown after the sort stops.
    static func sorted(_ items: [Value], key: Value, reverse: Bool, args: Arguments) throws -> [Value] {
        let keys = key.isNil ? items : try items.map { try args.call(key, $0) }
        // Keys all ints or all strings (the common sorts) compare without the general `order`;
        // ties keep their original order, as below.
        if let ints = allInts(keys) {
            let idx = Array(0..<items.count).sorted { a, b in
                let x = ints[a], y = ints[b]
                if x == y { return a < b }
                return reverse ? x > y : x < y
            }
            return idx.map { items[$0] }
        }
        if let strings = allStrings(keys) {
            let idx = Array(0..<items.count).sorted { a, b in
                let o = orderStrings(strings[a], strings[b])
                if o == 0 { return a < b }
                return reverse ? o > 0 : o < 0
            }
            return idx.map { items[$0] }
        }
        var failure: Error? = nil
        let loc = args.location ?? Interpreter.hostLocation
        // Keys all lists (sorting by several fields) are compared through unretained references
        // (`keys` keeps them alive): copying two list values per comparison retained and
        // released both, which cost more than comparing them.
        if let lists = allLists(keys) {
            let idx = withExtendedLifetime(keys) { Array(0..<items.count).sorted { a, b in
                stablyBefore(a, b, reverse: reverse, failure: &failure) {
                    try lists[a]._withUnsafeGuaranteedRef { x in
                        try lists[b]._withUnsafeGuaranteedRef { y in try orderLists(x, y, "sort", loc, depth: 0) }
                    }
                }
            } }
            if let failure { throw failure }
            return idx.map { items[$0] }
        }
        // Keys are read in place from the buffer (an array read copies the value out).
        let idx = keys.withUnsafeBufferPointer { kb in
            Array(0..<items.count).sorted { a, b in
                stablyBefore(a, b, reverse: reverse, failure: &failure) { try order(kb[a], kb[b], "sort", loc) }
            }
        }
        if let failure { throw failure }
        return idx.map { items[$0] }
    }

    /// Whether position `a` sorts before `b` given their keys' order (`compare`; nil orders as equal):
    /// ties keep the original order, and the first error is kept in `failure` (the sort then runs out).
    @inline(__always)
    private static func stablyBefore(_ a: Int, _ b: Int, reverse: Bool, failure: inout Error?,
                                     _ compare: () throws -> Int?) -> Bool {
        if failure != nil { return false }
        do {
            let o = try compare() ?? 0
            if o == 0 { return a < b }
            return reverse ? o > 0 : o < 0
        } catch {
            failure = error
            return false
        }
    }

    private static func allInts(_ keys: [Value]) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(keys.count)
        for k in keys { guard case .int(let i) = k else { return nil }; out.append(i) }
        return out
    }

    /// The lists of `keys`, unretained (the caller keeps `keys`), or nil when one is not a list.
    private static func allLists(_ keys: [Value]) -> [Unmanaged<ListObject>]? {
        var out: [Unmanaged<ListObject>] = []
        out.reserveCapacity(keys.count)
        for k in keys { guard case .list(let l) = k else { return nil }; out.append(Unmanaged.passUnretained(l)) }
        return out
    }

    private static func allStrings(_ keys: [Value]) -> [String]? {
        var out: [String] = []
        out.reserveCapacity(keys.count)
        for k in keys { guard case .string(let s) = k else { return nil }; out.append(s) }
        return out
    }

    /// `min(a, b)` or `max(a, b)` of two numbers as `extreme` orders them (the first on a tie
    /// or a nan); nil for anything else, which goes through `extreme`.
    @Sendable static func extreme2(_ a: Value, _ b: Value, wantMax: Bool) -> Value? {
        if case .int(let x) = a, case .int(let y) = b { return (wantMax ? y > x : y < x) ? b : a }
        switch a {
        case .int, .float: break
        default: return nil
        }
        switch b {
        case .int, .float: break
        default: return nil
        }
        guard let x = a.doubleValue, let y = b.doubleValue else { return nil }
        return (wantMax ? y > x : y < x) ? b : a
    }

    static func extreme(_ args: Arguments, wantMax: Bool) throws -> Value {
        var items = try args.list(0).items
        if items.count == 1 {
            guard let inner = try Iteration.elements(items[0], limits: args.interpreter.limits) else {
                throw args.badArgument("values", "a list or several values expected, got one \(items[0].typeName)")
            }
            items = inner
        }
        guard !items.isEmpty else { throw RuntimeError("\(wantMax ? "max" : "min") of an empty sequence") }
        let key = args["key"]
        let loc = args.location ?? Interpreter.hostLocation
        var best = items[0]
        var bestKey = key.isNil ? best : try args.call(key, best)
        for v in items.dropFirst() {
            let k = key.isNil ? v : try args.call(key, v)
            let o = try order(k, bestKey, wantMax ? "max" : "min", loc) ?? 0
            if wantMax ? o > 0 : o < 0 { best = v; bestKey = k }
        }
        return best
    }

    static func quantile(_ xs: [Double], _ q: Double) -> Double {
        let s = xs.sorted()
        let pos = q * Double(s.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }

    static let functions: [NativeFunction] = [
        NativeFunction("map(f, xs)", summary: "A new list with f applied to each element of xs (also a method: xs.map(f)).",
                       example: "print(map(x => x * x, [1, 2, 3]))   # expect: [1, 4, 9]",
                       category: "sequences") { args in
            let f = try args.callable(0)
            let call = args.caller1(f)
            return .list(ListObject.make(try args.sequence(1).map { try call($0) }))
        },
        NativeFunction("filter(f, xs)", summary: "A new list with the elements of xs for which f returns a true value.",
                       example: "print(filter(x => x % 2 == 0, range(7)))   # expect: [0, 2, 4, 6]",
                       category: "sequences") { args in
            let f = try args.callable(0)
            let call = args.caller1(f)
            return .list(ListObject.make(try args.sequence(1).filter { try call($0).isTruthy }))
        },
        NativeFunction("reduce(f, xs, initial=nil)", summary: "Folds xs with f(accumulator, x), from `initial` or else the first element.",
                       example: "print(reduce((a, b) => a * b, [1, 2, 3, 4]), reduce((a, b) => a + b, [], initial = 0))   # expect: 24 0",
                       category: "sequences") { args in
            let f = try args.callable(0)
            var items = try args.sequence(1)[...]
            var acc: Value
            if args["initial"].isNil {
                guard let first = items.popFirst() else { throw RuntimeError("reduce of an empty sequence with no initial value") }
                acc = first
            } else { acc = args["initial"] }
            for x in items { acc = try args.call(f, consume acc, x) }
            return acc
        },
        NativeFunction("sorted(xs, key=nil, reverse=false)", summary: "A new sorted list (stable). `key` maps each element to what is compared.",
                       example: "print(sorted([3, 1, 2]), sorted([\"bb\", \"a\", \"ccc\"], key = len, reverse = true))   # expect: [1, 2, 3] [\"ccc\", \"bb\", \"a\"]",
                       category: "sequences") { args in
            .list(ListObject.make(try sorted(try args.sequence(0), key: args["key"], reverse: try args.bool("reverse"), args: args)))
        },
        NativeFunction("reversed(xs)", summary: "A new list with the elements in reverse order.",
                       example: "print(reversed([1, 2, 3]))   # expect: [3, 2, 1]",
                       category: "sequences") { args in .list(ListObject.make(try args.sequence(0).reversed())) },
        NativeFunction("zip(*lists)", summary: "A list of [a, b, …] tuples taken element by element; stops at the shortest input.",
                       example: "print(zip([1, 2, 3], [\"a\", \"b\"]))   # expect: [[1, \"a\"], [2, \"b\"]]",
                       category: "sequences") { args in
            let seqs = try args.list(0).items.enumerated().map { (i, v) -> [Value] in
                guard let e = try Iteration.elements(v, limits: args.interpreter.limits) else {
                    throw args.badArgument("lists", "argument \(i + 1) is \(v.typeNameWithArticle), not a list")
                }
                return e
            }
            let n = seqs.map(\.count).min() ?? 0
            return .list(ListObject.make((0..<n).map { i in .list(ListObject.make(seqs.map { $0[i] })) }))
        },
        NativeFunction("enumerate(xs, start=0)", summary: "A list of [index, element] pairs.",
                       example: "for i, x in enumerate([\"a\", \"b\"], start = 1) { print(i, x) }   # expect: 1 a\n# expect: 2 b",
                       category: "sequences") { args in
            let start = try args.int("start")
            return .list(ListObject.make(try args.sequence(0).enumerated().map { .list(ListObject.make(.int(start &+ $0.offset), $0.element)) }))
        },
        NativeFunction("sum(xs, start=0)", summary: "The sum of the numbers in xs (ints stay ints; overflow is an error).",
                       example: "print(sum([1, 2, 3]), sum([0.5, 0.25]), sum(range(101)))   # expect: 6 0.75 5050",
                       category: "sequences") { args in
            var acc = args["start"]
            let loc = args.location ?? Interpreter.hostLocation
            for v in try args.sequence(0) { acc = try AddOp.apply(acc, v, loc, args.interpreter.limits) }
            return acc
        },
        NativeFunction("min(*values, key=nil)", summary: "The smallest of a list or of several values; `key` maps what is compared.",
                       example: "print(min([3, 1, 2]), min(4, 2.5), min([\"bb\", \"a\"], key = len))   # expect: 1 2.5 a",
                       category: "sequences", direct2: { a, b in extreme2(a, b, wantMax: false) }) { args in try extreme(args, wantMax: false) },
        NativeFunction("max(*values, key=nil)", summary: "The largest of a list or of several values; `key` maps what is compared.",
                       example: "print(max([3, 1, 2]), max(4, 2.5), max([\"bb\", \"a\"], key = len))   # expect: 3 4 bb",
                       category: "sequences", direct2: { a, b in extreme2(a, b, wantMax: true) }) { args in try extreme(args, wantMax: true) },
        NativeFunction("any(xs)", summary: "True if some element is true.",
                       example: "print(any([0, nil, 3]), any([]))   # expect: true false",
                       category: "sequences") { args in .bool(try args.sequence(0).contains { $0.isTruthy }) },
        NativeFunction("all(xs)", summary: "True if every element is true (true for an empty list).",
                       example: "print(all([1, \"a\"]), all([1, 0]), all([]))   # expect: true false true",
                       category: "sequences") { args in .bool(try args.sequence(0).allSatisfy { $0.isTruthy }) },
        NativeFunction("majority_vote(votes, tie=nil)",
                       summary: "The most frequent value of a non-empty list (strings, numbers or bools). A tie between the most frequent goes to `tie` when it is one of them, else to the tied value that appears first.",
                       details: "Classification by majority over sampled rationales (docs/method.md §4.4) breaks ties towards \"subjective\": " +
                           "majority_vote(labels, tie=\"subjective\"), so that \"objective\" needs a strict majority.",
                       example: "print(majority_vote([\"a\", \"b\", \"b\"]), majority_vote([\"a\", \"b\"]), majority_vote([\"a\", \"b\"], tie=\"b\"), majority_vote([1, 2, 2, 1, 3], tie=3))   # expect: b a b 1",
                       category: "statistics") { args in
            let votes = try args.sequence(0)
            guard !votes.isEmpty else { throw args.badArgument("votes", "needs at least one vote, got an empty list") }
            var counts: [DictKey: Int] = [:], order: [DictKey] = []
            for (i, v) in votes.enumerated() {
                guard let key = DictKey(v) else { throw args.badArgument("votes", "element \(i) is \(v.typeName): votes must be strings, numbers or bools") }
                if counts[key] == nil { order.append(key) }
                counts[key, default: 0] += 1
            }
            let top = counts.values.max() ?? 0
            let tied = order.filter { counts[$0] == top }
            if !args["tie"].isNil, let preferred = DictKey(args["tie"]), tied.contains(preferred) { return preferred.value }
            return tied[0].value
        },
        NativeFunction("mean(xs)", summary: "The arithmetic mean of a list of numbers (an error for an empty list).",
                       example: "print(mean([1, 2, 3, 4]))   # expect: 2.5",
                       category: "statistics") { args in
            let xs = try args.numbers(0)
            guard !xs.isEmpty else { throw RuntimeError("mean of an empty list") }
            return .float(xs.reduce(0, +) / Double(xs.count))
        },
        NativeFunction("std(xs, ddof=0)", summary: "The standard deviation; ddof=1 gives the sample (n-1) estimate.",
                       example: "print(std([1, 2, 3, 4]), format(std([1, 2, 3, 4], ddof = 1), \".4f\"))   # expect: 1.118033988749895 1.2910",
                       category: "statistics") { args in
            let xs = try args.numbers(0)
            let ddof = try args.int("ddof")
            guard xs.count > ddof, ddof >= 0 else { throw RuntimeError("std needs more than \(ddof) values (got \(xs.count))") }
            let m = xs.reduce(0, +) / Double(xs.count)
            return .float((xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - ddof)).squareRoot())
        },
        NativeFunction("quantile(xs, q)", summary: "The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (numpy's default); q may be a list.",
                       example: "print(quantile([1, 2, 3, 4, 5], 0.5), quantile([1, 2, 3, 4], 0.25), quantile([1, 2, 3], [0, 1]))   # expect: 3.0 1.75 [1.0, 3.0]",
                       category: "statistics") { args in
            let xs = try args.numbers(0)
            guard !xs.isEmpty else { throw RuntimeError("quantile of an empty list") }
            func one(_ q: Value) throws -> Value {
                guard let q = q.doubleValue, q >= 0, q <= 1 else { throw args.badArgument("q", "a number between 0 and 1 expected") }
                return .float(quantile(xs, q))
            }
            if case .list(let qs) = args[1] { return .list(ListObject.make(try qs.items.map(one))) }
            return try one(args[1])
        },
        NativeFunction("median(xs)", summary: "The median (the 0.5 quantile).",
                       example: "print(median([5, 1, 3]), median([1, 2, 3, 4]))   # expect: 3.0 2.5",
                       category: "statistics") { args in
            let xs = try args.numbers(0)
            guard !xs.isEmpty else { throw RuntimeError("median of an empty list") }
            return .float(quantile(xs, 0.5))
        },
    ]
}
