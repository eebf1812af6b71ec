// Methods of lists: `xs.append(x)`, `xs.map(f)`, `xs.sort()`, ...

enum ListMethods {
    static func method(_ sig: String, _ summary: String, _ example: String, details: String = "",
                       _ body: @escaping (ListObject, Arguments) throws -> Value) -> NativeFunction {
        NativeFunction("list." + sig, summary: summary, details: details, example: example, category: "list") { args in
            guard case .list(let l) = args.receiverValue else { throw RuntimeError("list method called on \(args.receiverValue.typeNameWithArticle)") }
            return try body(l, args)
        }
    }

    /// A method with no parameters and a direct form (see `NativeFunction.directMethod0`).
    static func method0(_ sig: String, _ summary: String, _ example: String,
                        direct: @escaping @Sendable (ListObject) -> Value?, _ body: @escaping (ListObject, Arguments) throws -> Value) -> NativeFunction {
        NativeFunction("list." + sig, summary: summary, example: example, category: "list",
                       directMethod0: { v in if case .list(let l) = v { return direct(l) }; return nil }) { args in
            guard case .list(let l) = args.receiverValue else { throw RuntimeError("list method called on \(args.receiverValue.typeNameWithArticle)") }
            return try body(l, args)
        }
    }

    static func checkSize(_ n: Int, _ a: Arguments) throws {
        guard n <= a.interpreter.limits.maxElements else { throw RuntimeError(ErrorText.listTooLarge(n, limit: a.interpreter.limits.maxElements)) }
    }

