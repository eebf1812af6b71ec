import CKernels
import Foundation
@testable import Tensors
import XCTest

/// The opt-in 8-bit-activation route (CKernels' quantized_gemm_q8.c): activation rows quantised to blocks of 32,
/// multiplied with Q4_0/Q4_1/Q8_0/Q6_K blocks by integer dot products. The AVX-512 VNNI, AVX2 and portable kernels
/// share one order of float operations, so they are tested against the portable reference bit for bit; the reference
/// itself against the float64 product of the quantised activations and the exact block values, within
/// γ_n·Σ|x̂ᵢ·wᵢ| (n = k + 8: the block scales' products and the final sums round too).
final class Q8ActivationKernelTests: XCTestCase {
    typealias BlockType = QuantizedMatrix.BlockType
    static let types: [BlockType] = [.q4_0, .q4_1, .q8_0, .q6_K]

    /// The kernel paths this CPU has: "vnni" (where present), "avx2", "portable".
    static func onEveryPath(_ body: (String) throws -> Void) rethrows {
        defer { gfn_use_portable_kernels(0); gfn_use_vnni_kernels(1) }
        if gfn_kernels_use_vnni() != 0 { try body("vnni") }
        if gfn_kernels_use_avx2() != 0 {
            gfn_use_vnni_kernels(0)
            try body("avx2")
            gfn_use_vnni_kernels(1)
        }
        gfn_use_portable_kernels(1)
        try body("portable")
        gfn_use_portable_kernels(0)
    }

    /// x [m, k] in 8-bit blocks.
    static func quantize(_ x: [Float], rows m: Int, columns k: Int) -> [gfn_q8_block] {
        var blocks = [gfn_q8_block](repeating: gfn_q8_block(), count: m * k / 32)
        x.withUnsafeBufferPointer { px in blocks.withUnsafeMutableBufferPointer { gfn_quantize_q8(m, k, px.baseAddress, k, $0.baseAddress) } }
        return blocks
    }

    static func values(_ b: gfn_q8_block) -> [Int8] { withUnsafeBytes(of: b.q) { Array($0.bindMemory(to: Int8.self)) } }

    /// Random activations with blocks of very different sizes, an all-zero block and exact ties at half steps.
    static func activations(_ count: Int, _ g: inout RandomGenerator) -> [Float] {
        var x = (0..<count).map { i in g.normal() * (i / 32 % 3 == 0 ? 0.01 : 3) }
        for i in 0..<min(32, count) { x[i] = 0 }
        if count >= 64 {
            x[32] = -127  // d = 1: the others fall on half steps, where rounding goes to even
            for i in 33..<64 { x[i] = Float(i - 48) + 0.5 }
        }
        return x
    }

    /// Quantised blocks are the same bits on every path, within half a step of x, with s = d·Σq.
    func testActivationQuantisationIsExactAndTheSameOnEveryPath() throws {
        var g = RandomGenerator(seed: 11)
        for (m, k) in [(1, 32), (3, 96), (5, 1216)] {
            let x = Self.activations(m * k, &g)
            var results: [[UInt8]] = []
            Self.onEveryPath { _ in
                let blocks = Self.quantize(x, rows: m, columns: k)
                results.append(blocks.withUnsafeBytes { Array($0) })
                for (b, block) in blocks.enumerated() {
                    let q = Self.values(block)
                    XCTAssertEqual(block.s, block.d * Float(q.reduce(0) { $0 + Int($1) }))
                    for i in 0..<32 {
                        let v = x[b * 32 + i]
                        XCTAssertLessThanOrEqual(abs(Double(v) - Double(block.d) * Double(q[i])), Double(block.d) * (0.5 + 1e-4), "block \(b) element \(i)")
                        XCTAssertLessThanOrEqual(abs(Int(q[i])), 127)
                    }
                }
            }
            for r in results.dropFirst() { XCTAssertEqual(r, results[0], "m \(m) k \(k)") }
        }
    }

