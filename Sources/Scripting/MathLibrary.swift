// Math builtins and constants.

import Foundation

enum MathLibrary {
    static func unary(_ sig: String, _ summary: String, _ example: String, _ f: @escaping @Sendable (Double) throws -> Double) -> NativeFunction {
        NativeFunction(sig, summary: summary, example: example, category: "math", direct1: { v in
            // A number in the function's domain; anything else (and every error) goes through the body.
            switch v {
            case .float(let d): return (try? f(d)).map { .float($0) }
            case .int(let i): return (try? f(Double(i))).map { .float($0) }
            default: return nil
            }
        }) { args in .float(try f(try args.double(0))) }
    }

    static func toInt(_ d: Double, _ what: String) throws -> Value {
        guard d.isFinite, d.magnitude < 9.2e18 else { throw RuntimeError("\(what) of \(ValueFormatter.float(d)) is not a finite int") }
        return .int(Int(d))
    }

    nonisolated(unsafe) static let constants: [(String, Value, Help)] = [
        ("pi", .float(Double.pi), Help(summary: "π = 3.141592653589793", example: "print(pi)   # expect: 3.141592653589793")),
        ("inf", .float(Double.infinity), Help(summary: "Positive infinity (a float); -inf is negative infinity.", example: "print(inf > 1e308, -inf)   # expect: true -inf")),
        ("nan", .float(Double.nan), Help(summary: "Not a number (a float); nan != nan, test with isnan(x).", example: "print(nan == nan, isnan(nan))   # expect: false true")),
    ]

    static let functions: [NativeFunction] = [
        unary("exp(x)", "e raised to x.", "print(exp(0), exp(1))   # expect: 1.0 2.718281828459045") { Foundation.exp($0) },
        NativeFunction("log(x, base=nil)", summary: "The natural logarithm, or the logarithm in `base`. log(0) is -inf; a negative x is an error.",
                       example: "print(log(1), log(8, base = 2), log(0))   # expect: 0.0 3.0 -inf", category: "math") { args in
            let x = try args.double(0)
            guard x >= 0 else { throw RuntimeError("math domain error: log of a negative number (\(ValueFormatter.float(x)))") }
            if let b = try args.optionalDouble("base") {
                guard b > 0, b != 1 else { throw args.badArgument("base", "must be positive and not 1") }
                return .float(Foundation.log(x) / Foundation.log(b))
            }
            return .float(Foundation.log(x))
        },
        unary("log2(x)", "The base-2 logarithm.", "print(log2(1024))   # expect: 10.0") { x in
            guard x >= 0 else { throw RuntimeError("math domain error: log2 of a negative number") }
            return Foundation.log2(x)
        },
        unary("log10(x)", "The base-10 logarithm.", "print(log10(1000))   # expect: 3.0") { x in
            guard x >= 0 else { throw RuntimeError("math domain error: log10 of a negative number") }
            return Foundation.log10(x)
        },
        unary("sqrt(x)", "The square root (a negative x is an error).", "print(sqrt(16), sqrt(2))   # expect: 4.0 1.4142135623730951") { x in
            guard x >= 0 else { throw RuntimeError("math domain error: sqrt of a negative number (\(ValueFormatter.float(x)))") }
            return x.squareRoot()
        },
        NativeFunction("abs(x)", summary: "The absolute value (ints stay ints).", example: "print(abs(-3), abs(-2.5))   # expect: 3 2.5", category: "math",
                       direct1: { v in
            switch v {
            case .int(let i) where i != Int.min: return .int(abs(i))
            case .float(let d): return .float(abs(d))
            default: return nil
            }
        }) { args in
            switch args[0] {
            case .int(let i):
                guard i != Int.min else { throw RuntimeError("integer overflow in abs") }
                return .int(abs(i))
            case .float(let d): return .float(abs(d))
            default: throw args.badArgument(0, "number")
            }
        },
        NativeFunction("floor(x)", summary: "The largest int ≤ x.", example: "print(floor(2.7), floor(-2.5))   # expect: 2 -3", category: "math") { args in
            if case .int = args[0] { return args[0] }
            return try toInt(try args.double(0).rounded(.down), "floor")
        },
        NativeFunction("ceil(x)", summary: "The smallest int ≥ x.", example: "print(ceil(2.1), ceil(-2.5))   # expect: 3 -2", category: "math") { args in
            if case .int = args[0] { return args[0] }
            return try toInt(try args.double(0).rounded(.up), "ceil")
        },
        NativeFunction("round(x, digits=nil)", summary: "Rounds half to even: to an int, or to a float with `digits` decimals.",
                       example: "print(round(2.5), round(3.5), round(3.14159, digits = 2), round(-1.4))   # expect: 2 4 3.14 -1", category: "math") { args in
            let x = try args.double(0)
            if let d = try args.optionalInt("digits") {
                guard (-20...20).contains(d) else { throw args.badArgument("digits", "must be between -20 and 20") }
                let p = Foundation.pow(10.0, Double(d))
                return .float((x * p).rounded(.toNearestOrEven) / p)
            }
            if case .int = args[0] { return args[0] }
            return try toInt(x.rounded(.toNearestOrEven), "round")
        },
        unary("sin(x)", "The sine (radians).", "print(sin(0))   # expect: 0.0") { Foundation.sin($0) },
        unary("cos(x)", "The cosine (radians).", "print(cos(0))   # expect: 1.0") { Foundation.cos($0) },
        unary("tan(x)", "The tangent (radians).", "print(tan(0))   # expect: 0.0") { Foundation.tan($0) },
        unary("atan(x)", "The arc tangent, in radians.", "print(atan(1) * 4 == pi)   # expect: true") { Foundation.atan($0) },
        unary("tanh(x)", "The hyperbolic tangent.", "print(tanh(0))   # expect: 0.0") { Foundation.tanh($0) },
        NativeFunction("isnan(x)", summary: "True if x is nan.", example: "print(isnan(nan), isnan(1))   # expect: true false", category: "math") { args in
            .bool(try args.double(0).isNaN)
        },
        NativeFunction("isinf(x)", summary: "True if x is inf or -inf.", example: "print(isinf(-inf), isinf(1e308))   # expect: true false", category: "math") { args in
            .bool(try args.double(0).isInfinite)
        },
        NativeFunction("clamp(x, lo, hi)", summary: "x limited to the interval [lo, hi].", example: "print(clamp(5, 0, 3), clamp(-1.5, -1, 1), clamp(0.5, 0, 1))   # expect: 3 -1 0.5", category: "math") { args in
            let loc = args.location ?? Interpreter.hostLocation
            if try LtOp.test(args[0], args[1], loc) { return args[1] }
            if try GtOp.test(args[0], args[2], loc) { return args[2] }
            return args[0]
        },
        NativeFunction("logsumexp(xs)", summary: "log(sum(exp(x) for x in xs)), computed without overflow; -inf for an empty list.",
                       example: "print(format(logsumexp([1000, 1000]), \".4f\"), logsumexp([]))   # expect: 1000.6931 -inf", category: "math") { args in
            let xs = try args.numbers(0)
            guard let m = xs.max(), m.isFinite else { return .float(xs.max() ?? -.infinity) }
            return .float(m + Foundation.log(xs.reduce(0) { $0 + Foundation.exp($1 - m) }))
        },
    ]
}
