import Glibc
import Tensors

/// Settings of (diverse) beam search, after Hugging Face's `num_beams`, `num_beam_groups`,
/// `diversity_penalty` and `length_penalty`.
public struct BeamSearchOptions: Sendable {
    /// Total beams (split evenly across groups).
    public var beamWidth: Int
    /// Diverse beam search (Vijayakumar et al.): groups decode in turn, each penalised for tokens the
    /// earlier groups chose at the same step. 1 = plain beam search.
    public var groups: Int
    /// Subtracted from a token's log-probability once per earlier group's beam that chose it this step.
    public var diversityPenalty: Float
    /// A finished hypothesis scores Σ log p / (length ^ lengthPenalty) (length counts generated tokens).
    public var lengthPenalty: Float
    public var maxNewTokens: Int
    /// Stop tokens are forbidden until this many tokens are generated (Hugging Face's `min_new_tokens`).
    public var minNewTokens: Int = 0
    /// Tokens that end a hypothesis (kept as its last token).
    public var stopTokens: [Int]
    /// Policy penalties applied to the logits before the log-softmax.
    public var penalties: [TokenPenalty]

    public init(beamWidth: Int = 4, groups: Int = 1, diversityPenalty: Float = 0, lengthPenalty: Float = 1,
                maxNewTokens: Int = 32, stopTokens: [Int] = [], penalties: [TokenPenalty] = []) {
        self.beamWidth = beamWidth
        self.groups = groups
        self.diversityPenalty = diversityPenalty
        self.lengthPenalty = lengthPenalty
        self.maxNewTokens = maxNewTokens
        self.stopTokens = stopTokens
        self.penalties = penalties
    }
}

/// A finished (stopped or cut-off) hypothesis.
public struct BeamHypothesis: Sendable, Equatable {
    public var tokens: [Int]
    /// Σ log p of its tokens under the (penalised) model, without the diversity penalty.
    public var logProb: Float
    /// The ranking score: (Σ log p − diversity penalties) / length^lengthPenalty.
    public var score: Float
    /// Which beam group produced it.
    public var group: Int
    public var stopped: Bool
}

