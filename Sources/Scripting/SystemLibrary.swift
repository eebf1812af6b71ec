// Time, a stopwatch and a seeded random source: the native objects of the standard library
// (and a worked example of `NativeObject` for binding authors).

import Foundation
import Randomness

/// A seeded random source (xoshiro256**, seeded through SplitMix64): the same seed gives the
/// same numbers on every machine.
final class RandomSource: PropertyTableObject {
    private var bits: Xoshiro256StarStar
    private var spareNormal: Double?
    let seed: Int

    init(seed: Int) {
        self.seed = seed
        bits = Xoshiro256StarStar(seed: UInt64(bitPattern: Int64(seed)))
    }

    func next() -> UInt64 { bits.next() }

    /// Uniform in [0, 1).
    func uniform() -> Double { bits.uniformDouble() }

    /// Uniform int in [0, n), unbiased.
    func below(_ n: UInt64) -> UInt64 {
        let limit = UInt64.max - UInt64.max % n
        while true { let r = next(); if r < limit { return r % n } }
    }

    func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u = 0.0
        repeat { u = uniform() } while u == 0
        let v = uniform()
        let r = (-2 * Foundation.log(u)).squareRoot()
        spareNormal = r * Foundation.sin(2 * .pi * v)
        return r * Foundation.cos(2 * .pi * v)
    }

    var typeName: String { "Random" }
    var description: String { "<Random seed=\(seed)>" }
    var summary: String { "Random(seed): a seeded random source" }
    var help: String { summary + ".\n" + RandomSource.methods.map { "  \($0.memberInfo.signature) — \($0.help.summary)" }.joined(separator: "\n") + "\n" }
    static let properties: [NativeProperty<RandomSource>] = [NativeProperty("seed", "the seed it started from") { .int($0.seed) }]

    static let methods: [NativeFunction] = [
        NativeFunction("Random.random()", summary: "A float uniform in [0, 1).") { a in .float(try a.receiver(RandomSource.self).uniform()) },
        NativeFunction("Random.uniform(lo=0.0, hi=1.0)", summary: "A float uniform in [lo, hi).") { a in
            let r = try a.receiver(RandomSource.self)
            let lo = try a.double("lo"), hi = try a.double("hi")
            return .float(lo + (hi - lo) * r.uniform())
        },
        NativeFunction("Random.randint(lo, hi)", summary: "An int uniform in [lo, hi], both included.") { a in
            let r = try a.receiver(RandomSource.self)
            let lo = try a.int("lo"), hi = try a.int("hi")
            guard lo <= hi else { throw a.badArgument("hi", "must be ≥ lo") }
            let span = UInt64(bitPattern: Int64(hi &- lo)) &+ 1
            return .int(lo &+ Int(truncatingIfNeeded: span == 0 ? r.next() : r.below(span)))
        },
        NativeFunction("Random.normal(mean=0.0, std=1.0)", summary: "A float from a normal distribution.") { a in
            let r = try a.receiver(RandomSource.self)
            let mean = try a.double("mean"), std = try a.double("std")
            return .float(mean + std * r.normal())
        },
        NativeFunction("Random.choice(xs, weights=nil)", summary: "A random element of xs, optionally with (unnormalized) weights.") { a in
            let r = try a.receiver(RandomSource.self)
            let xs = try a.sequence("xs")
            guard !xs.isEmpty else { throw RuntimeError("choice from an empty list") }
            if a["weights"].isNil { return xs[Int(r.below(UInt64(xs.count)))] }
            let w = try a.numbers(1)
            guard w.count == xs.count, w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.reduce(0, +) > 0 else {
                throw a.badArgument("weights", "one non-negative finite weight per element, not all zero")
            }
            var u = r.uniform() * w.reduce(0, +)
            for (i, wi) in w.enumerated() { u -= wi; if u < 0 { return xs[i] } }
            return xs[xs.count - 1]
        },
        NativeFunction("Random.shuffle(xs)", summary: "Shuffles a list in place (Fisher–Yates).") { a in
            let r = try a.receiver(RandomSource.self)
            let l = try a.list("xs")
            if l.items.count > 1 {
                for i in stride(from: l.items.count - 1, to: 0, by: -1) { l.items.swapAt(i, Int(r.below(UInt64(i + 1)))) }
            }
            return .null
        },
        NativeFunction("Random.sample(xs, k)", summary: "k distinct elements of xs, in random order.") { a in
            let r = try a.receiver(RandomSource.self)
            var xs = try a.sequence("xs")
            let k = try a.int("k")
            guard k >= 0, k <= xs.count else { throw a.badArgument("k", "must be between 0 and len(xs) = \(xs.count)") }
            for i in 0..<k { xs.swapAt(i, i + Int(r.below(UInt64(xs.count - i)))) }
            return .list(ListObject.make(Array(xs[..<k])))
        },
    ]
}

