import Tensors

/// What `scoreContinuationAfterPrefixes` returns for one row.
public struct PrefixContinuationScores: Sendable, Equatable {
    /// log p̃(z_t | context z_{<t}) of each latent token, with the vocabulary penalties.
    public var latentLogProbs: [Float]
    /// For t = 0…n: Σ_j log p(y_j | context z_{1:t} y_{<j}), without penalties.
    public var continuationLogLikelihoods: [Double]
}

extension Transformer {
    /// The "explain Y" scores of latents: for each row b, the log-probabilities of its latent tokens
    /// after its context (penalised), and the log-likelihood of the observed continuation Y after
    /// every prefix of the latent (unpenalised). No graph.
    ///
    /// One pass runs context + latent per row into a KV cache; then each (row, prefix) pair becomes a
    /// row of a second batch that reads its prefix's keys and values from that cache (left-padded)
    /// and feeds only Y. Scoring [context z_{1:t} Y] from scratch for every t costs the context and
    /// the latent again for every prefix; here they are computed once. The first token of Y is
    /// predicted from the first pass's hidden state at the end of the prefix.
    ///
    /// `contexts` and `continuations` hold one entry per row, or one shared by all rows. Prefixes
    /// shorter than `firstPrefix` tokens are not scored (NaN): a reward that replaces them by a
    /// constant below its minimum length need not pay for them. With `onlyPrefixes`, row b's
    /// prefix of t tokens is scored only if `onlyPrefixes[b]` holds t (the ends of states when an
    /// environment inserted tokens between actions).
    public func scoreContinuationAfterPrefixes(contexts: [[Int]], latents: [[Int]], continuations: [[Int]],
                                               penalties: [TokenPenalty] = [], firstPrefix: Int = 0,
                                               onlyPrefixes: [Set<Int>]? = nil,
                                               rowsPerChunk: Int = 32) throws -> [PrefixContinuationScores] {
        try scoreContinuationsAfterPrefixes(contexts: contexts, latents: latents, continuationSets: [continuations],
                                            penalties: penalties, firstPrefix: firstPrefix, onlyPrefixes: onlyPrefixes,
                                            rowsPerChunk: rowsPerChunk)[0]
    }

