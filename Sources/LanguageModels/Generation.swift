import Tensors

/// How long to generate and when to stop.
public struct GenerationOptions: Sendable {
    /// At most this many new tokens per row (m_max); a row that reaches it without a stop token is cut off.
    public var maxNewTokens: Int
    /// Stop tokens are forbidden (behaviour only) until this many tokens are generated (m_min).
    public var minNewTokens: Int
    /// A row ends when it emits one of these (the token is kept as the row's last token).
    public var stopTokens: [Int]
    /// The token whose log-probability is reported at every step (⊤); defaults to the first stop token.
    public var terminationToken: Int?
    /// Rows generated per prompt (k samples sharing the prompt's prefilled cache).
    public var samplesPerPrompt: Int
    /// For rows cut off at `maxNewTokens`, also compute log P(⊤) of the final state (one more decoding step).
    public var scoreFinalState: Bool

    public init(maxNewTokens: Int = 32, minNewTokens: Int = 0, stopTokens: [Int] = [], terminationToken: Int? = nil,
                samplesPerPrompt: Int = 1, scoreFinalState: Bool = true) {
        self.maxNewTokens = maxNewTokens
        self.minNewTokens = minNewTokens
        self.stopTokens = stopTokens
        self.terminationToken = terminationToken
        self.samplesPerPrompt = samplesPerPrompt
        self.scoreFinalState = scoreFinalState
    }

    var termination: Int? { terminationToken ?? stopTokens.first }
}

/// One generated row with the per-step quantities sub-trajectory balance needs, all under the
/// policy's untempered (penalised) logits.
public struct GeneratedSequence: Sendable, Equatable {
    /// Which prompt this row continues.
    public var promptIndex: Int
    /// The generated tokens (a stop token, if one ended the row, is the last).
    public var tokens: [Int]
    /// log P_F(tokens[t] | s_t) for each t.
    public var tokenLogProbs: [Float]
    /// log P(⊤ | s_t) for each t < tokens.count (s_0 is the prompt alone).
    public var terminationLogProbs: [Float]
    /// Whether a stop token ended the row (false: cut off at maxNewTokens).
    public var stopped: Bool
    /// For a row cut off at maxNewTokens: log P(⊤ | s_n) of its final state (nil if not computed or stopped).
    public var finalTerminationLogProb: Float?
    /// Tokens an environment inserted after `tokens[t]`, by t (empty without an environment). s_t
    /// includes the insertion after `tokens[t - 1]`, so the log-probabilities above are read there.
    public var insertions: [Int: [Int]] = [:]

    /// The generated part of the state: the tokens with the insertions in place.
    public var stateTokens: [Int] { InterleavedState.tokens(actions: tokens, insertions: insertions) }
}

