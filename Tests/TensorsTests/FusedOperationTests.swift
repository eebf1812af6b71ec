import XCTest
@testable import Tensors

/// The fused operations behind the LoRA training step (low-rank linear, log-softmax at chosen
/// indices, SwiGLU, reshape views of strided tensors): gradient checks and agreement with the
/// composed operations they replace.
final class FusedOperationTests: XCTestCase {
    func testLowRankLinearMatchesComposedAndGradients() throws {
        let x = randomTensor([2, 3, 5], seed: 300), w = randomTensor([7, 5], seed: 301), bias = randomTensor([7], seed: 302)
        let a1 = randomTensor([2, 5], seed: 303), b1 = randomTensor([3, 2], seed: 304)
        let a2 = randomTensor([1, 5], seed: 305), b2 = randomTensor([2, 1], seed: 306)
        func updates(_ t: [Tensor]) -> [LowRankUpdate] {
            [LowRankUpdate(a: t[3], b: t[4], scaling: 1.5, outputs: 0..<3),
             LowRankUpdate(a: t[5], b: t[6], scaling: -0.5, outputs: 5..<7)]
        }
        let inputs = [x, w, bias, a1, b1, a2, b2]
        try checkGradients("linear with two low-rank updates", inputs) {
            try $0[0].linear(weight: $0[1], bias: $0[2], updates: updates($0))
        }
        try checkGradients("linear with one update, transposed input view", [x.transposed(1, 2).contiguous(), w, a1, b1]) { t in
            try t[0].transposed(1, 2).linear(weight: t[1], updates: [LowRankUpdate(a: t[2], b: t[3], scaling: 2, outputs: 4..<7)])
        }
        let fused = try withNoGrad { try x.linear(weight: w, bias: bias, updates: updates(inputs)) }
        let composed = try withNoGrad { () -> Tensor in
            let y = try x.linear(weight: w, bias: bias)
            let d1 = try x.linear(weight: a1).linear(weight: b1) * 1.5, d2 = try x.linear(weight: a2).linear(weight: b2) * -0.5
            return try Tensor.concat([try y.slice(axis: 2, 0..<3) + d1, try y.slice(axis: 2, 3..<5), try y.slice(axis: 2, 5..<7) + d2], axis: 2)
        }
        assertClose(fused.scalars, composed.scalars, tolerance: 1e-5, "fused vs composed low-rank linear")
        // Only the adapters train (frozen x, weight): gradients reach A and B alone.
        for t in inputs { t.requiresGrad = false; t.grad = nil }
        a1.requiresGrad = true; b1.requiresGrad = true
        try x.linear(weight: w, updates: [LowRankUpdate(a: a1, b: b1, scaling: 1, outputs: 2..<5)]).sum().backward()
        XCTAssertNil(x.grad)
        XCTAssertNil(w.grad)
        XCTAssertEqual(a1.grad?.shape, [2, 5])
        XCTAssertEqual(b1.grad?.shape, [3, 2])
        XCTAssertThrowsError(try x.linear(weight: w, updates: [LowRankUpdate(a: a1, b: b1, scaling: 1, outputs: 5..<8)]))
    }