extension Transformer {
    /// Beam search (or diverse beam search with `groups > 1`) from one prompt, with a KV cache that is
    /// reordered to the surviving beams at every step. Each group keeps `beamWidth / groups` live
    /// beams and collects finished hypotheses; a group is done when it holds that many and no live beam
    /// can still beat its worst (judged by the live beam's current score, exact for lengthPenalty 0). Returns every group's best hypotheses, best first.
    public func beamSearch(prompt: [Int], options: BeamSearchOptions = BeamSearchOptions()) throws -> [BeamHypothesis] {
        guard options.beamWidth >= 1, options.groups >= 1, options.beamWidth % options.groups == 0 else {
            throw LanguageModelError("beamSearch", "beamWidth \(options.beamWidth) must be a positive multiple of groups \(options.groups)")
        }
        try validateGeneration([prompt], GenerationOptions(maxNewTokens: options.maxNewTokens, minNewTokens: options.minNewTokens,
                                                           stopTokens: options.stopTokens))
        let v = config.vocabularySize
        let perGroup = options.beamWidth / options.groups
        let stops = Set(options.stopTokens)
        let bias = try policyBias(options.penalties)?.scalars

        struct Beam { var tokens: [Int]; var logProb: Float; var score: Float }
        func finalScore(_ s: Float, _ length: Int) -> Float {
            s / Float(max(length, 1)).pow(options.lengthPenalty)
        }
        return try withNoGrad {
            let (prefix, first) = try prefill([prompt], extraCapacity: options.maxNewTokens + 1)
            var groupBeams = [[Beam]](repeating: [Beam(tokens: [], logProb: 0, score: 0)], count: options.groups)
            var finished = [[BeamHypothesis]](repeating: [], count: options.groups)
            var done = [Bool](repeating: false, count: options.groups)
            var cache = try prefix.replicated(rows: [Int](repeating: 0, count: options.groups))
            var logits = (0..<options.groups).flatMap { _ in first }
            for step in 0..<options.maxNewTokens {
                // Log-probabilities of every live row (rows are the groups' beams, in order).
                let rowCount = groupBeams.reduce(0) { $0 + $1.count }
                var logProbs = logits
                logProbs.withUnsafeMutableBufferPointer { all in
                    for r in 0..<rowCount {
                        let row = UnsafeMutableBufferPointer(rebasing: all[(r * v)..<((r + 1) * v)])
                        if let bias { for i in 0..<v { row[i] += bias[i] } }
                        let z = logSumExp(row)
                        for i in 0..<v { row[i] -= z }
                        // After the log-softmax, as Hugging Face's min-length processor does.
                        if step < options.minNewTokens { for t in stops where t < v { row[t] = -.infinity } }
                    }
                }
                var chosenThisStep = [Int: Int]()  // token → times chosen by earlier groups at this step
                var nextBeams = [[Beam]](repeating: [], count: options.groups)
                var parents: [Int] = [], feed: [Int] = []
                var rowBase = 0
                for g in 0..<options.groups {
                    let beams = groupBeams[g]
                    defer { rowBase += beams.count }
                    if done[g] || beams.isEmpty { continue }
                    var candidates: [(score: Float, logProb: Float, beam: Int, token: Int)] = []
                    for (bi, beam) in beams.enumerated() {
                        let row = logProbs[((rowBase + bi) * v)..<((rowBase + bi + 1) * v)]
                        for (token, lp) in topTokens(row, count: 2 * perGroup, penalty: options.diversityPenalty, chosen: chosenThisStep) {
                            candidates.append((beam.score + lp.adjusted, beam.logProb + lp.raw, bi, token))
                        }
                    }
                    candidates.sort { $0.score > $1.score || ($0.score == $1.score && ($0.beam, $0.token) < ($1.beam, $1.token)) }
                    for c in candidates {
                        if nextBeams[g].count == perGroup { break }
                        let tokens = beams[c.beam].tokens + [c.token]
                        if stops.contains(c.token) {
                            finished[g].append(BeamHypothesis(tokens: tokens, logProb: c.logProb,
                                                              score: finalScore(c.score, tokens.count), group: g, stopped: true))
                        } else {
                            nextBeams[g].append(Beam(tokens: tokens, logProb: c.logProb, score: c.score))
                            parents.append(rowBase + c.beam)
                            feed.append(c.token)
                        }
                    }
                    for b in nextBeams[g] { chosenThisStep[b.tokens.last!, default: 0] += 1 }
                    finished[g].sort { $0.score > $1.score }
                    if finished[g].count >= perGroup {
                        finished[g].removeLast(finished[g].count - perGroup)
                        let worst = finished[g].last!.score
                        let bestLive = nextBeams[g].map { finalScore($0.score, $0.tokens.count) }.max() ?? -.infinity
                        // Exact for lengthPenalty 0 (sums only fall); Hugging Face's heuristic otherwise.
                        if bestLive <= worst { done[g] = true }
                    }
                }
                // Groups that finished drop their live beams.
                var keepRows: [Int] = [], keepFeed: [Int] = []
                var offset = 0
                for g in 0..<options.groups {
                    let n = nextBeams[g].count
                    if done[g] {
                        nextBeams[g] = []
                    } else {
                        keepRows += parents[offset..<(offset + n)]
                        keepFeed += feed[offset..<(offset + n)]
                    }
                    offset += n
                }
                groupBeams = nextBeams
                if keepRows.isEmpty || step == options.maxNewTokens - 1 { break }
                cache = try cache.replicated(rows: keepRows)
                logits = try decodeStep(keepFeed, cache: cache)
            }
            // Live beams at the end are cut-off hypotheses.
            for g in 0..<options.groups {
                for b in groupBeams[g] {
                    finished[g].append(BeamHypothesis(tokens: b.tokens, logProb: b.logProb,
                                                      score: finalScore(b.score, b.tokens.count), group: g, stopped: false))
                }
                finished[g].sort { $0.score > $1.score }
                finished[g] = Array(finished[g].prefix(perGroup))
            }
            return finished.flatMap { $0 }.sorted { $0.score > $1.score }
        }
    }

    /// The `count` best tokens of a log-probability row after the diversity penalty.
    private func topTokens(_ row: ArraySlice<Float>, count: Int, penalty: Float, chosen: [Int: Int])
        -> [(Int, (raw: Float, adjusted: Float))] {
        var best: [(Int, (raw: Float, adjusted: Float))] = []
        best.reserveCapacity(count + 1)
        var threshold = -Float.infinity
        let base = row.startIndex
        for i in row.indices {
            let raw = row[i]
            if raw == -.infinity { continue }
            let token = i - base
            let adjusted = penalty == 0 ? raw : raw - penalty * Float(chosen[token] ?? 0)
            if best.count == count && adjusted <= threshold { continue }
            let at = best.firstIndex { adjusted > $0.1.adjusted } ?? best.count
            best.insert((token, (raw, adjusted)), at: at)
            if best.count > count { best.removeLast() }
            if best.count == count { threshold = best[count - 1].1.adjusted }
        }
        return best
    }
}

extension Float {
    func pow(_ e: Float) -> Float { e == 0 ? 1 : Float(Glibc.pow(Double(self), Double(e))) }
}
