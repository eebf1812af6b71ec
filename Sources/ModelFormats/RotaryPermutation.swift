/// The row order of Llama q and k projections in GGUF files, and the conversion to Hugging Face's order.
///
/// Hugging Face Llama checkpoints apply RoPE with `rotate_half`: within each head of `d` rows, row `i`
/// (0 ≤ i < d/2) is paired with row `i + d/2`. llama.cpp rotates adjacent pairs (2i, 2i+1) instead, so
/// `convert_hf_to_gguf.py` permutes the rows of `attn_q.weight` and `attn_k.weight` when it writes the file:
///
///     gguf_row[h·d + 2i + j] = hf_row[h·d + j·d/2 + i]      for head h, 0 ≤ i < d/2, j ∈ {0, 1}
///
/// (numpy: `w.reshape(heads, 2, d/2, in).swapaxes(1, 2).reshape(out, in)`, with `heads` the key/value head
/// count for k). So a GGUF q/k matrix used as stored must be paired with *adjacent-pair* RoPE; un-permuted
/// with `toHuggingFaceOrder`, it pairs with `rotate_half` RoPE exactly as transformers does. Both give the
/// same logits; mixing them is off by whole units. Only q and k are permuted: v, o and the MLP are not.
public enum RotaryPermutation {
    /// GGUF (adjacent-pair) row order → Hugging Face (half-split) row order, for a row-major
    /// [heads·headDim, columns] matrix. Returns a new array.
    public static func toHuggingFaceOrder(_ weights: [Float], heads: Int, headDimension: Int, columns: Int) -> [Float] {
        permute(weights, heads: heads, headDimension: headDimension, columns: columns, toHF: true)
    }

    /// Hugging Face (half-split) row order → GGUF (adjacent-pair) row order; the inverse of `toHuggingFaceOrder`.
    public static func toGGUFOrder(_ weights: [Float], heads: Int, headDimension: Int, columns: Int) -> [Float] {
        permute(weights, heads: heads, headDimension: headDimension, columns: columns, toHF: false)
    }

    /// The Hugging Face row that GGUF row `row` (within a head) holds: 2i + j ↦ j·d/2 + i.
    public static func huggingFaceRow(ofGGUFRow row: Int, headDimension d: Int) -> Int {
        (row % 2) * (d / 2) + row / 2
    }

    private static func permute(_ weights: [Float], heads: Int, headDimension d: Int, columns: Int, toHF: Bool) -> [Float] {
        precondition(weights.count == heads * d * columns && d % 2 == 0, "RotaryPermutation: shape mismatch")
        var out = [Float](repeating: 0, count: weights.count)
        weights.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for h in 0..<heads {
                    for ggufRow in 0..<d {
                        let hfRow = huggingFaceRow(ofGGUFRow: ggufRow, headDimension: d)
                        let (from, to) = toHF ? (ggufRow, hfRow) : (hfRow, ggufRow)
                        let s = (h * d + from) * columns, t = (h * d + to) * columns
                        for c in 0..<columns { dst[t + c] = src[s + c] }
                    }
                }
            }
        }
        return out
    }
}
