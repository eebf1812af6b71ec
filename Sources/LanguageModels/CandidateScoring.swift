import Tensors

extension Transformer {
    /// log p(candidate_c | prompt_b), summed over the candidate's tokens, for every prompt b and
    /// candidate c: the scores of a classifier over a few label texts. No graph; adapters as they are.
    ///
    /// Scoring each [prompt, candidate] row from scratch runs every prompt once per candidate, and a
    /// prefix that all prompts share (few-shot demonstrations, an instruction) once per row. Here the
    /// prompts go in chunks of neighbours in token order (so the rationales of one sentence go
    /// together); a chunk's longest common prefix runs once into a KV cache, each prompt's rest runs
    /// once on a copy of it, and each candidate reads its prompt from a copy of that cache. The first token of every
    /// candidate is predicted from the prompt's last hidden state, so one-token candidates cost nothing
    /// beyond the prompt. Prompts and (prompt, candidate) pairs go in chunks whose cache copies stay
    /// within `cacheBytes`, at most `maxPromptsPerChunk` prompts at a time (which bounds the logits).
    public func scoreCandidates(prompts: [[Int]], candidates: [[Int]], cacheBytes: Int = 256 << 20,
                                maxPromptsPerChunk: Int = 32) throws -> [[Double]] {
        let operation = "score candidates"
        guard !prompts.isEmpty else { return [] }
        guard !candidates.isEmpty else { throw LanguageModelError(operation, "no candidates given") }
        let v = config.vocabularySize
        for (c, y) in candidates.enumerated() {
            guard !y.isEmpty else { throw LanguageModelError(operation, "candidate \(c) is empty") }
            if let bad = y.first(where: { $0 < 0 || $0 >= v }) {
                throw LanguageModelError(operation, "candidate \(c) holds token \(bad), outside the vocabulary of \(v)")
            }
        }
        let longestCandidate = candidates.map(\.count).max() ?? 0
        for (b, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw LanguageModelError(operation, "prompt \(b) is empty") }
            if let bad = p.first(where: { $0 < 0 || $0 >= v }) {
                throw LanguageModelError(operation, "prompt \(b) holds token \(bad), outside the vocabulary of \(v)")
            }
            guard p.count + longestCandidate <= config.contextLength else {
                throw LanguageModelError(operation, "prompt \(b) and its longest candidate need \(p.count + longestCandidate) tokens, more than the context of \(config.contextLength)")
            }
        }
        let bytesPerPosition = max(1, config.layerCount * 2 * config.keyValueHeadCount * config.headDimension * MemoryLayout<Float>.size)
        let classes = candidates.count
        // Prompts in token order, so that prompts sharing a prefix are neighbours; a chunk ends where the
        // next prompt shares less with its neighbour than the chunk's prompts share among themselves
        // (the rationales of one sentence, then the next sentence's), or at the size limits.
        let order = prompts.indices.sorted { prompts[$0].lexicographicallyPrecedes(prompts[$1]) }
        var chunks: [[Int]] = []
        var current: [Int] = [], currentShared = Int.max, longest = 0
        for index in order {
            let p = prompts[index]
            if let previous = current.last {
                let common = Self.commonPrefixLength([prompts[previous], p])
                let next = max(longest, p.count)
                let fits = current.count < maxPromptsPerChunk
                    && (current.count + 1) * classes * (next + longestCandidate) * bytesPerPosition <= cacheBytes
                if fits && (current.count == 1 || common >= currentShared) {
                    current.append(index)
                    currentShared = min(currentShared, common)
                    longest = next
                    continue
                }
                chunks.append(current)
            }
            current = [index]
            currentShared = Int.max
            longest = p.count
        }
        chunks.append(current)

        return try withNoGrad {
            let context = makeContext(training: false)
            defer { finishContext(context) }
            var out = [[Double]](repeating: [Double](repeating: 0, count: classes), count: prompts.count)
            for chunk in chunks {
                let members = chunk.map { prompts[$0] }
                // Every prompt keeps at least one token after the shared prefix: its last hidden state
                // predicts the candidates' first tokens.
                let shared = min(Self.commonPrefixLength(members), (members.map(\.count).min() ?? 1) - 1)
                let prefix = try KVCache(config: config, batchSize: 1, capacity: max(1, shared), padding: [0])
                if shared > 0 {
                    _ = try hiddenStates(Array(members[0][..<shared]), batch: 1, length: shared, positions: Array(0..<shared),
                                         keyMask: nil, cache: prefix, context)
                    prefix.advance(by: shared)
                }
                let scores = try scoreChunk(prompts: members, shared: shared, prefix: prefix, candidates: candidates, context: context)
                for (k, index) in chunk.enumerated() { out[index] = scores[k] }
            }
            return out
        }
    }

    /// One chunk of `scoreCandidates`: the prompts' rests after the shared prefix, then the candidates.
    private func scoreChunk(prompts: [[Int]], shared: Int, prefix: KVCache, candidates: [[Int]],
                            context: ForwardContext) throws -> [[Double]] {
        let b = prompts.count, classes = candidates.count
        var out = [[Double]](repeating: [Double](repeating: 0, count: classes), count: b)
        let rests = prompts.map { Array($0[shared...]) }
        let r = rests.map(\.count).max() ?? 1
        // Pass 1: each prompt's rest, right-padded (causal attention never reads the padding), on a copy of the prefix.
        let cache = try prefix.replicated(rows: [Int](repeating: 0, count: b), capacity: shared + r)
        var ids = [Int](repeating: 0, count: b * r), positions: [Int] = []
        for (i, rest) in rests.enumerated() {
            for (j, t) in rest.enumerated() { ids[i * r + j] = t }
            positions += Array(shared..<(shared + r))
        }
        let hidden = try hiddenStates(ids, batch: b, length: r, positions: positions, keyMask: nil, cache: cache, context)
        cache.advance(by: r)
        var lastRows: [Int] = [], firstTargets: [Int] = []
        for i in 0..<b {
            for y in candidates {
                lastRows.append(i * r + rests[i].count - 1)
                firstTargets.append(y[0])
            }
        }
        let last = try hidden.reshaped([b * r, config.width]).embedding(lastRows, shape: [b * classes])     // [B·C, width]
        let first = try last.linear(weight: outputWeight).logSoftmax(gathering: firstTargets).scalars      // [B·C]
        for i in 0..<b { for c in 0..<classes { out[i][c] = Double(first[i * classes + c]) } }

        // Pass 2: the rest of every candidate after its prompt, read from the cache left-aligned.
        let pairs = (0..<b).flatMap { i in (0..<classes).map { (row: i, label: $0) } }.filter { candidates[$0.label].count > 1 }
        guard !pairs.isEmpty else { return out }
        let tails = try continuationTailLogLikelihoods(after: pairs.map { ($0.row, prompts[$0.row].count) }, in: cache,
                                                       continuations: pairs.map { candidates[$0.label] }, context)
        for (pair, tail) in zip(pairs, tails) { out[pair.row][pair.label] += tail }
        return out
    }

    /// The number of leading tokens that every row shares.
    static func commonPrefixLength(_ rows: [[Int]]) -> Int {
        guard var length = rows.first?.count else { return 0 }
        for row in rows.dropFirst() {
            length = min(length, row.count)
            var j = 0
            while j < length && row[j] == rows[0][j] { j += 1 }
            length = j
            if length == 0 { break }
        }
        return length
    }
}
