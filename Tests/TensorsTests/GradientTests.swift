import XCTest
@testable import Tensors

/// A finite-difference gradient check for every differentiable operation, on several shapes,
/// with broadcasting and with non-contiguous (transposed / sliced) inputs.
final class GradientTests: XCTestCase {
    // MARK: Views

    func testReshapePermuteTransposeSliceSelect() throws {
        let x = randomTensor([2, 3, 4], seed: 1)
        try checkGradients("reshape", [x]) { try $0[0].reshaped([4, -1]) }
        try checkGradients("permute", [x]) { try $0[0].permuted([2, 0, 1]) }
        try checkGradients("transpose", [x]) { try $0[0].transposed(0, 2) }
        try checkGradients("slice", [x]) { try $0[0].slice(axis: 1, 1..<3) }
        try checkGradients("select", [x]) { try $0[0].select(axis: -1, 2) }
        try checkGradients("squeeze/unsqueeze", [x]) { try $0[0].unsqueezed(1).squeezed(1).unsqueezed(-1) }
        try checkGradients("reshape of a transposed view", [x]) { try $0[0].transposed().reshaped([-1]) }
        try checkGradients("contiguousCopy", [x]) { try $0[0].transposed().contiguousCopy() }
    }

    func testExpandAndConcat() throws {
        let a = randomTensor([3, 1], seed: 2), b = randomTensor([3, 2], seed: 3), c = randomTensor([2, 3], seed: 4)
        try checkGradients("expand", [a]) { try $0[0].expanded(to: [2, 3, 4]) }
        try checkGradients("concat axis 1 (with a transposed view)", [a, b, c]) {
            try Tensor.concat([$0[0], $0[1], $0[2].transposed()], axis: 1)
        }
        try checkGradients("concat axis 0", [b, c]) { try Tensor.concat([$0[0].transposed(), $0[1]], axis: 0) }
        try checkGradients("stack", [b]) { try Tensor.stack([$0[0], $0[0] * 2], axis: 1) }
    }

    // MARK: Arithmetic

    func testBinaryOperatorsWithBroadcasting() throws {
        let shapes: [([Int], [Int])] = [([3, 4], [3, 4]), ([3, 4], [4]), ([3, 4], [3, 1]), ([2, 1, 4], [3, 1]), ([], [2, 3])]
        for (i, (sa, sb)) in shapes.enumerated() {
            let a = randomTensor(sa, seed: UInt64(10 + i)), b = randomTensor(sb, seed: UInt64(20 + i), low: 0.5, high: 2)
            try checkGradients("add \(sa) \(sb)", [a, b]) { try $0[0] + $0[1] }
            try checkGradients("subtract \(sa) \(sb)", [a, b]) { try $0[0] - $0[1] }
            try checkGradients("multiply \(sa) \(sb)", [a, b]) { try $0[0] * $0[1] }
            try checkGradients("divide \(sa) \(sb)", [a, b]) { try $0[0] / $0[1] }
        }
        // Non-contiguous operands: a transposed view and a strided slice.
        let a = randomTensor([4, 3], seed: 30), b = randomTensor([3, 8], seed: 31, low: 0.5, high: 2)
        try checkGradients("multiply views", [a, b]) { try $0[0].transposed() * $0[1].slice(axis: 1, 2..<6) }
        try checkGradients("divide views", [a, b]) { try $0[0].transposed() / $0[1].slice(axis: 1, 0..<4) }
    }

    func testScalarOperators() throws {
        let x = randomTensor([3, 5], seed: 40, low: 0.5, high: 2)
        try checkGradients("scalar ops", [x]) { xs in
            let t = (xs[0] * 3 + 1) - 2
            return try (2 - t) / 4 + 0.5 * (-xs[0])
        }
        try checkGradients("scalar / tensor", [x]) { 3 / (try $0[0].transposed()) }
    }

    // MARK: Elementwise functions