    /// Big enough that every low-rank product is split into chunks across threads.
    func testLowRankLinearChunkedProductsMatchComposedGradients() throws {
        let x = randomTensor([520, 128], seed: 340), w = randomTensor([600, 128], seed: 341)
        let a1 = randomTensor([4, 128], seed: 342), b1 = randomTensor([300, 4], seed: 343)
        let a2 = randomTensor([4, 128], seed: 344), b2 = randomTensor([300, 4], seed: 345)
        let gradient = randomTensor([520, 600], seed: 346)
        func run(fused: Bool) throws -> [[Float]] {
            for t in [x, a1, b1, a2, b2] { t.requiresGrad = true; t.grad = nil }
            let y: Tensor
            if fused {
                y = try x.linear(weight: w, updates: [LowRankUpdate(a: a1, b: b1, scaling: 0.5, outputs: 0..<300),
                                                      LowRankUpdate(a: a2, b: b2, scaling: 2, outputs: 300..<600)])
            } else {
                let base = try x.linear(weight: w)
                y = try Tensor.concat([try base.slice(axis: 1, 0..<300) + x.linear(weight: a1).linear(weight: b1) * 0.5,
                                       try base.slice(axis: 1, 300..<600) + x.linear(weight: a2).linear(weight: b2) * 2], axis: 1)
            }
            try y.backward(gradient: gradient)
            return [y.scalars] + [x, a1, b1, a2, b2].map { $0.grad!.scalars }
        }
        let fused = try run(fused: true), composed = try run(fused: false)
        for (i, name) in ["y", "dx", "dA1", "dB1", "dA2", "dB2"].enumerated() {
            assertClose(fused[i], composed[i], tolerance: 1e-4, "chunked low-rank linear: \(name)")
        }
    }

    /// Each way the fused layer can compute: more rows than the in-place kernels take (the low-rank part
    /// written first, sgemm adding onto it) with output columns no update covers, few rows (the low-rank part
    /// added after), overlapping updates, rank 8 (the one-pass gradient kernel on unpadded rows), rank 3
    /// (padded), rank 12 (separate products), rank 40 (past the rank-update kernel: sgemm), and a bias;
    /// forward and every gradient against composed ops.
    func testLowRankLinearKernelPathsMatchComposed() throws {
        struct Case { let rows: Int; let updates: [(rank: Int, outputs: Range<Int>)] }
        let (inFeatures, outFeatures) = (40, 90)
        let cases = [Case(rows: 130, updates: [(8, 0..<30), (3, 40..<70), (12, 75..<90)]),
                     Case(rows: 20, updates: [(8, 10..<50), (12, 60..<61), (40, 70..<90)]),
                     Case(rows: 100, updates: [(8, 0..<60), (4, 30..<90), (40, 85..<90)])]
        for (n, c) in cases.enumerated() {
            let seed = UInt64(400 + 20 * n)
            let x = randomTensor([c.rows, inFeatures], seed: seed), w = randomTensor([outFeatures, inFeatures], seed: seed + 1)
            let bias = randomTensor([outFeatures], seed: seed + 2), gradient = randomTensor([c.rows, outFeatures], seed: seed + 3)
            let adapters = c.updates.enumerated().map { i, u in
                (a: randomTensor([u.rank, inFeatures], seed: seed + 4 + UInt64(2 * i)),
                 b: randomTensor([u.outputs.count, u.rank], seed: seed + 5 + UInt64(2 * i)))
            }
            let scalings: [Float] = [0.5, 2, -1, 0.25]
            func run(fused: Bool) throws -> [[Float]] {
                let leaves = [x] + adapters.flatMap { [$0.a, $0.b] }
                for t in leaves { t.requiresGrad = true; t.grad = nil }
                var y: Tensor
                if fused {
                    y = try x.linear(weight: w, bias: bias, updates: zip(c.updates, adapters).enumerated().map { i, p in
                        LowRankUpdate(a: p.1.a, b: p.1.b, scaling: scalings[i], outputs: p.0.outputs)
                    })
                } else {
                    y = try x.linear(weight: w, bias: bias)
                    for (i, (u, p)) in zip(c.updates, adapters).enumerated() {
                        let delta = try x.linear(weight: p.a).linear(weight: p.b) * scalings[i]
                        var parts: [Tensor] = []
                        if u.outputs.lowerBound > 0 { parts.append(try y.slice(axis: 1, 0..<u.outputs.lowerBound)) }
                        parts.append(try y.slice(axis: 1, u.outputs) + delta)
                        if u.outputs.upperBound < outFeatures { parts.append(try y.slice(axis: 1, u.outputs.upperBound..<outFeatures)) }
                        y = try Tensor.concat(parts, axis: 1)
                    }
                }
                try y.backward(gradient: gradient)
                return [y.scalars] + leaves.map { $0.grad!.scalars }
            }
            let fused = try run(fused: true), composed = try run(fused: false)
            let names = ["y", "dx"] + c.updates.indices.flatMap { ["dA\($0)", "dB\($0)"] }
            for (i, name) in names.enumerated() {
                assertClose(fused[i], composed[i], tolerance: 1e-4, "case \(n) (\(c.rows) rows): \(name)")
            }
        }
    }