    /// The exact value of weight (j, i) of a matrix in blocks (Dequantizer rounds each; here in float64).
    static func exactWeights(_ type: BlockType, _ bytes: [UInt8], rows n: Int, columns k: Int) -> [Double] {
        func half(_ o: Int) -> Double { Double(Float16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) }
        var w = [Double](repeating: 0, count: n * k)
        let rowBytes = k / type.blockElements * type.blockBytes
        for j in 0..<n {
            for i in 0..<k {
                let o = j * rowBytes
                switch type {
                case .q4_0, .q4_1:
                    let b = o + i / 32 * type.blockBytes, e = i % 32, q = bytes[b + (type == .q4_1 ? 4 : 2) + e % 16]
                    let n4 = Double(e < 16 ? q & 0x0F : q >> 4)
                    w[j * k + i] = type == .q4_1 ? half(b) * n4 + half(b + 2) : half(b) * (n4 - 8)
                case .q8_0:
                    let b = o + i / 32 * 34
                    w[j * k + i] = half(b) * Double(Int8(bitPattern: bytes[b + 2 + i % 32]))
                default:  // Q6_K, as ggml lays it out
                    let b = o + i / 256 * 210, e = i % 256, half128 = e / 128, l = e % 128, group = l / 32, lane = l % 32
                    let ql = bytes[b + 64 * half128 + (group & 1) * 32 + lane], qh = bytes[b + 128 + 32 * half128 + lane]
                    let low = Int(group >= 2 ? ql >> 4 : ql & 0x0F), q = (low | (Int(qh >> (2 * group)) & 3) << 4) - 32
                    let scale = Double(Int8(bitPattern: bytes[b + 192 + 8 * half128 + lane / 16 + 2 * group]))
                    w[j * k + i] = half(b + 208) * scale * Double(q)
                }
            }
        }
        return w
    }

    /// Every path's y equals the portable reference's bit for bit (rows 1–70, weight rows split at an odd place into
    /// two calls, one block to many), and the reference is within γ_(k+8)·Σ|x̂·w| of the float64 product.
    func testIntegerKernelsEqualTheReferenceAndTheExactProduct() throws {
        var g = RandomGenerator(seed: 12)
        var worst = 0.0
        for type in Self.types {
            for k in QuantizedLinearTests.columnCounts(type) + [QuantizedLinearTests.longColumnCount(type)] {
                let n = 37, split = 13
                let bytes = QuantizedLinearTests.randomBlocks(type, rows: n, columns: k, &g)
                let exactW = Self.exactWeights(type, bytes, rows: n, columns: k)
                let rowBytes = k / type.blockElements * type.blockBytes
                for m in [1, 2, 3, 4, 5, 7, 16, 17, 70] {
                    let x = Self.activations(m * k, &g)
                    var results: [String: [Float]] = [:]
                    Self.onEveryPath { path in
                        let xq = Self.quantize(x, rows: m, columns: k)
                        var y = [Float](repeating: .nan, count: m * n)
                        QuantizedLinearTests.withRowPointers(bytes, rows: n, rowBytes: rowBytes) { w in
                            xq.withUnsafeBufferPointer { px in
                                y.withUnsafeMutableBufferPointer { py in
                                    gfn_qgemm_nt_q8(type.rawValue, m, 0, split, k, px.baseAddress, w, py.baseAddress, n)
                                    gfn_qgemm_nt_q8(type.rawValue, m, split, n, k, px.baseAddress, w, py.baseAddress, n)
                                }
                            }
                        }
                        results[path] = y
                        guard path == "portable" else { return }
                        for r in 0..<m {
                            for j in 0..<n {
                                var exact = 0.0, magnitude = 0.0
                                for i in 0..<k {
                                    let block = xq[r * (k / 32) + i / 32]
                                    let xv = Double(block.d) * Double(Self.values(block)[i % 32])
                                    exact += xv * exactW[j * k + i]
                                    magnitude += abs(xv * exactW[j * k + i])
                                }
                                if type == .q4_1 { magnitude *= 2 }  // the min term also goes through s = d·Σq
                                let error = abs(Double(y[r * n + j]) - exact), bound = QuantizedLinearTests.gamma(k + 8) * magnitude
                                if bound > 0 { worst = max(worst, error / bound) }
                                XCTAssertLessThanOrEqual(error, bound, "\(type) k \(k) m \(m) output (\(r), \(j))")
                            }
                        }
                    }
                    try assertPathsMatchPortable(results, "\(type) k \(k) m \(m)")
                }
            }
        }
        print("q8-activation products: worst |error| / γ_(k+8)·Σ|x̂·w| = \(worst)")
    }

