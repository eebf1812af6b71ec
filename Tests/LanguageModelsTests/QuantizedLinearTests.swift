import CKernels
import Foundation
import ModelFormats
@testable import Tensors
import LanguageModels
import XCTest

/// Products with weights kept in GGUF blocks (Tensors' QuantizedMatrix, CKernels' quantized_gemm.c) against
/// ModelFormats' Dequantizer (itself checked against gguf-py) followed by a float64 product.
///
/// Tolerance: a float32 dot product of k terms is within γ_k·Σ|xᵢ·wᵢ| of the exact sum, γ_k = k·2⁻²⁴/(1 − k·2⁻²⁴)
/// (any summation order, FMA or not), and the dequantised weights are exact: each output is tested against
/// that bound, with the exact sum taken in float64. Block decoding is tested bit for bit (one-hot inputs).
final class QuantizedLinearTests: XCTestCase {
    typealias BlockType = QuantizedMatrix.BlockType

    /// Runs `body` on the AVX2 and the portable path, for every block type and every column count of the kernel
    /// tests (tails and several k blocks), with a random [rows, k] matrix in blocks, its bytes and its dequantised
    /// values (Dequantizer's).
    static func onEveryPathAndType(rows n: Int, _ g: inout RandomGenerator,
                                   _ body: (BlockType, Int, Bool, [UInt8], [Float], QuantizedMatrix, inout RandomGenerator) throws -> Void) throws {
        for portable in [false, true] {
            gfn_use_portable_kernels(portable ? 1 : 0)
            defer { gfn_use_portable_kernels(0) }
            for type in BlockType.allCases {
                for k in columnCounts(type) + [longColumnCount(type)] {
                    let bytes = randomBlocks(type, rows: n, columns: k, &g)
                    let dense = reference(type, bytes, count: n * k)
                    try body(type, k, portable, bytes, dense, try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes), &g)
                }
            }
        }
    }

    /// Random blocks of `type` for a [rows, columns] matrix, with finite, moderate scales.
    static func randomBlocks(_ type: BlockType, rows: Int, columns: Int, _ g: inout RandomGenerator) -> [UInt8] {
        let blocks = rows * columns / type.blockElements
        var bytes = [UInt8](repeating: 0, count: blocks * type.blockBytes)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: g.next()) }
        func putHalf(_ value: Float, at offset: Int) {
            let bits = Float16(value).bitPattern
            bytes[offset] = UInt8(bits & 0xFF)
            bytes[offset + 1] = UInt8(bits >> 8)
        }
        for b in 0..<blocks {
            let o = b * type.blockBytes
            switch type {
            case .q4_0, .q8_0: putHalf(g.uniform(-0.05, 0.05), at: o)
            case .q4_1: putHalf(g.uniform(0.001, 0.05), at: o); putHalf(g.uniform(-0.2, 0.2), at: o + 2)
            case .q6_K: putHalf(g.uniform(-0.005, 0.005), at: o + 208)
            case .f16: putHalf(g.normal(), at: o)
            case .bf16:
                let bits = g.normal().bitPattern >> 16
                bytes[o] = UInt8(bits & 0xFF)
                bytes[o + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    static func ggmlType(_ t: BlockType) -> GGMLType { GGMLType(rawValue: UInt32(t.rawValue))! }

    /// The reference dequantisation: ModelFormats' Dequantizer over the same bytes.
    static func reference(_ type: BlockType, _ bytes: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { Dequantizer.dequantize(ggmlType(type), from: src, into: $0) }
        }
        return out
    }

    /// Column counts per type: several blocks, one block, and for F16/BF16 odd lengths (tails of the 32-wide chunks).
    static func columnCounts(_ type: BlockType) -> [Int] {
        switch type {
        case .q6_K: [256, 768]
        case .f16, .bf16: [1, 7, 45, 101]
        default: [32, 96, 160]
        }
    }

    static let rowCounts = [1, 2, 3, 4, 5, 7, 16, 17, 70]

    /// Column counts with more than one of the panel kernel's k blocks (576 elements at most), the last one
    /// partial, and for F16/BF16 a tail past the last 32-element chunk.
    static func longColumnCount(_ type: BlockType) -> Int {
        switch type {
        case .q6_K: 1536
        case .f16, .bf16: 1001
        default: 1216
        }
    }

    /// Row pointers into `bytes` (row j at j · rowBytes), for calling the kernels directly.
    static func withRowPointers<R>(_ bytes: [UInt8], rows: Int, rowBytes: Int, _ body: (UnsafePointer<UnsafeRawPointer?>) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            let pointers: [UnsafeRawPointer?] = (0..<rows).map { j in raw.baseAddress.map { $0 + j * rowBytes } }
            return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    /// Whole matrices and column ranges [c0, c1) (c0 a multiple of 32, c1 one too or the row's end), on the AVX2 and the
    /// portable decoder: the values are ModelFormats' Dequantizer's, bit for bit.
    func testDequantisedBlocksEqualModelFormatsBitForBit() throws {
        for portable in [false, true] {
            gfn_use_portable_kernels(portable ? 1 : 0)
            defer { gfn_use_portable_kernels(0) }
            var g = RandomGenerator(seed: 21)
            for type in BlockType.allCases {
                for k in Self.columnCounts(type) + [Self.longColumnCount(type)] {
                    let bytes = Self.randomBlocks(type, rows: 5, columns: k, &g)
                    let w = try QuantizedMatrix(type: type, rows: 5, columns: k, copying: bytes)
                    let expected = Self.reference(type, bytes, count: 5 * k)
                    XCTAssertEqual(w.dequantized().scalars.map(\.bitPattern), expected.map(\.bitPattern), "\(type) k \(k) portable \(portable)")
                    let starts = Array(stride(from: 0, to: k, by: 32))
                    for c0 in [0, starts.count > 1 ? starts[1] : 0, starts.last ?? 0] {
                        let c1 = min(k, c0 + 96 + 5)  // the row's end, or a multiple of 32 past c0 when the row is long
                        let end = c1 == k ? k : c0 + 96
                        var out = [Float](repeating: .nan, count: 3 * (end - c0))
                        Self.withRowPointers(bytes, rows: 5, rowBytes: w.rowBytes) { rows in
                            out.withUnsafeMutableBufferPointer {
                                gfn_quant_dequantize_tile(type.rawValue, rows, 1, 4, c0, end, $0.baseAddress, end - c0)
                            }
                        }
                        let want = (1..<4).flatMap { j in expected[(j * k + c0)..<(j * k + end)] }
                        XCTAssertEqual(out.map(\.bitPattern), want.map(\.bitPattern), "\(type) k \(k) columns \(c0)..<\(end) portable \(portable)")
                    }
                }
            }
        }
    }

    /// From 5 rows of x up, x·Wᵀ with W in its blocks is the float32 path's panel kernel (gfn_gemm_nt_packed) on the
    /// dequantised W bit for bit: for every type, 5–70 rows (one to five panels, partial ones included), 37 weight rows
    /// (a partial group of 12) split across two calls at an odd place, columns with several k blocks and tails, on the
    /// AVX2 and the portable path; and through `linear(quantized:)`, equal to `matmul` with the dense weight bit for bit
    /// (up to 64 rows both use that kernel; above, the same sgemm on the weight dequantised into a scratch buffer).
    func testPanelKernelEqualsTheFloat32PanelKernelBitForBit() throws {
        var g = RandomGenerator(seed: 11)
        let n = 37
        try Self.onEveryPathAndType(rows: n, &g) { type, k, portable, bytes, dense, w, g in
            for m in [5, 8, 9, 16, 17, 40, 64, 70] {
                let xs = (0..<(m * k)).map { _ in g.normal() }
                var packed = [Float](repeating: 0, count: gfn_gemm_nt_packed_count(m, k))
                gfn_gemm_nt_pack(m, k, xs, k, &packed)
                var expected = [Float](repeating: .nan, count: m * n), got = expected
                gfn_gemm_nt_packed(m, 0, n, k, 1, packed, dense, k, &expected, n)
                Self.withRowPointers(bytes, rows: n, rowBytes: w.rowBytes) { rows in
                    got.withUnsafeMutableBufferPointer { y in
                        gfn_qgemm_nt_packed(type.rawValue, m, 0, 13, k, packed, rows, y.baseAddress, n)
                        gfn_qgemm_nt_packed(type.rawValue, m, 13, n, k, packed, rows, y.baseAddress, n)
                    }
                }
                XCTAssertEqual(got.map(Self.bits), expected.map(Self.bits), "\(type) m \(m) k \(k) portable \(portable)")
                let x = try Tensor(shape: [m, k], scalars: xs)
                let viaLinear = try x.linear(quantized: w).scalars
                let viaMatmul = try x.matmul(Tensor(shape: [n, k], scalars: dense), transposeOther: true).scalars
                XCTAssertEqual(viaLinear.map(Self.bits), viaMatmul.map(Self.bits), "linear \(type) m \(m) k \(k) portable \(portable)")
            }
        }
    }

    /// One-hot rows of x pick single weights out of the in-register kernels, which must be exactly the dequantised values;
    /// one-hot rows of g pick whole weight rows out of the backward kernel.
    func testInRegisterDecodingIsExact() throws {
        for portable in [false, true] {
            gfn_use_portable_kernels(portable ? 1 : 0)
            defer { gfn_use_portable_kernels(0) }
            var g = RandomGenerator(seed: 5)
            for type in BlockType.allCases {
                for k in Self.columnCounts(type) {
                    let n = 3
                    let bytes = Self.randomBlocks(type, rows: n, columns: k, &g)
                    let w = try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes)
                    let dense = Self.reference(type, bytes, count: n * k)
                    let eye = try Tensor(shape: [k, k], scalars: (0..<(k * k)).map { $0 / k == $0 % k ? 1 : 0 })
                    for start in stride(from: 0, to: k, by: 4) {  // four one-hot rows at a time: the ≤ 16-row kernel
                        let x = try eye.slice(axis: 0, start..<min(k, start + 4))
                        let y = try x.linear(quantized: w).scalars
                        for r in 0..<x.shape[0] {
                            for j in 0..<n {
                                XCTAssertEqual(Self.bits(y[r * n + j]), Self.bits(dense[j * k + start + r]), "\(type) k \(k) portable \(portable)")
                            }
                        }
                    }
                    let x = try Tensor.zeros([2, k])
                    x.requiresGrad = true
                    let y = try x.linear(quantized: w)
                    var onehot = [Float](repeating: 0, count: 2 * n)
                    onehot[1] = 1
                    onehot[n + 2] = 1
                    try y.backward(gradient: Tensor(shape: [2, n], scalars: onehot))
                    let dx = try XCTUnwrap(x.grad).scalars
                    XCTAssertEqual(dx[0..<k].map(Self.bits), dense[k..<(2 * k)].map(Self.bits), "\(type) k \(k) portable \(portable)")
                    XCTAssertEqual(dx[k...].map(Self.bits), dense[(2 * k)...].map(Self.bits), "\(type) k \(k) portable \(portable)")
                }
            }
        }
    }

    /// x·Wᵀ and g·W for every type, odd sizes, few rows (in-register kernels) and many (tiles through sgemm), on both
    /// the AVX2 and the portable path, within the float32 dot-product bound of the float64 product of dequantised weights;
    /// and the two paths agree with each other within twice that bound.
    func testProductsAgainstDequantiseThenMultiply() throws {
        var g = RandomGenerator(seed: 7)
        var worstRatio = 0.0
        for type in BlockType.allCases {
            for k in Self.columnCounts(type) {
                let n = 37
                let bytes = Self.randomBlocks(type, rows: n, columns: k, &g)
                let dense = Self.reference(type, bytes, count: n * k)
                let w = try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes)
                for m in Self.rowCounts {
                    let xs = (0..<(m * k)).map { _ in g.normal() }, gs = (0..<(m * n)).map { _ in g.normal() }
                    // The exact products (float64) and their float32 bounds.
                    var yExact = [Double](repeating: 0, count: m * n), yBound = yExact
                    var dxExact = [Double](repeating: 0, count: m * k), dxBound = dxExact
                    for r in 0..<m {
                        for j in 0..<n {
                            var exact = 0.0, magnitude = 0.0
                            for i in 0..<k {
                                let p = Double(xs[r * k + i]) * Double(dense[j * k + i])
                                exact += p
                                magnitude += abs(p)
                            }
                            yExact[r * n + j] = exact
                            yBound[r * n + j] = Self.gamma(k) * magnitude
                        }
                        for i in 0..<k {
                            var exact = 0.0, magnitude = 0.0
                            for j in 0..<n {
                                let p = Double(gs[r * n + j]) * Double(dense[j * k + i])
                                exact += p
                                magnitude += abs(p)
                            }
                            dxExact[r * k + i] = exact
                            dxBound[r * k + i] = Self.gamma(n) * magnitude
                        }
                    }
                    var results: [[Float]] = []
                    for portable in [false, true] {
                        gfn_use_portable_kernels(portable ? 1 : 0)
                        defer { gfn_use_portable_kernels(0) }
                        let x = try Tensor(shape: [m, k], scalars: xs)
                        x.requiresGrad = true
                        let y = try x.linear(quantized: w)
                        try y.backward(gradient: Tensor(shape: [m, n], scalars: gs))
                        let ys = y.scalars, dx = try XCTUnwrap(x.grad).scalars
                        for o in 0..<(m * n) {
                            let error = abs(Double(ys[o]) - yExact[o])
                            if yBound[o] > 0 { worstRatio = max(worstRatio, error / yBound[o]) }
                            XCTAssertLessThanOrEqual(error, yBound[o], "y \(type) m \(m) k \(k) output \(o) portable \(portable)")
                        }
                        for o in 0..<(m * k) {
                            XCTAssertLessThanOrEqual(abs(Double(dx[o]) - dxExact[o]), dxBound[o], "dx \(type) m \(m) k \(k) element \(o) portable \(portable)")
                        }
                        results.append(ys + dx)
                    }
                    let bounds = yBound + dxBound
                    for o in bounds.indices {
                        XCTAssertLessThanOrEqual(abs(Double(results[0][o]) - Double(results[1][o])), 2 * bounds[o], "AVX2 vs portable \(type) m \(m) k \(k)")
                    }
                }
            }
        }
        print("quantized x·Wᵀ: worst |error| / γ_k·Σ|x·w| = \(worstRatio)")
    }

    /// Q4_0, Q4_1 and Q8_0 blocks decoded with AVX-512 (a Q4 block's values looked up by nibble) give the AVX2
    /// decoder's values, and x·Wᵀ the same bits, for 1–4 rows (their own kernel) and 5–64 rows (the panel kernel
    /// on decoded tiles); one to several blocks of k.
    func testFewRowProductsGiveTheSameBitsWithAndWithoutAVX512() throws {
        var g = RandomGenerator(seed: 13)
        defer { gfn_use_avx512_kernels(1) }
        for type in [BlockType.q4_0, .q4_1, .q8_0] {
            for k in Self.columnCounts(type) + [Self.longColumnCount(type)] {
                let n = 37
                let bytes = Self.randomBlocks(type, rows: n, columns: k, &g)
                let w = try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes)
                gfn_use_avx512_kernels(1)
                let decoded = w.dequantized().scalars.map(Self.bits)
                gfn_use_avx512_kernels(0)
                XCTAssertEqual(decoded, w.dequantized().scalars.map(Self.bits), "decoded \(type) k \(k)")
                for m in [1, 2, 3, 4, 5, 16, 17, 64] {
                    let x = try Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in g.normal() })
                    gfn_use_avx512_kernels(1)
                    let fast = try x.linear(quantized: w).scalars.map(Self.bits)
                    gfn_use_avx512_kernels(0)
                    let avx2 = try x.linear(quantized: w).scalars.map(Self.bits)
                    XCTAssertEqual(fast, avx2, "\(type) k \(k) m \(m)")
                }
            }
        }
    }

    /// From 65 rows, x·Wᵀ and g·W on blocks give the bits of the same products on the dequantised float32 W: on
    /// AVX-512 CPUs both go through the blocked GEMM (blocks dequantised into its packed panels or not), elsewhere
    /// both are sgemm on a dequantised W. Every type, k with tails and several of the GEMM's k blocks.
    func testLargeProductsOnBlocksGiveTheDequantisedWeightsBits() throws {
        var g = RandomGenerator(seed: 12)
        let (m, n) = (130, 96)
        for type in BlockType.allCases {
            let k = Self.longColumnCount(type)
            let bytes = Self.randomBlocks(type, rows: n, columns: k, &g)
            let w = try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes)
            let dense = try Tensor(shape: [n, k], scalars: Self.reference(type, bytes, count: n * k))
            let x = try Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in g.normal() })
            let gy = try Tensor(shape: [m, n], scalars: (0..<(m * n)).map { _ in g.normal() })
            let y = try x.linear(quantized: w)
            let yDense = try x.matmul(dense, transposeOther: true)
            XCTAssertEqual(y.scalars.map(Self.bits), yDense.scalars.map(Self.bits), "x·Wᵀ \(type), k \(k)")
            let dx = Tensor(uninitializedShape: [m, k])
            quantizedGradient(gy.pointer, rows: m, w, into: dx.pointer)
            let dxDense = try gy.matmul(dense)
            XCTAssertEqual(dx.scalars.map(Self.bits), dxDense.scalars.map(Self.bits), "g·W \(type), k \(k)")
        }
    }

    /// Permuted rows (how Llama's q/k rows are put in Hugging Face's order) give the permuted dense product, both ways.
    func testPermutedRowsMatchPermutedDenseWeights() throws {
        var g = RandomGenerator(seed: 3)
        let n = 12, k = 64
        let bytes = Self.randomBlocks(.q4_1, rows: n, columns: k, &g)
        let order = [3, 0, 11, 1, 2, 10, 4, 9, 5, 8, 6, 7]
        let w = try QuantizedMatrix(type: .q4_1, rows: n, columns: k, copying: bytes).permutingRows(order)
        let stored = Self.reference(.q4_1, bytes, count: n * k)
        let dense = order.flatMap { stored[($0 * k)..<($0 * k + k)] }
        XCTAssertEqual(w.dequantized().scalars, dense)
        for m in [3, 40] {
            let xs = (0..<(m * k)).map { _ in g.normal() }, gs = (0..<(m * n)).map { _ in g.normal() }
            let x = try Tensor(shape: [m, k], scalars: xs)
            x.requiresGrad = true
            let y = try x.linear(quantized: w)
            try y.backward(gradient: Tensor(shape: [m, n], scalars: gs))
            let x2 = try Tensor(shape: [m, k], scalars: xs)
            x2.requiresGrad = true
            let y2 = try x2.matmul(Tensor(shape: [n, k], scalars: dense), transposeOther: true)
            try y2.backward(gradient: Tensor(shape: [m, n], scalars: gs))
            XCTAssertLessThanOrEqual(maxAbsDifference(y.scalars, y2.scalars), 1e-5, "m \(m)")
            XCTAssertLessThanOrEqual(maxAbsDifference(try XCTUnwrap(x.grad).scalars, try XCTUnwrap(x2.grad).scalars), 1e-5, "m \(m)")
        }
        XCTAssertThrowsError(try w.permutingRows([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    }

    /// LoRA fused onto a weight in blocks (`linear(quantized:bias:updates:)`) against the same fusion onto the dequantised
    /// weight: outputs and the gradients of x, bias, A and B agree (in-register, panel and scratch-sgemm row counts).
    /// From 65 rows both write the low-rank part first and sgemm adds the base product onto it: the same bits.
    func testLowRankUpdatesOnAQuantizedWeightMatchTheDenseWeight() throws {
        var g = RandomGenerator(seed: 13)
        let n = 37, k = 64
        let bytes = Self.randomBlocks(.q4_1, rows: n, columns: k, &g)
        let w = try QuantizedMatrix(type: .q4_1, rows: n, columns: k, copying: bytes)
        let dense = try Tensor(shape: [n, k], scalars: Self.reference(.q4_1, bytes, count: n * k))
        for m in [3, 20, 70] {
            let xs = (0..<(m * k)).map { _ in g.normal() }, gs = (0..<(m * n)).map { _ in g.normal() }
            let biasValues = (0..<n).map { _ in g.normal() }
            let a1 = (0..<(2 * k)).map { _ in g.normal() }, b1 = (0..<(20 * 2)).map { _ in g.normal() }
            let a2 = (0..<(3 * k)).map { _ in g.normal() }, b2 = (0..<(17 * 3)).map { _ in g.normal() }
            var results: [[[Float]]] = []
            for quantized in [true, false] {
                let x = try Tensor(shape: [m, k], scalars: xs), bias = try Tensor(shape: [n], scalars: biasValues)
                let tensors = try [Tensor(shape: [2, k], scalars: a1), Tensor(shape: [20, 2], scalars: b1),
                                   Tensor(shape: [3, k], scalars: a2), Tensor(shape: [17, 3], scalars: b2)]
                for t in tensors + [x, bias] { t.requiresGrad = true }
                let updates = [LowRankUpdate(a: tensors[0], b: tensors[1], scaling: 0.5, outputs: 0..<20),
                               LowRankUpdate(a: tensors[2], b: tensors[3], scaling: 2, outputs: 20..<37)]
                let y = quantized ? try x.linear(quantized: w, bias: bias, updates: updates)
                                  : try x.linear(weight: dense, bias: bias, updates: updates)
                try y.backward(gradient: Tensor(shape: [m, n], scalars: gs))
                results.append(try [y.scalars] + ([x, bias] + tensors).map { try XCTUnwrap($0.grad).scalars })
            }
            for (i, (q, d)) in zip(results[0], results[1]).enumerated() {
                let scale = max(1, d.map(abs).max() ?? 0)
                XCTAssertLessThanOrEqual(maxAbsDifference(q, d), 1e-5 * scale, "m \(m) result \(i)")
            }
            if m > quantizedPanelRowsLimit { XCTAssertEqual(results[0][0], results[1][0], "m \(m): outputs on blocks and dense differ") }
        }
    }

    /// Embedding lookup from a table in blocks dequantises the looked-up rows exactly as Dequantizer does (bit for bit),
    /// for every type, repeated and unordered ids, on the AVX2 and the portable path; bad ids and shapes are errors.
    func testEmbeddingRowsEqualDequantizerBitForBit() throws {
        var g = RandomGenerator(seed: 17)
        try Self.onEveryPathAndType(rows: 37, &g) { type, k, portable, _, dense, table, _ in
            let ids = [36, 0, 5, 5, 17, 1]
            let rows = try table.embedding(ids, shape: [2, 3])
            XCTAssertEqual(rows.shape, [2, 3, k])
            let want = ids.flatMap { dense[($0 * k)..<($0 * k + k)] }
            XCTAssertEqual(rows.scalars.map(\.bitPattern), want.map(\.bitPattern), "\(type) k \(k) portable \(portable)")
        }
        let table = try QuantizedMatrix(type: .q8_0, rows: 2, columns: 32, copying: [UInt8](repeating: 0, count: 68))
        XCTAssertThrowsError(try table.embedding([2], shape: [1]))
        XCTAssertThrowsError(try table.embedding([-1], shape: [1]))
        XCTAssertThrowsError(try table.embedding([0, 1], shape: [3]))
    }

    /// log-softmax of x·Wᵀ + bias gathered at targets, walked in W tiles with an online log-sum-exp and E_p[W] for the
    /// backward, against the composed ops (linear, +, logSoftmax(gathering:)): values and dx within 2e-5 (relative to the
    /// largest), for a float32 W and Q8_0/Q4_1 blocks, one tile and many (a partial last one), a bias with −inf entries
    /// (banned tokens), with and without a graph.
    func testLogSoftmaxOfLinearMatchesTheComposedOps() throws {
        var g = RandomGenerator(seed: 19)
        let n = 301, k = 64, m = 6, picks = 2
        for type in [BlockType.q8_0, .q4_1, nil] {
            let bytes = Self.randomBlocks(type ?? .q8_0, rows: n, columns: k, &g)
            let values = type == nil ? (0..<(n * k)).map { _ in g.normal() * 0.3 } : Self.reference(type!, bytes, count: n * k)
            let dense = try Tensor(shape: [n, k], scalars: values)
            let blocks = try type.map { try QuantizedMatrix(type: $0, rows: n, columns: k, copying: bytes) }
            var biasValues = (0..<n).map { _ in g.normal() }
            for banned in [3, 150, 300] { biasValues[banned] = -.infinity }
            let bias = try Tensor(shape: [n], scalars: biasValues)
            let xs = (0..<(m * k)).map { _ in g.normal() }, gs = (0..<(m * picks)).map { _ in g.normal() }
            let targets = (0..<(m * picks)).map { $0 == 1 ? 150 : Int(g.next() % UInt64(n)) }  // one banned target: −inf
            for tileFloats in [quantizedScratchFloats, 37 * k, 5 * k] {
                let x = try Tensor(shape: [2, 3, k], scalars: xs), x2 = try Tensor(shape: [2, 3, k], scalars: xs)
                x.requiresGrad = true
                x2.requiresGrad = true
                let fused = try blocks.map { try x.logSoftmax(linear: $0, bias: bias, gathering: targets, tileFloats: tileFloats) }
                    ?? (try x.logSoftmax(linear: dense, bias: bias, gathering: targets, tileFloats: tileFloats))
                let composed = try (x2.linear(weight: dense) + bias).logSoftmax(gathering: targets)
                XCTAssertEqual(fused.shape, [2, 3, picks])
                let (f, c) = (fused.scalars, composed.scalars)
                XCTAssertEqual(f.map(\.isInfinite), c.map(\.isInfinite), "\(String(describing: type)) tile \(tileFloats)")
                let finite = f.indices.filter { c[$0].isFinite }
                XCTAssertLessThanOrEqual(maxAbsDifference(finite.map { f[$0] }, finite.map { c[$0] }), 2e-5, "\(String(describing: type)) tile \(tileFloats)")
                let noGraph = try withNoGrad { try blocks.map { try x.logSoftmax(linear: $0, bias: bias, gathering: targets, tileFloats: tileFloats) }
                    ?? (try x.logSoftmax(linear: dense, bias: bias, gathering: targets, tileFloats: tileFloats)) }
                XCTAssertEqual(noGraph.scalars.map(\.bitPattern), f.map(\.bitPattern), "the logits do not depend on whether a graph is kept")
                // Gradients through the finite outputs only (a −inf log-prob's gradient is not defined the same way by both).
                let mask = try Tensor(shape: [2, 3, picks], scalars: c.map { $0.isFinite ? 1 : 0 })
                let seed = try Tensor(shape: [2, 3, picks], scalars: gs)
                try (Tensor.where(mask, fused, try Tensor.zeros([2, 3, picks])) * seed).sum().backward()
                try (Tensor.where(mask, composed, try Tensor.zeros([2, 3, picks])) * seed).sum().backward()
                let (dx, dx2) = (try XCTUnwrap(x.grad).scalars, try XCTUnwrap(x2.grad).scalars)
                let scale = max(1, dx2.map(abs).max() ?? 0)
                XCTAssertLessThanOrEqual(maxAbsDifference(dx, dx2), 2e-5 * scale, "dx \(String(describing: type)) tile \(tileFloats)")
            }
        }
        let w = try Tensor.zeros([5, 4])
        XCTAssertThrowsError(try Tensor.zeros([2, 3]).logSoftmax(linear: w, gathering: [0, 1]))
        XCTAssertThrowsError(try Tensor.zeros([2, 4]).logSoftmax(linear: w, gathering: [0, 5]))
        XCTAssertThrowsError(try Tensor.zeros([2, 4]).logSoftmax(linear: w, gathering: [0, 1, 2]))
        XCTAssertThrowsError(try Tensor.zeros([2, 4]).logSoftmax(linear: w, bias: try Tensor.zeros([4]), gathering: [0, 1]))
    }

    /// A NaN or infinite block scale (min, F16/BF16 value) is found at its row and first element, for every type; finite
    /// blocks give nil.
    func testNonFiniteScalesAreFound() throws {
        var g = RandomGenerator(seed: 23)
        for type in BlockType.allCases {
            let k = Self.columnCounts(type).last!, rows = 4
            var bytes = Self.randomBlocks(type, rows: rows, columns: k, &g)
            if type == .f16 || type == .bf16 {  // random bits: make every value finite first
                for i in stride(from: 0, to: bytes.count, by: 2) { bytes[i + 1] &= 0x3F }
            }
            XCTAssertNil(try QuantizedMatrix(type: type, rows: rows, columns: k, copying: bytes).firstNonFiniteElement(), "\(type)")
            let rowBytes = k / type.blockElements * type.blockBytes
            let scaleOffsets: [Int] = switch type {
            case .q4_1: [0, 2]
            case .q6_K: [208]
            default: [0]
            }
            for offset in scaleOffsets {
                for bits: UInt16 in type == .bf16 ? [0x7FC0, 0xFF80] : [0x7E00, 0xFC00] {  // NaN, −inf
                    var damaged = bytes
                    let at = 2 * rowBytes + type.blockBytes + offset  // row 2, second block
                    damaged[at] = UInt8(bits & 0xFF)
                    damaged[at + 1] = UInt8(bits >> 8)
                    let found = try QuantizedMatrix(type: type, rows: rows, columns: k, copying: damaged).firstNonFiniteElement()
                    XCTAssertEqual(found?.row, 2, "\(type) offset \(offset)")
                    XCTAssertEqual(found?.column, type.blockElements, "\(type) offset \(offset)")
                }
            }
        }
    }

    func testBadShapesAreErrors() throws {
        XCTAssertThrowsError(try QuantizedMatrix(type: .q4_0, rows: 2, columns: 40, copying: [UInt8](repeating: 0, count: 36)))
        XCTAssertThrowsError(try QuantizedMatrix(type: .q4_0, rows: 2, columns: 32, copying: [UInt8](repeating: 0, count: 35)))
        let w = try QuantizedMatrix(type: .q8_0, rows: 2, columns: 32, copying: [UInt8](repeating: 0, count: 68))
        XCTAssertThrowsError(try Tensor.zeros([3, 31]).linear(quantized: w))
    }

    /// The bits of a value, with −0 read as +0 (a sum that starts from +0 turns a weight of −0 into +0).
    static func bits(_ v: Float) -> UInt32 { (v + 0).bitPattern }

    static func gamma(_ k: Int) -> Double {
        let u = Double(k) * 0x1p-24
        return u / (1 - u)
    }
}

/// SmolLM2 with its Q4_1/Q8_0 projections and its tied token embedding / LM head (Q8_0) kept in blocks
/// (dtype="quantized") against the same file dequantised to Float32.
final class QuantizedSmolLM2Tests: XCTestCase {
    /// The file's block bytes of its matrices (projections and token_embd), and its 1-D tensors' (norms') elements.
    static func fileSizes() throws -> (matrixBytes: Int, vectorElements: Int) {
        let file = try GGUFFile(path: TestPaths.smollm2)
        let matrices = file.tensors.filter { $0.shape.count == 2 }, vectors = file.tensors.filter { $0.shape.count == 1 }
        return (try matrices.reduce(0) { $0 + (try file.rawData($1.name)).count }, vectors.reduce(0) { $0 + $1.elementCount })
    }

    /// A NaN scale in one block of a projection is named at load, on the quantized path as on the f32 one.
    func testADamagedBlockScaleIsNamedAtLoad() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gfn-damaged-scale-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("damaged.gguf").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: TestPaths.smollm2))
        let info = try XCTUnwrap(try GGUFFile(path: TestPaths.smollm2).tensorInfo("blk.3.ffn_up.weight"))
        let type = try XCTUnwrap(QuantizedMatrix.BlockType(rawValue: Int32(info.type.rawValue)))
        let rowBytes = info.shape[1] / type.blockElements * type.blockBytes
        let scale = info.fileOffset + 7 * rowBytes + (type == .q6_K ? 208 : 0)  // row 7, first block
        bytes[scale] = 0x00
        bytes[scale + 1] = 0x7E  // float16 NaN
        try bytes.write(to: URL(fileURLWithPath: path))
        for precision in WeightPrecision.allCases {
            XCTAssertThrowsError(try PretrainedModel.load(path, weights: precision), "\(precision)") { error in
                XCTAssertTrue("\(error)".contains("tensor 'blk.3.ffn_up.weight' holds") && "\(error)".contains("non-finite"), "\(precision): \(error)")
            }
        }
    }

    func testQuantizedLogitsMatchTheFloat32Path() throws {
        let float32 = try PretrainedModel.load(TestPaths.smollm2, weights: .float32).transformer
        let bytes32 = float32.weightBytes
        XCTAssertEqual(bytes32.quantized, 0)
        let file = try Self.fileSizes()
        // 3 tokens take the in-register kernels (≤ 4 rows); 18 tokens the dequantised tiles through the same
        // x·wᵀ kernel the float32 path uses (whose bits do not depend on how the columns are split).
        let short: [[Int]] = [[1, 9690, 198]]
        let long: [[Int]] = [[1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3437, 28, 7018, 411, 407, 19712, 8182, 2]]
        let references = try [short, long].map { try float32.logits($0).scalars }
        do {
            let model = try PretrainedModel.load(TestPaths.smollm2, weights: .quantized)
            let bytes = model.transformer.weightBytes
            print("SmolLM2 weights: quantized path \(bytes.quantized) B in blocks + \(bytes.float32) B float32; f32 path \(bytes32.float32) B")
            // Every matrix (the tied embedding / LM head included) stays in the file's blocks; only the norms are Float32.
            XCTAssertEqual(bytes.quantized, file.matrixBytes)
            XCTAssertEqual(bytes.float32, 4 * file.vectorElements)
            for (ids, reference) in zip([short, long], references) {
                let logits = try model.transformer.logits(ids).scalars
                let difference = maxAbsDifference(logits, reference)
                print("SmolLM2 logits, quantized vs f32 path, \(ids[0].count) tokens: max |Δ| = \(difference) over \(logits.count) logits")
                XCTAssertLessThanOrEqual(difference, 1e-3)
            }
        }
    }

    /// LoRA on all seven projections of the quantized model: the adapter gradients (backward through the base and the
    /// tied LM head in their blocks, few-row and tiled paths) match the float32 model's, and merging gives Float32 copies of the merged
    /// projections with the adapted model's logits.
    func testLoRATrainingAndMergeOnTheQuantizedBase() throws {
        let quantized = try PretrainedModel.load(TestPaths.smollm2, weights: .quantized).transformer
        let float32 = try PretrainedModel.load(TestPaths.smollm2, weights: .float32).transformer
        for m in [quantized, float32] {
            try m.addAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0, targetModules: m.config.projectionNames, seed: 4))
            var g = RandomGenerator(seed: 8)
            for a in m.adapters { try a.b.assign(Tensor.randomNormal(a.b.shape, standardDeviation: 0.05, using: &g)) }
        }
        for ids in [[[1, 9690, 198, 2683, 359]], [Array(1...20)]] {
            var grads: [[[Float]]] = []
            for m in [quantized, float32] {
                for p in m.trainableParameters { p.grad = nil }
                let t = ids[0].count
                let loss = try m.logits(ids).logSoftmax().gather(lastAxis: Array(repeating: 42, count: t)).sum()
                try loss.backward()
                grads.append(try m.trainableParameters.map { try XCTUnwrap($0.grad).scalars })
            }
            var worst: Float = 0, largest: Float = 0
            for (a, b) in zip(grads[0], grads[1]) {
                worst = max(worst, maxAbsDifference(a, b))
                largest = max(largest, b.map(abs).max() ?? 0)
            }
            print("LoRA gradients on SmolLM2, quantized vs f32 base, \(ids[0].count) tokens: max |Δ| = \(worst), max |grad| = \(largest)")
            XCTAssertGreaterThan(largest, 0)
            XCTAssertLessThanOrEqual(worst, 1e-3 * max(1, largest))
        }
        let ids = [[1, 9690, 198, 2683, 359]]
        let adapted = try quantized.logits(ids).scalars
        try quantized.mergeAdapters()
        let embeddingBytes = try GGUFFile(path: TestPaths.smollm2).rawData("token_embd.weight").count
        XCTAssertEqual(quantized.weightBytes.quantized, embeddingBytes, "every adapted projection becomes a Float32 copy; the embedding stays in blocks")
        let merged = try quantized.logits(ids).scalars
        print("LoRA merge on the quantized SmolLM2: max |Δ| merged vs adapted = \(maxAbsDifference(merged, adapted))")
        XCTAssertLessThanOrEqual(maxAbsDifference(merged, adapted), 1e-3)
    }
}
