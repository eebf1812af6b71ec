import Foundation
import Tokenizers

/// A complete, loadable Llama-family GGUF file of a few dozen kilobytes: the seed the GGUF fuzz
/// target mutates. Every part the reader and loader check is present: hyperparameters, a
/// byte-level BPE tokenizer (256 byte tokens, two merges, one control token) and weights in
/// three tensor types (Q8_0 embedding, F16 MLP, F32 attention and norms), with the output
/// head tied to the embedding.
public enum TinyGGUFModel {
    static let width = 32, heads = 2, keyValueHeads = 1, feedForward = 64, layers = 1

    public static func bytes(seed: UInt64 = 1) -> [UInt8] {
        var rng = FuzzRandom(seed: seed)
        func normal(_ n: Int, scale: Float = 0.2) -> [Float] {
            (0..<n).map { _ in (Float(rng.below(2001)) / 1000 - 1) * scale }
        }
        let byteTokens = ByteLevelAlphabet.characterForByte.map { String(Character($0)) }
        let g = String(Character(ByteLevelAlphabet.characterForByte[Int(UInt8(ascii: " "))]))
        let tokens = byteTokens + [g + "t", "he", g + "the", "<|end|>"]
        let merges = [g + " t", "h e", g + "t he"]
        let types: [Int32] = Array(repeating: 1, count: tokens.count - 1) + [3]
        let vocabulary = tokens.count
        let d = width / heads

        var w = GGUFBytes()
        var tensors: [(name: String, dims: [UInt64], type: UInt32, data: [UInt8])] = []
        func f32(_ name: String, _ dims: [Int], _ values: [Float]) {
            tensors.append((name, dims.map(UInt64.init), 0, values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }))
        }
        func f16(_ name: String, _ dims: [Int], _ values: [Float]) {
            tensors.append((name, dims.map(UInt64.init), 1, values.flatMap { v in withUnsafeBytes(of: Float16(v).bitPattern.littleEndian, Array.init) }))
        }
        func q8(_ name: String, _ dims: [Int], _ values: [Float]) {
            var data: [UInt8] = []
            for block in stride(from: 0, to: values.count, by: 32) {
                let chunk = values[block..<(block + 32)]
                let scale = max(chunk.map(abs).max() ?? 0, 1e-6) / 127
                data += withUnsafeBytes(of: Float16(scale).bitPattern.littleEndian, Array.init)
                data += chunk.map { UInt8(bitPattern: Int8(clamping: Int(($0 / scale).rounded()))) }
            }
            tensors.append((name, dims.map(UInt64.init), 8, data))
        }
        // GGUF dimensions are fastest first: a [out, in] matrix is stored as [in, out].
        q8("token_embd.weight", [width, vocabulary], normal(width * vocabulary))
        f32("output_norm.weight", [width], normal(width, scale: 0.1).map { 1 + $0 })
        for i in 0..<layers {
            let p = "blk.\(i)."
            f32(p + "attn_norm.weight", [width], normal(width, scale: 0.1).map { 1 + $0 })
            f32(p + "attn_q.weight", [width, heads * d], normal(width * heads * d))
            f32(p + "attn_k.weight", [width, keyValueHeads * d], normal(width * keyValueHeads * d))
            f32(p + "attn_v.weight", [width, keyValueHeads * d], normal(width * keyValueHeads * d))
            f32(p + "attn_output.weight", [heads * d, width], normal(width * heads * d))
            f32(p + "ffn_norm.weight", [width], normal(width, scale: 0.1).map { 1 + $0 })
            f16(p + "ffn_gate.weight", [width, feedForward], normal(width * feedForward))
            f16(p + "ffn_up.weight", [width, feedForward], normal(width * feedForward))
            f16(p + "ffn_down.weight", [feedForward, width], normal(width * feedForward))
        }

        let metadata: [(String, (inout GGUFBytes) -> Void)] = [
            ("general.architecture", { $0.string("llama") }),
            ("general.alignment", { $0.u32(32) }),
            ("llama.block_count", { $0.u32(UInt32(layers)) }),
            ("llama.context_length", { $0.u32(256) }),
            ("llama.embedding_length", { $0.u32(UInt32(width)) }),
            ("llama.feed_forward_length", { $0.u32(UInt32(feedForward)) }),
            ("llama.attention.head_count", { $0.u32(UInt32(heads)) }),
            ("llama.attention.head_count_kv", { $0.u32(UInt32(keyValueHeads)) }),
            ("llama.rope.freq_base", { $0.f32(10_000) }),
            ("llama.attention.layer_norm_rms_epsilon", { $0.f32(1e-5) }),
            ("tokenizer.ggml.model", { $0.string("gpt2") }),
            ("tokenizer.ggml.pre", { $0.string("gpt-2") }),
            ("tokenizer.ggml.tokens", { $0.stringArray(tokens) }),
            ("tokenizer.ggml.token_type", { $0.int32Array(types) }),
            ("tokenizer.ggml.merges", { $0.stringArray(merges) }),
            ("tokenizer.ggml.bos_token_id", { $0.u32(UInt32(vocabulary - 1)) }),
            ("tokenizer.ggml.eos_token_id", { $0.u32(UInt32(vocabulary - 1)) }),
        ]
        w.u32(0x4655_4747); w.u32(3); w.u64(UInt64(tensors.count)); w.u64(UInt64(metadata.count))
        let typeCodes: [String: UInt32] = ["general.architecture": 8, "tokenizer.ggml.model": 8, "tokenizer.ggml.pre": 8,
                                           "llama.rope.freq_base": 6, "llama.attention.layer_norm_rms_epsilon": 6,
                                           "tokenizer.ggml.tokens": 9, "tokenizer.ggml.token_type": 9, "tokenizer.ggml.merges": 9]
        for (key, write) in metadata {
            w.string(key)
            w.u32(typeCodes[key] ?? 4)
            write(&w)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + 31) / 32 * 32
        }
        for (t, o) in zip(tensors, offsets) {
            w.string(t.name); w.u32(UInt32(t.dims.count))
            for d in t.dims { w.u64(d) }
            w.u32(t.type); w.u64(UInt64(o))
        }
        w.pad(to: 32)
        for t in tensors {
            w.bytes += t.data
            w.pad(to: 32)
        }
        return w.bytes
    }
}

/// Little-endian GGUF encoding of the values `TinyGGUFModel` writes.
struct GGUFBytes {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func stringArray(_ items: [String]) { u32(8); u64(UInt64(items.count)); for s in items { string(s) } }
    mutating func int32Array(_ items: [Int32]) { u32(5); u64(UInt64(items.count)); for v in items { u32(UInt32(bitPattern: v)) } }
    mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
}