    /// y [m, n] through the panel kernels (x repacked into 32-byte-aligned panels of 8 rows), w's rows split at `split`.
    static func panelProduct(_ type: BlockType, _ xq: [gfn_q8_block], rows m: Int, columns k: Int, _ bytes: [UInt8], n: Int,
                             split: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: m * n)
        withUnsafeTemporaryAllocation(byteCount: gfn_q8_panels_bytes(m, k), alignment: 32) { panels in
            xq.withUnsafeBufferPointer { gfn_q8_pack_panels(m, k, $0.baseAddress, panels.baseAddress) }
            QuantizedLinearTests.withRowPointers(bytes, rows: n, rowBytes: k / 32 * type.blockBytes) { w in
                y.withUnsafeMutableBufferPointer { py in
                    gfn_qgemm_nt_q8_panels(type.rawValue, m, 0, split, k, panels.baseAddress, w, py.baseAddress, n)
                    gfn_qgemm_nt_q8_panels(type.rawValue, m, split, n, k, panels.baseAddress, w, py.baseAddress, n)
                }
            }
        }
        return y
    }

    /// The panel kernels (5–64 rows; Q4_0, Q4_1, Q8_0): every path equals the portable reference bit for bit (rows 5–70,
    /// so partial panels and odd panel pairs), and the reference is within γ_(k+8)·Σ|x̂·w| of the float64 product.
    func testPanelKernelsEqualTheReferenceAndTheExactProduct() throws {
        var g = RandomGenerator(seed: 15)
        var worst = 0.0
        for type in [BlockType.q4_0, .q4_1, .q8_0] {
            XCTAssertNotEqual(gfn_qgemm_q8_panels_takes(type.rawValue), 0)
            for k in QuantizedLinearTests.columnCounts(type) + [QuantizedLinearTests.longColumnCount(type)] {
                let n = 29, split = 11
                let bytes = QuantizedLinearTests.randomBlocks(type, rows: n, columns: k, &g)
                let exactW = Self.exactWeights(type, bytes, rows: n, columns: k)
                for m in [5, 8, 9, 16, 17, 24, 70] {
                    let x = Self.activations(m * k, &g)
                    var results: [String: [Float]] = [:]
                    Self.onEveryPath { path in
                        let xq = Self.quantize(x, rows: m, columns: k)
                        let y = Self.panelProduct(type, xq, rows: m, columns: k, bytes, n: n, split: split)
                        results[path] = y
                        guard path == "portable" else { return }
                        for r in 0..<m {
                            for j in 0..<n {
                                // The kernel sums d·Σn·x̂ and (min or −8·d)·Σx̂ apart: bound each part by its own magnitude.
                                var exact = 0.0, magnitude = 0.0
                                for i in 0..<k {
                                    let block = xq[r * (k / 32) + i / 32]
                                    let xv = Double(block.d) * Double(Self.values(block)[i % 32])
                                    exact += xv * exactW[j * k + i]
                                    let o = j * (k / 32) * type.blockBytes + i / 32 * type.blockBytes
                                    func half(_ at: Int) -> Double { abs(Double(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))) }
                                    let weightBound = type == .q8_0 ? abs(exactW[j * k + i]) : type == .q4_1 ? 15 * half(o) + half(o + 2) : 23 * half(o)
                                    magnitude += abs(xv) * weightBound
                                }
                                let error = abs(Double(y[r * n + j]) - exact), bound = QuantizedLinearTests.gamma(k + 8) * magnitude
                                if bound > 0 { worst = max(worst, error / bound) }
                                XCTAssertLessThanOrEqual(error, bound, "\(type) k \(k) m \(m) output (\(r), \(j))")
                            }
                        }
                    }
                    try assertPathsMatchPortable(results, "\(type) k \(k) m \(m)")
                }
            }
        }
        print("q8-activation panel products: worst |error| / bound = \(worst)")
    }

    /// Rows longer than 4096 elements take the Q4 kernels' heap buffer for the regrouped x: still the reference's bits.
    func testLongRowsEqualTheReference() throws {
        var g = RandomGenerator(seed: 14)
        for type in [BlockType.q4_0, .q4_1] {
            let n = 5, k = 8224, m = 5
            let bytes = QuantizedLinearTests.randomBlocks(type, rows: n, columns: k, &g)
            let xq = Self.quantize(Self.activations(m * k, &g), rows: m, columns: k)
            var results: [String: [UInt32]] = [:]
            Self.onEveryPath { path in
                var y = [Float](repeating: .nan, count: m * n)
                QuantizedLinearTests.withRowPointers(bytes, rows: n, rowBytes: k / 32 * type.blockBytes) { w in
                    xq.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { gfn_qgemm_nt_q8(type.rawValue, m, 0, n, k, px.baseAddress, w, $0.baseAddress, n) } }
                }
                results[path] = y.map(QuantizedLinearTests.bits)
            }
            for (path, y) in results { XCTAssertEqual(y, results["portable"], "\(path) vs portable, \(type)") }
            XCTAssertFalse(results["portable"]!.contains(Float.nan.bitPattern))
        }
    }

    /// `linear(quantized:activations: .q8)` is the integer kernels' product for up to 4 rows of these types, the panel
    /// kernels' for 5–64 rows of Q4_0/Q4_1/Q8_0; other types and more rows keep float32 activations (the default path's
    /// bits); gradients are the float32 path's.
    func testLinearTakesTheRouteWhereItApplies() throws {
        var g = RandomGenerator(seed: 13)
        for type in BlockType.allCases {
            let k = type == .q6_K ? 256 : 96, n = 19
            let bytes = QuantizedLinearTests.randomBlocks(type, rows: n, columns: k, &g)
            let w = try QuantizedMatrix(type: type, rows: n, columns: k, copying: bytes)
            for m in [1, 3, 4, 5, 16, 64, 65] {
                let xs = (0..<(m * k)).map { _ in g.normal() }
                let x = try Tensor(shape: [m, k], scalars: xs)
                let float32 = try x.linear(quantized: w).scalars
                let q8 = try x.linear(quantized: w, activations: .q8).scalars
                if m <= 4 && Self.types.contains(type) {
                    let xq = Self.quantize(xs, rows: m, columns: k)
                    var y = [Float](repeating: .nan, count: m * n)
                    w.withRows { rows in
                        xq.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { gfn_qgemm_nt_q8(type.rawValue, m, 0, n, k, px.baseAddress, rows, $0.baseAddress, n) } }
                    }
                    XCTAssertEqual(q8.map(QuantizedLinearTests.bits), y.map(QuantizedLinearTests.bits), "\(type) m \(m)")
                    XCTAssertNotEqual(q8, float32, "\(type) m \(m): quantised activations change the product")
                } else if m <= 64 && [BlockType.q4_0, .q4_1, .q8_0].contains(type) {
                    let y = Self.panelProduct(type, Self.quantize(xs, rows: m, columns: k), rows: m, columns: k, bytes, n: n, split: 7)
                    XCTAssertEqual(q8.map(QuantizedLinearTests.bits), y.map(QuantizedLinearTests.bits), "\(type) m \(m)")
                    XCTAssertNotEqual(q8, float32, "\(type) m \(m): quantised activations change the product")
                } else {
                    XCTAssertEqual(q8.map(QuantizedLinearTests.bits), float32.map(QuantizedLinearTests.bits), "\(type) m \(m)")
                }
            }
            let x = try Tensor(shape: [3, k], scalars: (0..<(3 * k)).map { _ in g.normal() })
            x.requiresGrad = true
            let gy = try Tensor(shape: [3, n], scalars: (0..<(3 * n)).map { _ in g.normal() })
            try x.linear(quantized: w, activations: .q8).backward(gradient: gy)
            let dxQ8 = try XCTUnwrap(x.grad).scalars
            x.grad = nil
            try x.linear(quantized: w).backward(gradient: gy)
            XCTAssertEqual(dxQ8, try XCTUnwrap(x.grad).scalars, "\(type): dx = g·W either way")
        }
    }

    /// Every kernel path's outputs have the portable kernel's bits.
    private func assertPathsMatchPortable(_ results: [String: [Float]], _ label: String,
                                          file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try XCTUnwrap(results["portable"], file: file, line: line).map(QuantizedLinearTests.bits)
        for (path, y) in results where path != "portable" {
            XCTAssertEqual(y.map(QuantizedLinearTests.bits), reference, "\(path) vs portable, \(label)", file: file, line: line)
        }
    }
}