extension Transformer {
    /// Samples continuations of `prompts`, `options.samplesPerPrompt` rows each, with a KV cache.
    ///
    /// Prompts are prefilled once (left-padded into one batch), the cache is copied to the k rows of
    /// each prompt, then all rows decode together, one token per step; a row that stops leaves the
    /// batch and the cache, until every row has stopped or maxNewTokens is reached.
    /// Draws come from `generator` in row order, so a seed reproduces the output exactly.
    /// Runs without a graph; adapters apply if attached and enabled.
    ///
    /// With an `environment`, each action of a row still going may be followed by inserted tokens
    /// (not actions, not counted toward maxNewTokens); the rows of a step are then fed as one block,
    /// each row's tokens right-aligned after holes that the cache masks, so every row's cache stays
    /// exactly what a pass over its own tokens would give.
    public func generate(prompts: [[Int]], sampler: Sampler = Sampler(), options: GenerationOptions = GenerationOptions(),
                         environment: (any SamplingEnvironment)? = nil,
                         using generator: inout RandomGenerator) throws -> [GeneratedSequence] {
        try validateGeneration(prompts, options)
        let v = config.vocabularySize
        let k = options.samplesPerPrompt
        let chain = options.minNewTokens > 0 && !options.stopTokens.isEmpty
            ? sampler.prepending([MinNewTokens(count: options.minNewTokens, tokens: options.stopTokens)]) : sampler
        let stops = Set(options.stopTokens)
        return try withNoGrad {
            let (prefixCache, prefixLogits) = try prefill(prompts, extraCapacity: options.maxNewTokens + 1)
            let rowCount = prompts.count * k
            var cache = k == 1 ? prefixCache : try prefixCache.replicated(rows: (0..<rowCount).map { $0 / k })
            var logits = [Float](repeating: 0, count: rowCount * v)
            for r in 0..<rowCount {
                let p = r / k
                logits.replaceSubrange((r * v)..<((r + 1) * v), with: prefixLogits[(p * v)..<((p + 1) * v)])
            }
            var rows = (0..<rowCount).map {
                GeneratedSequence(promptIndex: $0 / k, tokens: [], tokenLogProbs: [], terminationLogProbs: [], stopped: false)
            }
            // Rows still generating; logits row i and cache row i belong to active[i].
            var active = Array(0..<rowCount)
            for step in 0..<options.maxNewTokens {
                let states = active.map { SamplingState(row: $0, generated: rows[$0].tokens) }
                let choices = try chain.choose(logits: &logits, vocabulary: v, rows: Array(active.indices), states: states,
                                               termination: options.termination, using: &generator)
                var kept: [Int] = []
                for (i, r) in active.enumerated() {
                    rows[r].tokens.append(choices[i].token)
                    rows[r].tokenLogProbs.append(choices[i].logProb)
                    rows[r].terminationLogProbs.append(choices[i].terminationLogProb)
                    if stops.contains(choices[i].token) { rows[r].stopped = true } else { kept.append(i) }
                }
                // What each row still going feeds next: its action, then what the environment inserts.
                var fed = kept.map { [rows[active[$0]].tokens.last ?? 0] }
                if let environment {
                    for (j, i) in kept.enumerated() {
                        let r = active[i]
                        let prompt = prompts[rows[r].promptIndex]
                        let inserted = try environment.insertion(prompt: prompt, generated: rows[r].stateTokens)
                        guard !inserted.isEmpty else { continue }
                        if let bad = inserted.first(where: { $0 < 0 || $0 >= v }) {
                            throw LanguageModelError("generate", "the environment inserted token \(bad), outside the vocabulary of \(v)")
                        }
                        rows[r].insertions[rows[r].tokens.count - 1] = inserted
                        let needed = prompt.count + rows[r].stateTokens.count + (options.maxNewTokens - step - 1)
                        guard needed <= config.contextLength else {
                            throw LanguageModelError("generate", "row \(r) needs \(needed) tokens with the environment's insertions, more than the context of \(config.contextLength)")
                        }
                        fed[j] += inserted
                    }
                }
                let last = step == options.maxNewTokens - 1
                if kept.isEmpty || (last && !(options.scoreFinalState && options.termination != nil)) { break }
                // Finished rows leave the batch (and the cache), so later steps cost only the rows still going.
                try cache.keepRows(kept)
                active = kept.map { active[$0] }
                if fed.allSatisfy({ $0.count == 1 }) {
                    logits = try decodeStep(fed.map { $0[0] }, cache: cache)
                } else {
                    logits = try decodeBlock(fed, cache: &cache, reserve: options.maxNewTokens - step)
                }
                if last {
                    // Policy log P(⊤) of the final states of the rows cut off here.
                    let policy = Sampler(chain.steps.filter { $0.shapesPolicy }, choice: .greedy)
                    let states = active.map { SamplingState(row: $0, generated: rows[$0].tokens) }
                    var dummy = RandomGenerator(seed: 0)
                    let final = try policy.choose(logits: &logits, vocabulary: v, rows: Array(active.indices), states: states,
                                                  termination: options.termination, using: &dummy)
                    for (i, r) in active.enumerated() { rows[r].finalTerminationLogProb = final[i].terminationLogProb }
                }
            }
            return rows
        }
    }

