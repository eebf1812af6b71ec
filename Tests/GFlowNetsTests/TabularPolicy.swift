import Foundation
import Tensors
@testable import GFlowNets

/// A policy small enough to enumerate: one row of logits per state (prefix), tokens 1…V−1 plus
/// ⊤ = 0, latents of at most `maxLength` tokens. Its distribution over finished latents is
/// computed exactly, so training can be checked against a target by total variation.
final class TabularPolicy: GFlowNetPolicy {
    let vocabulary: Int
    let maxLength: Int
    /// All prefixes of length < maxLength + 1, in order: "", then length 1, 2, …
    let states: [[Int]]
    let index: [[Int]: Int]
    let logits: Tensor   // [S, V]

    init(vocabulary: Int, maxLength: Int, seed: UInt64) throws {
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        var all: [[Int]] = [[]], frontier: [[Int]] = [[]]
        for _ in 0..<maxLength {
            frontier = frontier.flatMap { s in (1..<vocabulary).map { s + [$0] } }
            all += frontier
        }
        states = all
        index = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
        var rng = RandomGenerator(seed: seed)
        logits = try Tensor.randomNormal([all.count, vocabulary], standardDeviation: 0.5, using: &rng)
        logits.requiresGrad = true
    }

    var trainableParameters: [Tensor] { [logits] }

    func probabilities(_ state: [Int]) -> [Double] {
        let row = logits.scalars[(index[state]! * vocabulary)..<((index[state]! + 1) * vocabulary)].map(Double.init)
        let m = row.max()!
        let e = row.map { exp($0 - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    func sample(prompt: [Int], count: Int, temperature: Double, minLength: Int, maxLength: Int,
                using rng: inout RandomGenerator) throws -> [SampledLatent] {
        try (0..<count).map { _ in
            var z: [Int] = []
            while z.count < maxLength {
                var w = probabilities(z).map { pow($0, 1 / temperature) }
                if z.count < minLength { w[0] = 0 }
                let token = try rng.categorical(w.map(Float.init))
                if token == 0 { return SampledLatent(tokens: z, forced: false) }
                z.append(token)
            }
            return SampledLatent(tokens: z, forced: true)
        }
    }

    func score(prompt: [Int], latents: [[Int]]) throws -> (logForward: Tensor, logTermination: Tensor) {
        let n = latents.map(\.count).max() ?? 0
        var rows: [Int] = [], targets: [Int] = []
        for z in latents {
            for t in 0...n {
                let prefix = Array(z[..<min(t, z.count)])
                rows.append(index[prefix]!)
                targets.append(t < z.count ? z[t] : 0)
                targets.append(0)
            }
        }
        let picked = try logits.embedding(rows, shape: [latents.count, n + 1]).logSoftmax().gather(lastAxis: targets)  // [B, N+1, 2]
        return (try picked.select(axis: 2, 0).slice(axis: 1, 0..<n), try picked.select(axis: 2, 1))
    }

    func decode(_ tokens: [Int]) throws -> String { tokens.map { String(UnicodeScalar(UInt8(96 + $0))) }.joined() }

    func saveAdapters(to directory: URL) throws {
        try JSONEncoder().encode(logits.scalars).write(to: directory.appendingPathComponent("table.json"))
    }

    func loadAdapters(from directory: URL) throws {
        let values = try JSONDecoder().decode([Float].self, from: Data(contentsOf: directory.appendingPathComponent("table.json")))
        try logits.assign(Tensor(shape: logits.shape, scalars: values))
    }

    /// The exact distribution of finished latents (length ≥ minLength) that `sample` draws at
    /// temperature 1: ⊤ is removed before minLength and renormalised, the end is forced at maxLength.
    func distribution(minLength: Int) -> [String: Double] {
        var out: [String: Double] = [:]
        func walk(_ z: [Int], _ p: Double) {
            var probs = probabilities(z)
            if z.count == maxLength { out[try! decode(z)] = p; return }
            if z.count < minLength { probs[0] = 0; let s = probs.reduce(0, +); probs = probs.map { $0 / s } }
            if probs[0] > 0 { out[try! decode(z), default: 0] += p * probs[0] }
            for t in 1..<vocabulary { walk(z + [t], p * probs[t]) }
        }
        walk([], 1)
        return out
    }
}

func totalVariation(_ p: [String: Double], _ q: [String: Double]) -> Double {
    Set(p.keys).union(q.keys).reduce(0) { $0 + abs((p[$1] ?? 0) - (q[$1] ?? 0)) } / 2
}