    /// `scoreContinuationAfterPrefixes` for several observed continuations at once (the label texts of a
    /// classifier): element k of the result scores `continuationSets[k]` (one per row, or one shared).
    /// The context and latent pass runs once for all of them; the latent log-probabilities are the same
    /// in every element. A context prefix that every row shares (one example's prompt) runs once.
    public func scoreContinuationsAfterPrefixes(contexts: [[Int]], latents: [[Int]], continuationSets: [[[Int]]],
                                                penalties: [TokenPenalty] = [], firstPrefix: Int = 0,
                                                onlyPrefixes: [Set<Int>]? = nil,
                                                rowsPerChunk: Int = 32) throws -> [[PrefixContinuationScores]] {
        let operation = "score continuation"
        let b = latents.count
        guard b > 0 else { return continuationSets.map { _ in [] } }
        guard !continuationSets.isEmpty else { throw LanguageModelError(operation, "no continuations given") }
        guard contexts.count == b || contexts.count == 1 else {
            throw LanguageModelError(operation, "\(contexts.count) contexts for \(b) latents (give one, or one per latent)")
        }
        for continuations in continuationSets where !(continuations.count == b || continuations.count == 1) {
            throw LanguageModelError(operation, "\(continuations.count) continuations for \(b) latents (give one, or one per latent)")
        }
        if let onlyPrefixes, onlyPrefixes.count != b {
            throw LanguageModelError(operation, "\(onlyPrefixes.count) prefix sets for \(b) latents")
        }
        let isScored = { (i: Int, t: Int) in t >= firstPrefix && (onlyPrefixes?[i].contains(t) ?? true) }
        let contextOf = { (i: Int) in contexts.count == 1 ? contexts[0] : contexts[i] }
        let continuationOf = { (k: Int, i: Int) in continuationSets[k].count == 1 ? continuationSets[k][0] : continuationSets[k][i] }
        let v = config.vocabularySize
        for i in 0..<b {
            guard !contextOf(i).isEmpty else { throw LanguageModelError(operation, "the context of row \(i) is empty") }
            for k in continuationSets.indices {
                guard !continuationOf(k, i).isEmpty else { throw LanguageModelError(operation, "the continuation of row \(i) is empty") }
                if let bad = (contextOf(i) + latents[i] + continuationOf(k, i)).first(where: { $0 < 0 || $0 >= v }) {
                    throw LanguageModelError(operation, "row \(i) holds token \(bad), outside the vocabulary of \(v)")
                }
                let total = contextOf(i).count + latents[i].count + continuationOf(k, i).count
                guard total <= config.contextLength else {
                    throw LanguageModelError(operation, "row \(i) needs \(total) tokens, more than the context of \(config.contextLength)")
                }
            }
        }
        return try withNoGrad {
            let context = makeContext(training: false)
            defer { finishContext(context) }

            // Pass 1: context + latent, right-padded to L, into a cache; the states s_t = context z_{1:t}.
            // The contexts' shared prefix (all but at least the last context token) runs once and is copied.
            let rows = (0..<b).map { contextOf($0) + latents[$0] }
            let l = rows.map(\.count).max() ?? 0
            let n = latents.map(\.count).max() ?? 0
            let shared = min(Self.commonPrefixLength((0..<b).map(contextOf)), ((0..<b).map { contextOf($0).count }.min() ?? 1) - 1)
            let prefix = try KVCache(config: config, batchSize: 1, capacity: max(1, shared), padding: [0])
            if shared > 0 {
                _ = try hiddenStates(Array(rows[0][..<shared]), batch: 1, length: shared, positions: Array(0..<shared),
                                     keyMask: nil, cache: prefix, context)
                prefix.advance(by: shared)
            }
            let cache = try prefix.replicated(rows: [Int](repeating: 0, count: b), capacity: l)
            let fed = l - shared
            var ids = [Int](repeating: 0, count: b * fed), positions: [Int] = []
            for (i, row) in rows.enumerated() {
                for (j, t) in row[shared...].enumerated() { ids[i * fed + j] = t }
                positions += Array(shared..<l)
            }
            let hidden = try hiddenStates(ids, batch: b, length: fed, positions: positions, keyMask: nil, cache: cache, context)
            cache.advance(by: fed)
            var stateRows: [Int] = [], latentTargets: [Int] = []
            for i in 0..<b {
                let p = contextOf(i).count
                for t in 0...n {
                    stateRows.append(i * fed + p - 1 + min(t, latents[i].count) - shared)
                    latentTargets.append(t < latents[i].count ? latents[i][t] : 0)
                }
            }
            let states = try hidden.reshaped([b * fed, config.width]).embedding(stateRows, shape: [b, n + 1])  // [B, N+1, C]
            let logits = try states.linear(weight: outputWeight)                                                  // [B, N+1, V]
            let penalised = try policyBias(penalties).map { try logits + $0 } ?? logits
            let latentLP = try penalised.logSoftmax(gathering: latentTargets).scalars                             // [B·(N+1)]
            let logProbs = try logits.logSoftmax(axis: -1)                                                        // [B, N+1, V]

            var results: [[PrefixContinuationScores]] = []
            for k in continuationSets.indices {
                let firstTargets = (0..<b).flatMap { i in [Int](repeating: continuationOf(k, i)[0], count: n + 1) }
                let firstLP = try logProbs.gather(lastAxis: firstTargets).scalars
                var set: [PrefixContinuationScores] = []
                for i in 0..<b {
                    let base = i * (n + 1), count = latents[i].count
                    let latentScores: [Float] = Array(latentLP[base..<(base + count)])
                    let first: [Double] = firstLP[base...(base + count)].enumerated().map { t, v in isScored(i, t) ? Double(v) : .nan }
                    set.append(PrefixContinuationScores(latentLogProbs: latentScores, continuationLogLikelihoods: first))
                }
                results.append(set)
            }

            // Pass 2: Y after every prefix; each (continuation, row, t) reads its prefix from the cache.
            let triples = continuationSets.indices.flatMap { k in
                (0..<b).flatMap { i in (0...latents[i].count).map { (set: k, row: i, t: $0) } }
            }.filter { continuationOf($0.set, $0.row).count > 1 && isScored($0.row, $0.t) }
            let chunk = max(1, rowsPerChunk)
            for start in stride(from: 0, to: triples.count, by: chunk) {
                let part = Array(triples[start..<min(triples.count, start + chunk)])
                let tails = try continuationTailLogLikelihoods(after: part.map { ($0.row, contextOf($0.row).count + $0.t) }, in: cache,
                                                               continuations: part.map { continuationOf($0.set, $0.row) }, context)
                for (triple, tail) in zip(part, tails) {
                    results[triple.set][triple.row].continuationLogLikelihoods[triple.t] += tail
                }
            }
            return results
        }
    }
}

extension KVCache {
    /// A new cache whose row i holds the first `prefixes[i].length` positions of this cache's row
    /// `prefixes[i].row`, right-aligned and left-padded to the longest prefix, with room for
    /// `extraCapacity` more tokens. This cache must be unpadded.
    func leftAligned(prefixes: [(row: Int, length: Int)], extraCapacity: Int) throws -> KVCache {
        guard padding.allSatisfy({ $0 == 0 }), holes.allSatisfy(\.isEmpty) else {
            throw LanguageModelError("KV cache", "left-aligning needs a cache without padding or holes")
        }
        for (row, length) in prefixes where !(0..<batchSize ~= row) || !(1...self.length ~= length) {
            throw LanguageModelError("KV cache", "prefix of \(length) positions of row \(row) is outside the cache (\(batchSize) rows × \(self.length))")
        }
        let longest = prefixes.map(\.length).max() ?? 0
        let shape = keys.first?.shape ?? [0, 0, 1, 1]
        let rowFloats = shape[2] * shape[3]
        let out = try KVCache(layers: keys.count, heads: shape[2], headDimension: shape[3], batchSize: prefixes.count,
                              capacity: longest + extraCapacity, padding: prefixes.map { longest - $0.length })
        out.length = longest
        for layer in 0..<keys.count {
            for (source, target) in [(keys[layer], out.keys[layer]), (values[layer], out.values[layer])] {
                try target.withUnsafeMutableBufferPointer { dst in
                    try source.withUnsafeMutableBufferPointer { src in
                        for (i, prefix) in prefixes.enumerated() {
                            let from = src.baseAddress! + prefix.row * capacity * rowFloats
                            let to = dst.baseAddress! + (i * out.capacity + longest - prefix.length) * rowFloats
                            to.update(from: from, count: prefix.length * rowFloats)
                        }
                    }
                }
            }
        }
        return out
    }
}