    func testUnaryFunctions() throws {
        let x = randomTensor([4, 5], seed: 50, low: -2, high: 2)
        let positive = randomTensor([5, 4], seed: 51, low: 0.5, high: 2)
        try checkGradients("exp", [x]) { $0[0].exp() }
        try checkGradients("tanh", [x]) { $0[0].tanh() }
        try checkGradients("sigmoid", [x]) { $0[0].sigmoid() }
        try checkGradients("silu", [x]) { $0[0].silu() }
        try checkGradients("gelu", [x]) { $0[0].gelu() }
        try checkGradients("pow 2", [x]) { $0[0].pow(2) }
        try checkGradients("log (transposed view)", [positive]) { try $0[0].transposed().log() }
        try checkGradients("sqrt", [positive]) { $0[0].sqrt() }
        try checkGradients("rsqrt", [positive]) { $0[0].rsqrt() }
        try checkGradients("pow 1.5", [positive]) { $0[0].pow(1.5) }
        try checkGradients("pow tensor", [positive, x]) { try $0[0].pow(try $0[1].transposed().slice(axis: 1, 0..<1)) }
        try checkGradients("abs", [x], epsilon: 1e-3) { $0[0].abs() }
        try checkGradients("clamp", [x], epsilon: 1e-3) { try $0[0].clamped(min: -0.5, max: 1) }
        XCTAssertEqual(try Tensor([-2, 0.5, 3]).clamped(min: -1, max: 1).scalars, [-1, 0.5, 1])
        // Long enough to use the SIMD body and the tail.
        let long = randomTensor([37], seed: 52, low: -3, high: 3)
        try checkGradients("gelu long", [long]) { $0[0].gelu() }
        try checkGradients("silu long", [long]) { $0[0].silu() }
    }

    // MARK: Reductions

    func testReductions() throws {
        let x = randomTensor([3, 4, 5], seed: 60)
        for axis in [0, 1, 2, -1] {
            try checkGradients("sum axis \(axis)", [x]) { try $0[0].sum(axis: axis) }
            try checkGradients("mean axis \(axis) keepDims", [x]) { try $0[0].mean(axis: axis, keepDims: true) }
            try checkGradients("logsumexp axis \(axis)", [x]) { try $0[0].logSumExp(axis: axis) }
            try checkGradients("cumsum axis \(axis)", [x]) { try $0[0].cumsum(axis: axis) }
        }
        try checkGradients("sum all", [x]) { $0[0].sum() }
        try checkGradients("mean all of a view", [x]) { try $0[0].transposed(0, 2).mean() }
        // max: well-separated values so ±ε never changes the winner.
        let spaced = try Tensor(shape: [3, 4], scalars: (0..<12).map { Float(($0 * 7) % 12) * 0.3 })
        try checkGradients("max axis 1", [spaced]) { try $0[0].max(axis: 1) }
        try checkGradients("max axis 0 (view)", [spaced]) { try $0[0].transposed().max(axis: 1, keepDims: true) }
    }

    func testSoftmaxAndLogSoftmax() throws {
        let x = randomTensor([3, 7], seed: 70, low: -2, high: 2)
        try checkGradients("softmax", [x]) { try $0[0].softmax() }
        try checkGradients("logSoftmax", [x]) { try $0[0].logSoftmax() }
        try checkGradients("softmax axis 0 of a view", [x]) { try $0[0].transposed().softmax(axis: 0) }
        try checkGradients("logSoftmax axis 0", [x]) { try $0[0].logSoftmax(axis: 0) }
        let wide = randomTensor([2, 40], seed: 71, low: -2, high: 2)
        try checkGradients("softmax wide", [wide]) { try $0[0].softmax() }
    }

    // MARK: Matmul

