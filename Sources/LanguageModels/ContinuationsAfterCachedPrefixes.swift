import Tensors

extension Transformer {
    /// Σ_{j≥1} log p(y_j | prefix, y_{<j}) for each (prefix, y): row i reads its prefix, the first
    /// `prefixes[i].length` positions of `cache`'s row `prefixes[i].row`, from a left-aligned copy of the
    /// cache and feeds y's tokens but the last. y_0 is not scored: the callers predict it from the
    /// prefix's own last hidden state. Rows whose y has a single token score 0. No graph.
    func continuationTailLogLikelihoods(after prefixes: [(row: Int, length: Int)], in cache: KVCache,
                                        continuations: [[Int]], _ context: ForwardContext) throws -> [Double] {
        let m = (continuations.map(\.count).max() ?? 1) - 1     // y's last token is never fed
        guard m > 0 else { return [Double](repeating: 0, count: continuations.count) }
        let branch = try cache.leftAligned(prefixes: prefixes, extraCapacity: m)
        var ids: [Int] = [], positions: [Int] = [], targets: [Int] = []
        for (i, y) in continuations.enumerated() {
            for j in 0..<m {
                ids.append(j < y.count - 1 ? y[j] : y[y.count - 1])
                positions.append(prefixes[i].length + j)
                targets.append(j + 1 < y.count ? y[j + 1] : 0)
            }
        }
        let mask = try branch.keyMask(newTokens: m)
        let h = try hiddenStates(ids, batch: continuations.count, length: m, positions: positions, keyMask: mask, cache: branch, context)
        let lp = try h.logSoftmax(linear: outputWeight, bias: nil, gathering: targets).scalars              // [rows·M]
        return continuations.enumerated().map { i, y in
            (0..<max(0, y.count - 1)).reduce(0.0) { $0 + Double(lp[i * m + $1]) }
        }
    }
}
