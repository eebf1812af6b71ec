// Core builtins: output, conversions, types, ranges, errors, help.

enum CoreLibrary {
    static let functions: [NativeFunction] = [
        NativeFunction("print(*values, sep=\" \", end=\"\\n\")", summary: "Writes the values, separated by `sep` and followed by `end`.",
                       details: "Strings are written as they are; other values as `repr` shows them.",
                       example: "print(\"loss\", 0.25, [1, 2])   # expect: loss 0.25 [1, 2]\nprint(1, 2, sep = \"-\")          # expect: 1-2",
                       category: "core") { args in
            let items = try args.list(0).items
            let sep = try args.string("sep"), end = try args.string("end")
            args.interpreter.write(items.map(\.description).joined(separator: sep) + end)
            return .null
        },
        NativeFunction("len(x)", summary: "The number of elements of a list, dict, range or native collection, or of characters of a string.",
                       example: "print(len([1, 2, 3]), len(\"héllo\"), len({\"a\": 1}))   # expect: 3 5 1",
                       category: "core", direct1: { v in
            switch v {
            case .string(let s): return .int(s.characterCount)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .range(let r): return .int(r.count)
            default: return nil
            }
        }) { args in
            switch args[0] {
            case .string(let s): return .int(s.characterCount)
            case .list(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .range(let r): return .int(r.count)
            case .native(let o):
                if let e = try o.elements() { return .int(e.count) }
                throw args.badArgument(0, "collection")
            default: throw args.badArgument(0, "string, list, dict or range")
            }
        },
        NativeFunction("type(x)", summary: "The type name of a value: nil, bool, int, float, string, list, dict, range, function, or a native type.",
                       example: "print(type(1), type(1.5), type(\"a\"), type([]), type(nil))   # expect: int float string list nil",
                       category: "core") { args in .string(args[0].typeName) },
        NativeFunction("str(x)", summary: "The value as a string (strings unchanged).",
                       example: "print(str(42) + \"!\", str([1, \"a\"]))   # expect: 42! [1, \"a\"]",
                       category: "core", direct1: { v in .string(v.description) }) { args in .string(args[0].description) },
        NativeFunction("repr(x)", summary: "The value as code would write it (strings quoted).",
                       example: "print(repr(\"a\\tb\"))   # expect: \"a\\tb\"",
                       category: "core") { args in .string(args[0].repr) },
        NativeFunction("int(x, base=10)", summary: "Converts to an int: floats truncate toward zero, strings are parsed (nil when they do not parse), bools give 0 or 1.",
                       details: "`base` applies to strings (2 to 36). A float that is nan, infinite or out of range is an error.",
                       example: "print(int(\"42\"), int(\" 7 \"), int(\"abc\"), int(3.9), int(-3.9), int(\"ff\", base = 16))   # expect: 42 7 nil 3 -3 255",
                       category: "core") { args in
            switch args[0] {
            case .int: return args[0]
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d):
                guard d.isFinite, d.magnitude < 9.2e18 else { throw args.badArgument("x", "\(ValueFormatter.float(d)) cannot be converted to an int") }
                return .int(Int(d))
            case .string(let s):
                let base = try args.int("base")
                guard (2...36).contains(base) else { throw args.badArgument("base", "must be between 2 and 36") }
                var t = s.trimmingSpaces().replacingOccurrences("_", "")
                if base == 16 && (t.hasPrefix("0x") || t.hasPrefix("0X")) { t.removeFirst(2) }
                return Int(t, radix: base).map { .int($0) } ?? .null
            default: throw args.badArgument(0, "number or string")
            }
        },
        NativeFunction("float(x)", summary: "Converts to a float: strings are parsed (nil when they do not parse; \"inf\" and \"nan\" work).",
                       example: "print(float(2), float(\"1e-3\"), float(\"x\"))   # expect: 2.0 0.001 nil",
                       category: "core") { args in
            switch args[0] {
            case .int(let i): return .float(Double(i))
            case .float: return args[0]
            case .bool(let b): return .float(b ? 1 : 0)
            case .string(let s): return Double(s.trimmingSpaces()).map { .float($0) } ?? .null
            default: throw args.badArgument(0, "number or string")
            }
        },
        NativeFunction("bool(x)", summary: "The truth value: nil, false, 0, 0.0, \"\", [], {} and an empty range are false.",
                       example: "print(bool(0), bool(\"a\"), bool([]))   # expect: false true false",
                       category: "core") { args in .bool(args[0].isTruthy) },
        NativeFunction("range(start, stop=nil, step=1)", summary: "A lazy sequence of ints: range(n) is 0..n-1, range(a, b) is a..b-1, with an optional step.",
                       example: "print(list(range(4)), list(range(2, 8, 3)), list(range(3, 0, -1)))   # expect: [0, 1, 2, 3] [2, 5] [3, 2, 1]",
                       category: "core",
                       direct1: { v in if case .int(let n) = v { return .range(RangeObject(start: 0, stop: n, step: 1)) }; return nil },
                       direct2: { a, b in
                           if case .int(let x) = a, case .int(let y) = b { return .range(RangeObject(start: x, stop: y, step: 1)) }
                           return nil
                       }) { args in
            let a = try args.int(0)
            let b = try args.optionalInt("stop")
            let step = try args.int("step")
            if step == 0 { throw args.badArgument("step", "must not be zero") }
            return .range(b == nil ? RangeObject(start: 0, stop: a, step: 1) : RangeObject(start: a, stop: b!, step: step))
        },
        NativeFunction("list(x=nil)", summary: "A new list: empty, or with the elements of a list, range, string (characters), dict (keys) or iterable object.",
                       example: "print(list(\"abc\"), list({\"k\": 1}), list())   # expect: [\"a\", \"b\", \"c\"] [\"k\"] []",
                       category: "core") { args in
            if args[0].isNil { return .list(ListObject.make()) }
            return .list(ListObject.make(try args.sequence(0)))
        },
        NativeFunction("dict(pairs=nil, **entries)", summary: "A new dict: from a list of [key, value] pairs, another dict (copied), and/or named entries.",
                       example: "print(dict([[\"a\", 1], [\"b\", 2]]), dict(lr = 0.1))   # expect: {\"a\": 1, \"b\": 2} {\"lr\": 0.1}",
                       category: "core") { args in
            let d = DictObject()
            switch args[0] {
            case .null: break
            case .dict(let other): for (k, v) in other.pairs { d[k] = v }
            case .list(let l):
                for item in l.snapshot() {
                    guard case .list(let pair) = item, pair.count == 2, let k = DictKey(pair.element(0)) else {
                        throw args.badArgument("pairs", "a list of [key, value] pairs expected, found \(item.repr)")
                    }
                    d[k] = pair.element(1)
                }
            default: throw args.badArgument(0, "list of pairs or dict")
            }
            for (k, v) in try args.dict("entries").pairs { d[k] = v }
            return .dict(d)
        },
        NativeFunction("error(value)", summary: "Raises an error with this message (or value); `try … catch e` catches it and `e.value` is the value.",
                       example: "try { error(\"bad reward\") } catch e { print(e.message) }   # expect: bad reward",
                       category: "core") { args in
            let f = Failure(args[0].description)
            f.value = args[0]
            throw f
        },
        NativeFunction("format(value, spec)", summary: "Formats a value with a format spec, as in \"{x:spec}\": `[[fill]align][sign][0][width][,][.precision][type]`.",
                       details: "Types: d (int), f (fixed), e (exponent), g (general), % (percent), s (string), x/X/b/o (hex, binary, octal). Align: < left, > right, ^ centre.",
                       example: "print(format(3.14159, \".2f\"), format(42, \">5\"), format(0.25, \".0%\"), format(1234567, \",\"))   # expect: 3.14    42 25% 1,234,567",
                       category: "core") { args in
            guard let spec = FormatSpec(try args.string("spec")) else { throw args.badArgument("spec", "invalid format spec") }
            return .string(try spec.format(args[0]))
        },
        NativeFunction("help(x=nil)", summary: "Prints the help of a builtin, method (\"list.map\"), user function (its ## doc comment) or value; with no argument lists every builtin.",
                       example: "help(\"len\")   # expect: len(x)\n# expect:\n# expect: The number of elements of a list, dict, range or native collection, or of characters of a string.\n# expect:\n# expect: example:\n# expect:   print(len([1, 2, 3]), len(\"héllo\"), len({\"a\": 1}))   # expect: 3 5 1",
                       category: "core") { args in
            let interp = args.interpreter
            var text: String?
            switch args[0] {
            case .null:
                var out = "builtins (help(\"name\") for details):\n"
                for f in interp.library.functions { out += "  \(f.signature.text) — \(f.help.summary)\n" }
                out += "types with methods: string, list, dict (help(\"list\"))\n"
                text = out
            case .string(let name):
                text = interp.help(for: name)
                if text == nil {
                    let names = interp.library.functions.map(\.name) + interp.globalNames
                    throw RuntimeError("no help for '\(name)'" + Suggest.didYouMean(name, names))
                }
            case .builtin(let f): text = Library.page(f)
            case .function(let f): text = "\(f.signature)\n" + (f.doc.map { "\n\($0)\n" } ?? "")
            case .native(let o): text = o.help
            case .list: text = interp.help(for: "list")
            case .dict: text = interp.help(for: "dict")
            default: text = "\(args[0].typeName) value \(args[0].repr)\n"
            }
            // Native objects' help is one line without its newline; every page ends with one.
            let page = text ?? ""
            interp.write(page.isEmpty || page.hasSuffix("\n") ? page : page + "\n")
            return .null
        },
    ]
}