/// A stopwatch for timing loops.
final class Stopwatch: PropertyTableObject {
    private var start = DispatchTime.now().uptimeNanoseconds
    private var lapStart = DispatchTime.now().uptimeNanoseconds
    var typeName: String { "Stopwatch" }
    var description: String { "<Stopwatch \(String(format: "%.3f", elapsed))s>" }
    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    var summary: String { "Stopwatch(): seconds since it was made or reset" }
    static let properties: [NativeProperty<Stopwatch>] = [NativeProperty("elapsed", "seconds since start or reset") { .float($0.elapsed) }]
    static let methods: [NativeFunction] = [
        NativeFunction("Stopwatch.lap()", summary: "Seconds since the previous lap (or the start).") { a in
            let w = try a.receiver(Stopwatch.self)
            let now = DispatchTime.now().uptimeNanoseconds
            defer { w.lapStart = now }
            return .float(Double(now - w.lapStart) / 1e9)
        },
        NativeFunction("Stopwatch.reset()", summary: "Starts again from zero.") { a in
            let w = try a.receiver(Stopwatch.self)
            w.start = DispatchTime.now().uptimeNanoseconds
            w.lapStart = w.start
            return .null
        },
    ]
}

enum SystemLibrary {
    static let functions: [NativeFunction] = [
        NativeFunction("time()", summary: "Seconds since 1970-01-01 UTC, as a float (wall clock).",
                       example: "print(time() > 1.7e9)   # expect: true", category: "time") { _ in .float(Date().timeIntervalSince1970) },
        NativeFunction("clock()", summary: "Seconds from a monotonic clock, for measuring durations.",
                       example: "t = clock()\nprint(clock() >= t)   # expect: true", category: "time") { _ in
            .float(Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
        },
        NativeFunction("sleep(seconds)", summary: "Waits (an interrupt ends the wait early).",
                       example: "sleep(0.001)\nprint(\"done\")   # expect: done", category: "time") { a in
            var left = try a.double(0)
            guard left.isFinite else { throw a.badArgument("seconds", "a finite number expected") }
            while left > 0 {
                try a.interpreter.checkInterrupt()
                let step = min(left, 0.05)
                usleep(UInt32(step * 1e6))
                left -= step
            }
            return .null
        },
        NativeFunction("Stopwatch()", summary: "A stopwatch: `w.elapsed` seconds since start, `w.lap()`, `w.reset()`.",
                       example: "w = Stopwatch()\nprint(w.elapsed >= 0, w.lap() >= 0)   # expect: true true", category: "time") { _ in
            .native(Stopwatch())
        },
        NativeFunction("Random(seed=0)", summary: "A seeded random source: r.random(), r.uniform(lo, hi), r.randint(lo, hi), r.normal(mean, std), r.choice(xs, weights), r.shuffle(xs), r.sample(xs, k).",
                       details: "The generator is xoshiro256** seeded by SplitMix64, so a seed gives the same sequence everywhere.",
                       example: "r = Random(seed = 42)\ns = Random(seed = 42)\nprint(r.random() == s.random(), r.randint(1, 6) == s.randint(1, 6))   # expect: true true\nxs = [1, 2, 3]\nr.shuffle(xs)\nprint(sorted(xs))   # expect: [1, 2, 3]",
                       category: "random") { a in .native(RandomSource(seed: try a.int("seed"))) },
    ]
}