    static let all: [NativeFunction] = [
        method("append(x)", "Adds x at the end.", "xs = [1]\nxs.append(2)\nprint(xs)   # expect: [1, 2]") { l, a in
            try checkSize(l.count + 1, a)
            l.append(a[0])
            return .null
        },
        method("extend(items)", "Adds every element of `items` at the end.", "xs = [1]\nxs.extend([2, 3])\nprint(xs)   # expect: [1, 2, 3]") { l, a in
            let items = try a.sequence(0)
            try checkSize(l.items.count + items.count, a)
            l.items.append(contentsOf: items)
            return .null
        },
        method("insert(index, x)", "Inserts x before position `index` (clamped to the list).", "xs = [1, 3]\nxs.insert(1, 2)\nprint(xs)   # expect: [1, 2, 3]") { l, a in
            var i = try a.int("index")
            if i < 0 { i += l.items.count }
            i = min(max(i, 0), l.items.count)
            try checkSize(l.items.count + 1, a)
            l.items.insert(a[1], at: i)
            return .null
        },
        method("pop(index=-1)", "Removes and returns the element at `index` (the last by default).", "xs = [1, 2, 3]\nprint(xs.pop(), xs.pop(0), xs)   # expect: 3 1 [2]") { l, a in
            guard !l.items.isEmpty else { throw RuntimeError("pop from an empty list") }
            let i = try Indexing.position(a[0], count: l.items.count, what: "list", a.location ?? Interpreter.hostLocation)
            return l.items.remove(at: i)
        },
        method("remove(x)", "Removes the first element equal to x (an error if there is none).", "xs = [1, 2, 1]\nxs.remove(1)\nprint(xs)   # expect: [2, 1]") { l, a in
            guard let i = l.items.firstIndex(where: { $0.equals(a[0]) }) else { throw RuntimeError("list.remove(x): \(a[0].repr) is not in the list") }
            l.items.remove(at: i)
            return .null
        },
        method("index(x)", "The position of the first element equal to x, or -1.", "print([5, 6, 7].index(6), [5].index(9))   # expect: 1 -1") { l, a in
            .int(l.items.firstIndex(where: { $0.equals(a[0]) }) ?? -1)
        },
        method("count(x)", "How many elements equal x.", "print([1, 2, 1].count(1))   # expect: 2") { l, a in
            .int(l.items.reduce(0) { $0 + ($1.equals(a[0]) ? 1 : 0) })
        },
        method("contains(x)", "True if some element equals x (same as `x in xs`).", "print([1, 2].contains(2))   # expect: true") { l, a in
            .bool(l.items.contains { $0.equals(a[0]) })
        },
        method("sort(key=nil, reverse=false)", "Sorts the list in place (stable) and returns nil.", "xs = [3, 1, 2]\nxs.sort(reverse = true)\nprint(xs)   # expect: [3, 2, 1]") { l, a in
            l.items = try CollectionsLibrary.sorted(l.items, key: a["key"], reverse: try a.bool("reverse"), args: a)
            return .null
        },
        method("sorted(key=nil, reverse=false)", "A sorted copy.", "print([3, 1, 2].sorted())   # expect: [1, 2, 3]") { l, a in
            .list(ListObject.make(try CollectionsLibrary.sorted(l.items, key: a["key"], reverse: try a.bool("reverse"), args: a)))
        },
        method("reverse()", "Reverses the list in place.", "xs = [1, 2]\nxs.reverse()\nprint(xs)   # expect: [2, 1]") { l, _ in
            l.items.reverse()
            return .null
        },
        method0("copy()", "A shallow copy.", "xs = [1]\nys = xs.copy()\nys.append(2)\nprint(xs, ys)   # expect: [1] [1, 2]",
                direct: { l in .list(l.copy()) }) { l, _ in .list(l.copy()) },
        method("clear()", "Removes every element.", "xs = [1, 2]\nxs.clear()\nprint(xs)   # expect: []") { l, _ in
            l.items.removeAll()
            return .null
        },
        method("map(f)", "A new list with f applied to each element.", "print([1, 2, 3].map(x => x * 10))   # expect: [10, 20, 30]") { l, a in
            let f = try a.callable(0)
            var out: [Value] = []
            out.reserveCapacity(l.items.count)
            let call = a.caller1(f)
            for x in l.items { out.append(try call(x)) }
            return .list(ListObject.make(out))
        },
        method("filter(f)", "A new list with the elements for which f is true.", "print([1, 2, 3, 4].filter(x => x > 2))   # expect: [3, 4]") { l, a in
            let f = try a.callable(0)
            var out: [Value] = []
            let call = a.caller1(f)
            for x in l.items where try call(x).isTruthy { out.append(x) }
            return .list(ListObject.make(out))
        },
        method("reduce(f, initial=nil)", "Folds the list with f(accumulator, x).", "print([1, 2, 3].reduce((a, b) => a + b))   # expect: 6") { l, a in
            let f = try a.callable(0)
            var items = l.items[...]
            var acc: Value
            if a["initial"].isNil {
                guard let first = items.popFirst() else { throw RuntimeError("reduce of an empty list with no initial value") }
                acc = first
            } else { acc = a["initial"] }
            for x in items { acc = try a.call(f, consume acc, x) }
            return acc
        },
        method("each(f)", "Calls f on each element, for its effect; returns nil.", "[1, 2].each(x => print(x))   # expect: 1\n# expect: 2") { l, a in
            let f = try a.callable(0)
            let call = a.caller1(f)
            for x in l.items { _ = try call(x) }
            return .null
        },
        method("sum()", "The sum of the elements.", "print([1, 2, 3.5].sum())   # expect: 6.5") { l, a in
            var acc = Value.int(0)
            for v in l.items { acc = try AddOp.apply(acc, v, a.location ?? Interpreter.hostLocation, a.interpreter.limits) }
            return acc
        },
        method("join(sep=\"\")", "The elements (converted with str) joined with `sep`.", "print([1, 2, 3].join(\"-\"))   # expect: 1-2-3") { l, a in
            .string(String.joining(l.items.map(\.description), separator: try a.string("sep")))
        },
        method("first()", "The first element, or nil for an empty list.", "print([4, 5].first(), [].first())   # expect: 4 nil") { l, _ in l.items.first ?? .null },
        method("last()", "The last element, or nil for an empty list.", "print([4, 5].last())   # expect: 5") { l, _ in l.items.last ?? .null },
    ]
}