    func testMatmul2DWithTransposes() throws {
        let a = randomTensor([3, 4], seed: 80), b = randomTensor([4, 5], seed: 81)
        let at = randomTensor([4, 3], seed: 82), bt = randomTensor([5, 4], seed: 83)
        try checkGradients("matmul", [a, b]) { try Tensor.matmul($0[0], $0[1]) }
        try checkGradients("matmul transposeA", [at, b]) { try Tensor.matmul($0[0], $0[1], transposeA: true) }
        try checkGradients("matmul transposeB", [a, bt]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        try checkGradients("matmul both", [at, bt]) { try Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        try checkGradients("matmul transposed views", [at, bt]) { try Tensor.matmul($0[0].transposed(), $0[1].transposed()) }
        try checkGradients("matmul sliced view", [a, bt]) { try Tensor.matmul($0[0].slice(axis: 1, 1..<3), $0[1].slice(axis: 1, 0..<2), transposeB: true) }
    }

    func testMatmulBatched() throws {
        let a = randomTensor([2, 3, 4], seed: 90), b = randomTensor([2, 4, 5], seed: 91)
        let w = randomTensor([5, 4], seed: 92), shared = randomTensor([1, 4, 2], seed: 93)
        try checkGradients("batched", [a, b]) { try Tensor.matmul($0[0], $0[1]) }
        try checkGradients("batched × 2-D weight (folded)", [a, w]) { try Tensor.matmul($0[0], $0[1], transposeB: true) }
        try checkGradients("batched × 2-D weight, no transpose", [a, w]) { try Tensor.matmul($0[0], $0[1].transposed()) }
        try checkGradients("batched broadcast [1,..]", [a, shared]) { try Tensor.matmul($0[0], $0[1]) }
        try checkGradients("batched transposeA", [a, b]) { try Tensor.matmul($0[0], $0[0], transposeA: true) }
        let e = randomTensor([4, 3, 5], seed: 96)
        try checkGradients("batched permuted views", [a, e]) {
            try Tensor.matmul($0[0].permuted([1, 0, 2]), $0[1].permuted([1, 0, 2]).slice(axis: 2, 1..<4))
        }
        let c = randomTensor([3, 4, 2], seed: 94), d = randomTensor([2, 2, 3], seed: 95)
        try checkGradients("4-D broadcast batch", [c, d]) { try Tensor.matmul($0[0].unsqueezed(0), $0[1].unsqueezed(1)) }
    }

    // MARK: Normalization

    func testLayerNormAndRMSNorm() throws {
        let x = randomTensor([2, 3, 6], seed: 100, low: -2, high: 2)
        let w = randomTensor([6], seed: 101, low: 0.5, high: 1.5), b = randomTensor([6], seed: 102)
        try checkGradients("layerNorm", [x, w, b]) { try $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        try checkGradients("layerNorm no affine (view)", [x]) { try $0[0].transposed(0, 1).layerNorm(weight: nil, bias: nil) }
        try checkGradients("rmsNorm", [x, w]) { try $0[0].rmsNorm(weight: $0[1]) }
        try checkGradients("rmsNorm no weight (view)", [x]) { try $0[0].permuted([1, 0, 2]).rmsNorm(weight: nil) }
    }

    // MARK: Indexing

    func testEmbeddingGatherWhere() throws {
        let table = randomTensor([5, 3], seed: 110)
        try checkGradients("embedding (repeated ids)", [table]) { try $0[0].embedding([1, 4, 1, 0, 2, 1], shape: [2, 3]) }
        let x = randomTensor([2, 3, 4], seed: 111)
        try checkGradients("gather k=1", [x]) { try $0[0].gather(lastAxis: [0, 3, 2, 1, 1, 0]) }
        try checkGradients("gather k=2 (view)", [x]) { try $0[0].transposed(1, 2).gather(lastAxis: (0..<16).map { $0 % 3 }) }
        let cond = try Tensor(shape: [3, 1], scalars: [1, 0, 1])
        let a = randomTensor([3, 4], seed: 112), b = randomTensor([4], seed: 113)
        try checkGradients("where", [a, b]) { try Tensor.where(cond, $0[0], $0[1]) }
        try checkGradients("maskedFill", [a]) { try $0[0].maskedFill(cond, value: -5) }
    }

    // MARK: Rotary embedding

    func testRotaryEmbeddingBothConventions() throws {
        let x = randomTensor([2, 3, 2, 4], seed: 120)
        for convention in [RotaryEmbedding.Convention.halfSplit, .adjacentPairs] {
            let rope = try RotaryEmbedding(dimension: 4, base: 100, maxPositions: 16, convention: convention)
            try checkGradients("rope \(convention)", [x]) { try rope($0[0], start: 3) }
            try checkGradients("rope \(convention) per-row positions (view)", [x]) {
                try rope($0[0].permuted([0, 2, 1, 3]), positions: [0, 5, 2, 7])
            }
        }
    }

    // MARK: Attention

    func testAttentionGroupedHeadsCausalAndMasked() throws {
        // B 2, T 3, Hq 4, Hkv 2, D 3.
        let q = randomTensor([2, 3, 4, 3], seed: 130), k = randomTensor([2, 3, 2, 3], seed: 131)
        let v = randomTensor([2, 3, 2, 3], seed: 132)
        try checkGradients("attention causal GQA", [q, k, v]) { try Tensor.attention(query: $0[0], key: $0[1], value: $0[2]) }
        try checkGradients("attention non-causal", [q, k, v]) { try Tensor.attention(query: $0[0], key: $0[1], value: $0[2], causal: false) }
        let pad = try Tensor.keyPaddingMask(lengths: [3, 2], keyLength: 3)
        try checkGradients("attention key padding", [q, k, v]) { try Tensor.attention(query: $0[0], key: $0[1], value: $0[2], mask: pad) }
        // A KV-cache step: 1 query over 4 keys, keys as a slice of a longer cache.
        let q1 = randomTensor([2, 1, 4, 3], seed: 133), cache = randomTensor([2, 6, 2, 3], seed: 134)
        try checkGradients("attention cached keys (views)", [q1, cache]) {
            try Tensor.attention(query: $0[0], key: $0[1].slice(axis: 1, 0..<4), value: $0[1].slice(axis: 1, 2..<6))
        }
        // q/k/v as slices of one fused projection [B, T, 3·H, D].
        let fused = randomTensor([2, 3, 6, 3], seed: 135)
        try checkGradients("attention fused qkv slices", [fused]) {
            try Tensor.attention(query: $0[0].slice(axis: 2, 0..<2), key: $0[0].slice(axis: 2, 2..<4),
                                 value: $0[0].slice(axis: 2, 4..<6), scale: 0.7)
        }
    }

    // MARK: Loss

    func testCrossEntropy() throws {
        let logits = randomTensor([4, 6], seed: 140, low: -2, high: 2)
        try checkGradients("crossEntropy mean", [logits]) { try $0[0].crossEntropy(targets: [0, 5, 3, 3]) }
        try checkGradients("crossEntropy ignore", [logits]) { try $0[0].crossEntropy(targets: [0, -100, 3, 2], ignoreIndex: -100) }
        try checkGradients("crossEntropy sum", [logits]) { try $0[0].crossEntropy(targets: [1, 1, 2, 4], reduction: .sum) }
        try checkGradients("crossEntropy none (view)", [logits]) {
            try $0[0].transposed().slice(axis: 0, 0..<4).transposed().crossEntropy(targets: [1, 0, 2, 3], reduction: .none)
        }
    }

    /// A small composite (an MLP block) exercising many ops together.
    func testMLPBlock() throws {
        let x = randomTensor([2, 3, 4], seed: 150), w1 = randomTensor([8, 4], seed: 151), w2 = randomTensor([4, 8], seed: 152)
        let g = randomTensor([4], seed: 153, low: 0.5, high: 1.5)
        try checkGradients("rmsnorm → linear → silu → linear → residual", [x, w1, w2, g]) { p in
            let h = try p[0].rmsNorm(weight: p[3])
            let up = try Tensor.matmul(h, p[1], transposeB: true).silu()
            return try p[0] + Tensor.matmul(up, p[2], transposeB: true)
        }
    }
}