    func testLogSoftmaxGatheringMatchesComposedAndGradients() throws {
        let x = randomTensor([2, 3, 11], seed: 310, low: -3, high: 3)
        let indices = [0, 4, 10, 10, 3, 3, 7, 1, 2, 9, 5, 6]  // 2 per row, repeats included
        try checkGradients("logSoftmax(gathering:)", [x]) { try $0[0].logSoftmax(gathering: indices) }
        let fused = try x.logSoftmax(gathering: indices), composed = try x.logSoftmax().gather(lastAxis: indices)
        XCTAssertEqual(fused.shape, [2, 3, 2])
        XCTAssertEqual(fused.scalars, composed.scalars)
        let banned = try Tensor(shape: [2, 3], scalars: [1, -.infinity, 2, -.infinity, -.infinity, -.infinity])
        XCTAssertEqual(try banned.logSoftmax(gathering: [0, 2, 1, 2]).scalars, try banned.logSoftmax().gather(lastAxis: [0, 2, 1, 2]).scalars)
        XCTAssertThrowsError(try x.logSoftmax(gathering: [0, 11, 1, 2, 3, 4]))
        XCTAssertThrowsError(try x.logSoftmax(gathering: [0, 1, 2, 3, 4]))
    }

    func testSwiGLUMatchesComposedAndGradients() throws {
        let x = randomTensor([2, 3, 38], seed: 320, low: -3, high: 3)  // F = 19: SIMD body and tail
        try checkGradients("swiGLU", [x]) { try $0[0].swiGLU() }
        let composed = try x.slice(axis: 2, 0..<19).silu() * x.slice(axis: 2, 19..<38)
        XCTAssertEqual(try x.swiGLU().scalars, composed.scalars)
        x.grad = nil
        try (x.swiGLU() * 3).sum().backward()
        let fusedGrad = x.grad!.scalars
        x.grad = nil
        try (composed * 3).sum().backward()
        XCTAssertEqual(fusedGrad, x.grad!.scalars)
        XCTAssertThrowsError(try randomTensor([2, 5], seed: 1).swiGLU())
    }

    func testReshapeOfStridedViewsIsAViewWhenTheLayoutAllows() throws {
        let fused = randomTensor([2, 3, 12], seed: 330)
        let k = try fused.slice(axis: 2, 4..<8)                  // [2, 3, 4], row stride 12
        let heads = try k.reshaped([2, 3, 2, 2])
        XCTAssertTrue(heads.storage === fused.storage, "splitting the channel slice needs no copy")
        XCTAssertEqual(heads.strides, [36, 12, 2, 1])
        XCTAssertEqual(heads.scalars, k.contiguous().scalars)
        let merged = try k.reshaped([6, 4])                      // batch and time merge: rows are 12 apart
        XCTAssertTrue(merged.storage === fused.storage)
        XCTAssertEqual(merged.scalars, k.contiguous().scalars)
        let flat = try k.reshaped([24])                          // channels are not contiguous with time: a copy
        XCTAssertFalse(flat.storage === fused.storage)
        XCTAssertEqual(flat.scalars, k.contiguous().scalars)
        let t = try fused.transposed(0, 2).reshaped([12, 6])     // transposed: a copy, in row-major order
        XCTAssertEqual(t.scalars, try fused.transposed(0, 2).contiguous().scalars)
        try checkGradients("reshape of a slice", [fused]) { try $0[0].slice(axis: 2, 4..<8).reshaped([2, 3, 2, 2]) }
    }
}
