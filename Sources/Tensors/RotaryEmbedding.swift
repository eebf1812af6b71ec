import Glibc

/// Rotary position embedding (RoPE): rotates pairs of channels of each head by an angle
/// proportional to the token's position, θ_i = position · inverseFrequency_i.
///
/// Two pairing conventions exist and both are common:
/// - `.halfSplit` (Hugging Face Llama / GPT-NeoX, `rotate_half`): channel i pairs with i + D/2.
/// - `.adjacentPairs` (the original RoFormer, GPT-J, Meta's Llama reference and llama.cpp's
///   "normal" mode that reads GGUF Llama weights): channel 2i pairs with 2i + 1.
/// A model must use the convention its checkpoint's q/k weights were laid out for: converting
/// HF weights to GGUF permutes q/k rows so that `.adjacentPairs` gives the same result.
///
/// cos/sin tables are computed once (in Double) for `maxPositions` positions.
public struct RotaryEmbedding: Sendable {
    public enum Convention: Sendable {
        case halfSplit
        case adjacentPairs
    }

    /// Channels per head that are rotated (the head dimension, even).
    public let dimension: Int
    public let maxPositions: Int
    public let convention: Convention
    let cosTable: [Float]  // [maxPositions, dimension/2]
    let sinTable: [Float]

    /// Frequencies base^(−2i/dimension), i < dimension/2 (base 10000 in Llama 2, 100000 in SmolLM2).
    public init(dimension: Int, base: Float = 10000, maxPositions: Int, convention: Convention) throws {
        guard dimension > 0, dimension % 2 == 0 else {
            throw TensorError("RotaryEmbedding", "dimension must be positive and even, got \(dimension)")
        }
        let inv = (0..<(dimension / 2)).map { Float(Glibc.pow(Double(base), -2 * Double($0) / Double(dimension))) }
        try self.init(inverseFrequencies: inv, maxPositions: maxPositions, convention: convention)
    }

    /// Custom frequencies (e.g. a model's rope-scaling rule applied by the caller); dimension = 2·count.
    public init(inverseFrequencies: [Float], maxPositions: Int, convention: Convention) throws {
        guard !inverseFrequencies.isEmpty, maxPositions > 0 else {
            throw TensorError("RotaryEmbedding", "needs frequencies and maxPositions > 0")
        }
        let half = inverseFrequencies.count
        dimension = 2 * half
        self.maxPositions = maxPositions
        self.convention = convention
        var c = [Float](repeating: 0, count: maxPositions * half), s = c
        for p in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(p) * Double(inverseFrequencies[i])
                c[p * half + i] = Float(Glibc.cos(angle))
                s[p * half + i] = Float(Glibc.sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates x [B, T, H, D] where token t of batch row b is at `positions[t]` (count T, shared by
    /// all rows) or `positions[b·T + t]` (count B·T, e.g. for left-padded rows).
    public func callAsFunction(_ x: Tensor, positions: [Int]) throws -> Tensor {
        guard x.rank == 4, x.shape[3] == dimension else {
            throw TensorError("rope", "input must be [B, T, H, \(dimension)], got \(x.shape)")
        }
        let (b, t) = (x.shape[0], x.shape[1])
        guard positions.count == t || positions.count == b * t else {
            throw TensorError("rope", "\(positions.count) positions given for input \(x.shape) (need T = \(t) or B·T = \(b * t))")
        }
        if let bad = positions.first(where: { $0 < 0 || $0 >= maxPositions }) {
            throw TensorError("rope", "position \(bad) is outside 0..<\(maxPositions)")
        }
        let out = rotate(x, positions, inverse: false)
        return Tensor.record(out, "rope", [x]) { g in [self.rotate(g, positions, inverse: true)] }
    }

    /// Rotates x [B, T, H, D] with positions start, start+1, ... (the usual case; KV-cache decoding
    /// passes the number of cached tokens as `start`).
    public func callAsFunction(_ x: Tensor, start: Int = 0) throws -> Tensor {
        guard x.rank == 4 else { throw TensorError("rope", "input must be [B, T, H, \(dimension)], got \(x.shape)") }
        return try callAsFunction(x, positions: Array(start..<(start + x.shape[1])))
    }

    /// The rotation by +θ (forward) or −θ (its transpose, for the gradient).
    func rotate(_ x: Tensor, _ positions: [Int], inverse: Bool) -> Tensor {
        // Heads split from a fused q/k/v projection arrive as strided views: read them in place.
        let src = x.strides[3] == 1 ? x : x.contiguous()
        let (s0, s1, s2) = (src.strides[0], src.strides[1], src.strides[2])
        let (b, t, h, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let half = d / 2
        let out = Tensor(uninitializedShape: x.shape)
        let sign: Float = inverse ? -1 : 1
        let perRow = positions.count != t  // else one position list shared by every row
        let convention = convention
        guard out.count > 0 else { return out }
        cosTable.withUnsafeBufferPointer { cosT in
            sinTable.withUnsafeBufferPointer { sinT in
                positions.withUnsafeBufferPointer { ps in
                    guard let pc = cosT.baseAddress, let psn = sinT.baseAddress, let pp = ps.baseAddress else { return }
                    let box = UncheckedSendable((src.pointer, out.pointer, pc, psn, pp))
                    // Token rows are independent: split them across the kernel threads.
                    parallelChunks(b * t, work: x.count * 2) { range in
                        let (px, po, pc, psn, pp) = box.value
                        for row in range {
                            let (bi, ti) = (row / t, row % t)
                            let pos = pp[perRow ? row : ti]
                            let cp = pc + pos * half, sp = psn + pos * half
                            for hi in 0..<h {
                                let xs = px + bi * s0 + ti * s1 + hi * s2, o = po + (row * h + hi) * d
                                switch convention {
                                case .halfSplit:
                                    for i in 0..<half {
                                        let x1 = xs[i], x2 = xs[i + half], c = cp[i], s = sign * sp[i]
                                        o[i] = x1 * c - x2 * s
                                        o[i + half] = x1 * s + x2 * c
                                    }
                                case .adjacentPairs:
                                    for i in 0..<half {
                                        let x1 = xs[2 * i], x2 = xs[2 * i + 1], c = cp[i], s = sign * sp[i]
                                        o[2 * i] = x1 * c - x2 * s
                                        o[2 * i + 1] = x1 * s + x2 * c
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(src) {}
        return out
    }
}
