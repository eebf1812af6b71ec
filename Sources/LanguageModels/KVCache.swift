import Tensors

/// Keys and values of the tokens seen so far, per layer, preallocated for `capacity` positions so
/// that decoding appends in place and attention reads a prefix view (no copy, no reallocation).
///
/// Rows may be left-padded (prompts of different lengths): `padding[b]` positions at the start of row
/// b hold no token and are hidden from attention by a key mask. Every row advances together; a row
/// that is fed fewer tokens than another in one block (environment insertions of different lengths)
/// gets `holes`, positions that hold no token and are masked like padding. The model position of a
/// row's token is the number of real tokens before it.
public final class KVCache: @unchecked Sendable {
    /// Per layer [B, capacity, Hkv, D].
    let keys: [Tensor]
    let values: [Tensor]
    /// Rows in use (`keepRows` drops finished ones; the storage keeps its first size).
    public private(set) var batchSize: Int
    public let capacity: Int
    /// Positions filled so far (the same for every row).
    public internal(set) var length = 0
    /// Left padding of each row.
    public private(set) var padding: [Int]
    /// Cache positions after the padding that hold no token, per row (increasing).
    public private(set) var holes: [[Int]]

    init(config: ModelConfig, batchSize: Int, capacity: Int, padding: [Int]) throws {
        let shape = [batchSize, capacity, config.keyValueHeadCount, config.headDimension]
        keys = try (0..<config.layerCount).map { _ in try Tensor.zeros(shape) }
        values = try (0..<config.layerCount).map { _ in try Tensor.zeros(shape) }
        self.batchSize = batchSize
        self.capacity = capacity
        self.padding = padding
        holes = Array(repeating: [], count: batchSize)
    }

    /// The model position of the next token of each row.
    var nextPositions: [Int] { padding.indices.map { length - padding[$0] - holes[$0].count } }

    /// Marks cache positions of `row` (at or after `length`, about to be written) as holding no token.
    func addHoles(row: Int, positions: Range<Int>) {
        holes[row] += Array(positions)
    }

    /// Writes k, v [B, T, Hkv, D] of `layer` at positions length..<length+T and returns the key and
    /// value views [B, length+T, Hkv, D]. `advance(by:)` moves `length` once all layers are written.
    func append(layer: Int, key: Tensor, value: Tensor) throws -> (Tensor, Tensor) {
        let t = key.shape[1]
        guard length + t <= capacity else {
            throw LanguageModelError("KV cache", "\(length + t) positions exceed the cache's capacity of \(capacity)")
        }
        let (k, v) = try (rows(keys[layer]), rows(values[layer]))
        try k.assign(key, axis: 1, at: length)
        try v.assign(value, axis: 1, at: length)
        return (try k.slice(axis: 1, 0..<(length + t)), try v.slice(axis: 1, 0..<(length + t)))
    }

    /// The rows in use of a layer's storage [allocated, capacity, Hkv, D] (a view).
    private func rows(_ storage: Tensor) throws -> Tensor {
        storage.shape[0] == batchSize ? storage : try storage.slice(axis: 0, 0..<batchSize)
    }

    /// Keeps only `rows` (increasing indices of rows in use), moved down in place to rows 0..<rows.count,
    /// so that decoding stops paying for rows that have finished.
    func keepRows(_ rows: [Int]) throws {
        guard rows != Array(0..<batchSize) else { return }
        guard zip(rows, rows.dropFirst()).allSatisfy({ $0 < $1 }), rows.allSatisfy({ $0 >= 0 && $0 < batchSize }) else {
            throw LanguageModelError("KV cache", "rows to keep \(rows) must be increasing indices below \(batchSize)")
        }
        let rowFloats = (keys.first?.shape).map { $0[2] * $0[3] } ?? 0
        for tensor in keys + values {
            try tensor.withUnsafeMutableBufferPointer { p in
                for (i, r) in rows.enumerated() where i != r {
                    let base = p.baseAddress!
                    (base + i * capacity * rowFloats).update(from: base + r * capacity * rowFloats, count: length * rowFloats)
                }
            }
        }
        padding = rows.map { padding[$0] }
        holes = rows.map { holes[$0] }
        batchSize = rows.count
    }

    func advance(by count: Int) { length += count }

    /// The additive key mask [B, 1, 1, S] hiding each row's left padding and holes, for
    /// S = length + newTokens keys; nil when no row has either.
    func keyMask(newTokens: Int) throws -> Tensor? {
        guard padding.contains(where: { $0 > 0 }) || holes.contains(where: { !$0.isEmpty }) else { return nil }
        let s = length + newTokens
        var m = [Float](repeating: 0, count: batchSize * s)
        for (b, p) in padding.enumerated() {
            for j in 0..<min(p, s) { m[b * s + j] = -.infinity }
            for j in holes[b] where j < s { m[b * s + j] = -.infinity }
        }
        return try Tensor(shape: [batchSize, 1, 1, s], scalars: m)
    }

    /// A new cache whose row i is a copy of this cache's row `rows[i]` (the shared-prefix cache:
    /// prefill a prompt once, then decode k samples from copies of it). Extra capacity may be added.
    func replicated(rows: [Int], capacity newCapacity: Int? = nil) throws -> KVCache {
        let cap = max(newCapacity ?? capacity, length)
        let config = (keys.first?.shape).map { ($0[2], $0[3]) } ?? (1, 1)
        let out = try KVCache(layers: keys.count, heads: config.0, headDimension: config.1, batchSize: rows.count,
                              capacity: cap, padding: rows.map { padding[$0] })
        out.length = length
        out.holes = rows.map { holes[$0] }
        let rowFloats = config.0 * config.1
        for layer in 0..<keys.count {
            for (source, target) in [(keys[layer], out.keys[layer]), (values[layer], out.values[layer])] {
                try target.withUnsafeMutableBufferPointer { dst in
                    try source.withUnsafeMutableBufferPointer { src in
                        for (i, r) in rows.enumerated() {
                            let from = src.baseAddress! + r * capacity * rowFloats
                            let to = dst.baseAddress! + i * cap * rowFloats
                            to.update(from: from, count: length * rowFloats)
                        }
                    }
                }
            }
        }
        return out
    }

    init(layers: Int, heads: Int, headDimension: Int, batchSize: Int, capacity: Int, padding: [Int]) throws {
        let shape = [batchSize, capacity, heads, headDimension]
        keys = try (0..<layers).map { _ in try Tensor.zeros(shape) }
        values = try (0..<layers).map { _ in try Tensor.zeros(shape) }
        self.batchSize = batchSize
        self.capacity = capacity
        self.padding = padding
        holes = Array(repeating: [], count: batchSize)
    }
}
