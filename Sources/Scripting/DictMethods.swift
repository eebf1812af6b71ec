// Methods of dicts: `d.get(k, 0)`, `d.keys()`, `d.items()`, ...

enum DictMethods {
    static func method(_ sig: String, _ summary: String, _ example: String, details: String = "",
                       _ body: @escaping (DictObject, Arguments) throws -> Value) -> NativeFunction {
        NativeFunction("dict." + sig, summary: summary, details: details, example: example, category: "dict") { args in
            guard case .dict(let d) = args.receiverValue else { throw RuntimeError("dict method called on \(args.receiverValue.typeNameWithArticle)") }
            return try body(d, args)
        }
    }

    /// A method with no parameters and a direct form (see `NativeFunction.directMethod0`).
    static func method0(_ sig: String, _ summary: String, _ example: String,
                        direct: @escaping @Sendable (DictObject) -> Value) -> NativeFunction {
        NativeFunction("dict." + sig, summary: summary, example: example, category: "dict",
                       directMethod0: { v in if case .dict(let d) = v { return direct(d) }; return nil }) { args in
            guard case .dict(let d) = args.receiverValue else { throw RuntimeError("dict method called on \(args.receiverValue.typeNameWithArticle)") }
            return direct(d)
        }
    }

    static func key(_ a: Arguments, _ i: Int) throws -> DictKey {
        guard let k = DictKey(a[i]) else { throw a.badArgument(i, "string, number or bool key") }
        return k
    }

    static let all: [NativeFunction] = [
        method("get(key, default=nil)", "The value for `key`, or `default` when the key is absent.",
               "d = {\"a\": 1}\nprint(d.get(\"a\"), d.get(\"b\"), d.get(\"b\", 0))   # expect: 1 nil 0") { d, a in
            guard let k = DictKey(a[0]) else { return a[1] }
            return d[k] ?? a[1]
        },
        method0("keys()", "The keys, in insertion order.", "print({\"b\": 1, \"a\": 2}.keys())   # expect: [\"b\", \"a\"]") { d in
            .list(ListObject.make(d.keyList.map(\.value)))
        },
        method0("values()", "The values, in insertion order.", "print({\"b\": 1, \"a\": 2}.values())   # expect: [1, 2]") { d in
            .list(ListObject.make(d.valueList))
        },
        method0("items()", "[key, value] pairs, in insertion order.", "for k, v in {\"x\": 1}.items() { print(k, v) }   # expect: x 1") { d in
            .list(ListObject.make(zip(d.keyList, d.valueList).map { .list(ListObject.make($0.0.value, $0.1)) }))
        },
        method("contains(key)", "True if the key is present (same as `key in d`).", "print({\"a\": 1}.contains(\"a\"))   # expect: true") { d, a in
            guard let k = DictKey(a[0]) else { return .bool(false) }
            return .bool(d[k] != nil)
        },
        method("pop(key, default=nil)", "Removes `key` and returns its value (or `default`).", "d = {\"a\": 1}\nprint(d.pop(\"a\"), d.pop(\"a\", 0), d)   # expect: 1 0 {}") { d, a in
            guard let k = DictKey(a[0]) else { return a[1] }
            return d.remove(k) ?? a[1]
        },
        method("update(other)", "Copies every entry of `other` into this dict.", "d = {\"a\": 1}\nd.update({\"b\": 2})\nprint(d)   # expect: {\"a\": 1, \"b\": 2}") { d, a in
            for (k, v) in try a.dict(0).pairs { d[k] = v }
            return .null
        },
        method("setdefault(key, default)", "The value for `key`, first storing `default` when the key is absent.",
               "d = {}\nd.setdefault(\"xs\", []).append(1)\nprint(d)   # expect: {\"xs\": [1]}") { d, a in
            let k = try key(a, 0)
            if let v = d[k] { return v }
            d[k] = a[1]
            return a[1]
        },
        method("copy()", "A shallow copy.", "d = {\"a\": 1}\ne = d.copy()\ne[\"b\"] = 2\nprint(len(d), len(e))   # expect: 1 2") { d, _ in
            let c = DictObject()
            for (k, v) in d.pairs { c[k] = v }
            return .dict(c)
        },
        method("clear()", "Removes every entry.", "d = {\"a\": 1}\nd.clear()\nprint(d)   # expect: {}") { d, _ in
            d.removeAll()
            return .null
        },
    ]
}