    func validateGeneration(_ prompts: [[Int]], _ options: GenerationOptions) throws {
        guard !prompts.isEmpty else { throw LanguageModelError("generate", "no prompts given") }
        let v = config.vocabularySize
        for (i, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw LanguageModelError("generate", "prompt \(i) is empty (it needs at least one token, e.g. BOS)") }
            if let bad = p.first(where: { $0 < 0 || $0 >= v }) {
                throw LanguageModelError("generate", "prompt \(i) holds token \(bad), outside the vocabulary of \(v)")
            }
        }
        guard options.maxNewTokens >= 0, options.minNewTokens >= 0, options.minNewTokens <= options.maxNewTokens else {
            throw LanguageModelError("generate", "need 0 ≤ minNewTokens (\(options.minNewTokens)) ≤ maxNewTokens (\(options.maxNewTokens))")
        }
        guard options.samplesPerPrompt >= 1 else {
            throw LanguageModelError("generate", "samplesPerPrompt must be at least 1, got \(options.samplesPerPrompt)")
        }
        for t in options.stopTokens + (options.terminationToken.map { [$0] } ?? []) where t < 0 || t >= v {
            throw LanguageModelError("generate", "stop/termination token \(t) is outside the vocabulary of \(v)")
        }
        let longest = prompts.map(\.count).max() ?? 0
        guard longest + options.maxNewTokens <= config.contextLength else {
            throw LanguageModelError("generate", "prompt (\(longest)) + maxNewTokens (\(options.maxNewTokens)) exceed the context of \(config.contextLength) tokens")
        }
    }

    /// Runs the prompts (left-padded to one length) through the model into a fresh cache with room for
    /// `extraCapacity` more tokens. Returns the cache and the last position's logits [P·V].
    func prefill(_ prompts: [[Int]], extraCapacity: Int) throws -> (KVCache, [Float]) {
        let b = prompts.count
        let length = prompts.map(\.count).max() ?? 0
        let padding = prompts.map { length - $0.count }
        let cache = try KVCache(config: config, batchSize: b, capacity: length + extraCapacity, padding: padding)
        var ids: [Int] = [], positions: [Int] = []
        for (i, p) in prompts.enumerated() {
            ids += [Int](repeating: p[0], count: padding[i]) + p
            positions += [Int](repeating: 0, count: padding[i]) + Array(0..<p.count)
        }
        // The prompts keep float32 activations (q8 on a 16-token prefill doubled the first logits' error, measured in
        // docs/lm-runtime.md); the steps after them take `decodingActivations`.
        let context = makeContext(training: false)
        let mask = try cache.keyMask(newTokens: length)
        let h = try hiddenStates(ids, batch: b, length: length, positions: positions, keyMask: mask, cache: cache, context)
        cache.advance(by: length)
        let last = try h.select(axis: 1, length - 1)  // [B, C]
        return (cache, try last.linear(weight: outputWeight).scalars)
    }

    /// Feeds each row's tokens (different counts) as one block, right-aligned after holes that the
    /// cache masks from then on, and returns the logits after each row's last token [R·V]. The cache
    /// grows (a copy) if the block and `reserve` more positions do not fit.
    func decodeBlock(_ fed: [[Int]], cache: inout KVCache, reserve: Int) throws -> [Float] {
        let b = fed.count, l = fed.map(\.count).max() ?? 1
        if cache.length + l + reserve > cache.capacity {
            cache = try cache.replicated(rows: Array(0..<b), capacity: cache.length + l + reserve + 32)
        }
        let next = cache.nextPositions
        var ids: [Int] = [], positions: [Int] = []
        for (i, row) in fed.enumerated() {
            let gap = l - row.count
            cache.addHoles(row: i, positions: cache.length..<(cache.length + gap))
            ids += [Int](repeating: row[0], count: gap) + row
            positions += [Int](repeating: next[i], count: gap) + (0..<row.count).map { next[i] + $0 }
        }
        let mask = try cache.keyMask(newTokens: l)
        let h = try hiddenStates(ids, batch: b, length: l, positions: positions, keyMask: mask, cache: cache,
                                 makeDecodingContext())
        cache.advance(by: l)
        return try h.select(axis: 1, l - 1).linear(weight: outputWeight, activations: decodingActivations).scalars
    }

    /// Feeds one token per row, appends to the cache, returns the next logits [R·V].
    func decodeStep(_ tokens: [Int], cache: KVCache) throws -> [Float] {
        let context = makeDecodingContext()
        let mask = try cache.keyMask(newTokens: 1)
        let h = try hiddenStates(tokens, batch: tokens.count, length: 1, positions: cache.nextPositions, keyMask: mask,
                                 cache: cache, context)
        cache.advance(by: 1)
        return try h.reshaped([tokens.count, config.width]).linear(weight: outputWeight, activations: decodingActivations).scalars
    }

    /// The context of a decoding step (generation and beam search, after the prompts): no dropout, and quantized
    /// products take `decodingActivations`.
    func makeDecodingContext() -> ForwardContext {
        let context = makeContext(training: false)
        context.activations = decodingActivations
        return context
    }
}
