import XCTest
import Glibc
import CKernels
@testable import Tensors

/// Every BLAS-backed or fused kernel against a naive reference loop written out here.
final class KernelReferenceTests: XCTestCase {
    /// C[m][n] = Σ_k A[m][k]·B[k][n] over row-major arrays.
    func naiveMatmul(_ a: [Float], _ b: [Float], _ m: Int, _ k: Int, _ n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { var s: Float = 0; for p in 0..<k { s += a[i * k + p] * b[p * n + j] }; c[i * n + j] = s } }
        return c
    }

    func naiveTranspose(_ a: [Float], _ rows: Int, _ cols: Int) -> [Float] {
        var t = [Float](repeating: 0, count: rows * cols)
        for i in 0..<rows { for j in 0..<cols { t[j * rows + i] = a[i * cols + j] } }
        return t
    }

    func testMatmulAgainstNaiveLoops() throws {
        let (m, k, n) = (7, 13, 5)
        let a = randomTensor([m, k], seed: 1), b = randomTensor([k, n], seed: 2)
        let expected = naiveMatmul(a.scalars, b.scalars, m, k, n)
        assertClose(try Tensor.matmul(a, b).scalars, expected, "matmul")
        let at = try Tensor(shape: [k, m], scalars: naiveTranspose(a.scalars, m, k))
        let bt = try Tensor(shape: [n, k], scalars: naiveTranspose(b.scalars, k, n))
        assertClose(try Tensor.matmul(at, b, transposeA: true).scalars, expected, "transposeA")
        assertClose(try Tensor.matmul(a, bt, transposeB: true).scalars, expected, "transposeB")
        assertClose(try Tensor.matmul(at, bt, transposeA: true, transposeB: true).scalars, expected, "both")
        assertClose(try Tensor.matmul(at.transposed(), bt.transposed()).scalars, expected, "transposed views")
        // A transposed view combined with the transpose flag reads the original layout.
        assertClose(try Tensor.matmul(at.transposed(), b.transposed(), transposeB: true).scalars, expected, "view + flag")
    }

    /// Products of at most `inPlaceRowsLimit` rows (x·wᵀ) or `fewRowsLimit` rows (x·w) take CKernels:
    /// tails in every dimension (panels of 16 and 8 rows, groups of 12 columns, k mod 16), several k
    /// blocks (k > 576), the threaded
    /// split of x·wᵀ (n·k above the parallel threshold), each limit and one row past it (sgemm), all
    /// against naive loops; the split must not change a single bit.
    func testFewRowKernelsAgainstNaiveLoops() throws {
        for (m, k, n) in [(1, 5, 3), (3, 13, 7), (fewRowsLimit, 1031, 258), (fewRowsLimit + 1, 37, 9), (2, 8, 4),
                          (inPlaceRowsLimit, 1300, 203), (inPlaceRowsLimit + 1, 67, 30), (50, 641, 6)] {
            let a = randomTensor([m, k], seed: UInt64(m * 31 + k)), b = randomTensor([k, n], seed: UInt64(n))
            let expected = naiveMatmul(a.scalars, b.scalars, m, k, n)
            let bt = try Tensor(shape: [n, k], scalars: naiveTranspose(b.scalars, k, n))
            assertClose(try Tensor.matmul(a, b).scalars, expected, "x·w \(m)×\(k)×\(n)")
            assertClose(try Tensor.matmul(a, bt, transposeB: true).scalars, expected, "x·wᵀ \(m)×\(k)×\(n)")
            let saved = KernelThreads.count
            KernelThreads.set(1)
            let serial = try Tensor.matmul(a, bt, transposeB: true).scalars
            KernelThreads.set(2)
            let split = try Tensor.matmul(a, bt, transposeB: true).scalars
            KernelThreads.set(saved)
            XCTAssertEqual(serial, split, "x·wᵀ \(m)×\(k)×\(n): the thread split changed the result")
        }
    }

    /// Products through cblas_sgemm give the same bits on 1, 2 and 3 threads (kernel and BLAS threads set
    /// alike, as mpirun's ranks get them): OpenBLAS's threaded driver blocks k differently from its
    /// single-threaded one, and these k (5000, 7281, 326) are among those where its bits changed. The
    /// products with k at least 4 times m and n (all but 300×300×326) are cut along k (`depthCutPays`), with
    /// 4 pieces or (40×24×4096) 2; each with C added to (β = 1) and written (β = 0), every transpose.
    func testSgemmIsTheSameOnAnyThreadCount() throws {
        let saved = (KernelThreads.count, BLAS.threadCount)
        defer { KernelThreads.set(saved.0); BLAS.setThreadCount(saved.1) }
        XCTAssertTrue(depthCutPays(88, 576, 7281) && depthCutPays(40, 24, 4096) && !depthCutPays(300, 300, 326))
        for (m, n, k) in [(88, 576, 7281), (640, 200, 5000), (300, 300, 326), (40, 24, 4096)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for beta: Float in [1, 0] {
                    let a = randomTensor(ta ? [k, m] : [m, k], seed: UInt64(m + k)), b = randomTensor(tb ? [n, k] : [k, n], seed: UInt64(n))
                    let start = randomTensor([m, n], seed: 5)
                    var results: [[Float]] = []
                    for threads in [1, 2, 3] {
                        KernelThreads.set(threads)
                        BLAS.setThreadCount(threads)
                        let c = start.contiguousCopy()
                        sgemm(ta, tb, m, n, k, 0.5, a.pointer, ta ? m : k, b.pointer, tb ? k : n, beta, c.pointer, n)
                        results.append(c.scalars)
                    }
                    // A sample of outputs against float64 sums (the whole naive product is slow in a debug build).
                    let (av, bv, sv) = (a.scalars, b.scalars, start.scalars)
                    for index in stride(from: 0, to: m * n, by: m * n / 37) {
                        let (i, j) = (index / n, index % n)
                        var sum = 0.0
                        for p in 0..<k { sum += Double(av[ta ? p * m + i : i * k + p]) * Double(bv[tb ? j * k + p : p * n + j]) }
                        XCTAssertEqual(Double(results[0][index]), Double(beta * sv[index]) + 0.5 * sum, accuracy: 1e-3,
                                       "sgemm \(m)×\(n)×\(k), β = \(beta), at (\(i), \(j))")
                    }
                    XCTAssertEqual(results[0], results[1], "sgemm \(m)×\(n)×\(k) transposes \(ta) \(tb), β = \(beta): 1 and 2 threads differ")
                    XCTAssertEqual(results[0], results[2], "sgemm \(m)×\(n)×\(k) transposes \(ta) \(tb), β = \(beta): 1 and 3 threads differ")
                }
            }
        }
    }

    /// OpenBLAS's path (what CPUs without AVX-512 run for these shapes): products cut along C are cut into
    /// one piece per worker (one call on one worker), and a piece of C
    /// equals the same rows or columns of one whole call bit for bit while it stays above OpenBLAS's
    /// small-matrix kernel: so 1, 2, 3, 5 and 8 workers give the same bits, on SmolLM2's training shapes
    /// and odd ones, every transpose, β 0 and 1.
    func testACutAlongCFollowsTheWorkersWithoutChangingABit() throws {
        XCTAssertEqual(columnOrRowPieces(side: 1536, work: 640 * 1536 * 576, workers: 1), 1)
        XCTAssertEqual(columnOrRowPieces(side: 1536, work: 640 * 1536 * 576, workers: 2), 2)
        XCTAssertEqual(columnOrRowPieces(side: 1536, work: 640 * 1536 * 576, workers: 200), 73, "each piece keeps 2²¹ multiply-adds with its bounds rounded down to 16")
        XCTAssertEqual(columnOrRowPieces(side: 64, work: 64 * 50 * 700, workers: 2), 1, "a half would reach the small-matrix kernel")
        let saved = (KernelThreads.count, BLAS.threadCount)
        defer { KernelThreads.set(saved.0); BLAS.setThreadCount(saved.1) }
        for (m, n, k) in [(640, 576, 576), (640, 1536, 576), (576, 640, 1536), (37, 1536, 576), (700, 123, 333), (130, 2000, 64)] {
            XCTAssertFalse(depthCutPays(m, n, k))
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for beta: Float in [0, 1] {
                    let a = randomTensor(ta ? [k, m] : [m, k], seed: UInt64(m * 7 + k)), b = randomTensor(tb ? [n, k] : [k, n], seed: UInt64(n + 3))
                    let start = randomTensor([m, n], seed: 6)
                    var results: [[Float]] = []
                    for threads in [1, 2, 3, 5, 8] {
                        KernelThreads.set(threads)
                        BLAS.setThreadCount(Swift.min(threads, 2))
                        let c = start.contiguousCopy()
                        openBLASPiecesSgemm(ta, tb, m, n, k, 1.5, a.pointer, ta ? m : k, b.pointer, tb ? k : n, beta, c.pointer, n)
                        results.append(c.scalars)
                    }
                    for (i, threads) in [2, 3, 5, 8].enumerated() {
                        XCTAssertEqual(results[0], results[i + 1], "sgemm \(m)×\(n)×\(k) transposes \(ta) \(tb), β = \(beta): 1 and \(threads) workers differ")
                    }
                }
            }
        }
    }

    /// A row of x·wᵀ gives the same bits whatever batch it is multiplied in, first or last: any batch of
    /// 5 to `inPlaceRowsLimit` rows, and any of 1 to 4 (a decoding row samples the same token whether 5
    /// or 64 rows decode with it). The two ranges sum in different orders.
    func testInPlaceProductIsBatchInvariant() throws {
        let (k, n) = (1300, 37)
        let w = randomTensor([n, k], seed: 9), x = randomTensor([inPlaceRowsLimit, k], seed: 10)
        for (batch, sizes) in [(inPlaceRowsLimit, [5, 6, 17, 33, 64]), (4, [1, 2, 3])] {
            let xb = try Tensor(shape: [batch, k], scalars: Array(x.scalars[0..<(batch * k)]))
            let all = try Tensor.matmul(xb, w, transposeB: true).scalars
            for m in sizes {
                let first = try Tensor(shape: [m, k], scalars: Array(x.scalars[0..<(m * k)]))
                let last = try Tensor(shape: [m, k], scalars: Array(x.scalars[((batch - m) * k)..<(batch * k)]))
                XCTAssertEqual(try Tensor.matmul(first, w, transposeB: true).scalars, Array(all[0..<(m * n)]),
                               "the first \(m) rows alone differ from the same rows in a batch of \(batch)")
                XCTAssertEqual(try Tensor.matmul(last, w, transposeB: true).scalars, Array(all[((batch - m) * n)...]),
                               "the last \(m) rows alone differ from the same rows in a batch of \(batch)")
            }
        }
    }

    /// The x·wᵀ kernel's contract, bit for bit: each output is one fused multiply-add chain over k in
    /// order, from zero, times alpha, from 5 rows up: panels of 16 and of at most 8 rows, every
    /// column-group tail and k blocks with a tail, on one thread and split across two.
    func testInPlaceProductIsOneFusedChainPerOutput() throws {
        for (m, k, n) in [(5, 7, 5), (5, 90, 13), (7, 64, 40), (8, 1300, 37), (9, 33, 13), (16, 577, 24), (23, 1153, 29), (inPlaceRowsLimit, 700, 400)] {
            let x = randomTensor([m, k], seed: UInt64(m + k)), w = randomTensor([n, k], seed: UInt64(n))
            let xs = x.scalars, ws = w.scalars
            var expected = [Float](repeating: 0, count: m * n)
            for r in 0..<m {
                for j in 0..<n {
                    var acc: Float = 0
                    for p in 0..<k { acc = acc.addingProduct(ws[j * k + p], xs[r * k + p]) }
                    expected[r * n + j] = 0.5 * acc
                }
            }
            let saved = KernelThreads.count
            defer { KernelThreads.set(saved) }
            for threads in [1, 2] {
                KernelThreads.set(threads)
                XCTAssertEqual(try Tensor.gemm(x, w, transposeA: false, transposeB: true, alpha: 0.5).scalars, expected,
                               "x·wᵀ \(m)×\(k)×\(n) on \(threads) thread(s) is not one fused chain per output")
            }
        }
    }

    /// The few-row x·w kernel's contract, bit for bit: each output is one fused multiply-add chain over k in
    /// order, from zero, times alpha, whatever the row's place in its tile of 6 and for every column tail
    /// (also for more rows when the product is small: one attention head's P·V).
    func testFewRowProductIsOneFusedChainPerOutput() throws {
        for (m, k, n) in [(1, 7, 5), (2, 33, 16), (5, 40, 8), (6, 100, 21), (7, 64, 40), (fewRowsLimit, 129, 37), (40, 40, 64)] {
            let x = randomTensor([m, k], seed: UInt64(m + 2 * k)), w = randomTensor([k, n], seed: UInt64(3 * n))
            let xs = x.scalars, ws = w.scalars
            var expected = [Float](repeating: 0, count: m * n)
            for r in 0..<m {
                for j in 0..<n {
                    var acc: Float = 0
                    for p in 0..<k { acc = acc.addingProduct(xs[r * k + p], ws[p * n + j]) }
                    expected[r * n + j] = 0.5 * acc
                }
            }
            XCTAssertEqual(try Tensor.gemm(x, w, transposeA: false, transposeB: false, alpha: 0.5).scalars, expected,
                           "x·w \(m)×\(k)×\(n) is not one fused chain per output")
        }
    }

    /// c (+)= alpha·pᵀ·q with a short k (LoRA's rank): tiles of 6 rows, 16- and 8-column tails, a row range
    /// that leaves the rows outside it alone, writing and adding, one and two threads, and k past the
    /// kernel's limit (sgemm).
    func testRankUpdateAgainstNaiveLoops() throws {
        for (rows, n, k) in [(13, 37, 3), (70, 16, 8), (9, 5, 1), (64, 300, 24), (20, 30, rankUpdateLimit + 4)] {
            let p = randomTensor([k, rows], seed: UInt64(rows + n)), q = randomTensor([k, n], seed: UInt64(k))
            let start = randomTensor([rows, n], seed: 77)
            let product = naiveMatmul(naiveTranspose(p.scalars, k, rows), q.scalars, rows, k, n)
            let saved = KernelThreads.count
            defer { KernelThreads.set(saved) }
            for threads in [1, 2] {
                KernelThreads.set(threads)
                for accumulate in [false, true] {
                    let c = start.contiguousCopy()
                    rankUpdate(rows: rows, n: n, k: k, alpha: -1.5, p.pointer, rows, q.pointer, n, accumulate: accumulate, c.pointer, n)
                    let expected = zip(start.scalars, product).map { (accumulate ? $0 : 0) + -1.5 * $1 }
                    assertClose(c.scalars, expected, tolerance: 1e-5, "rank update \(rows)×\(n), k \(k), add \(accumulate), \(threads) thread(s)")
                }
            }
            // Rows outside [m0, m1) stay as they were.
            let c = start.contiguousCopy()
            gfn_gemm_rank_update(2, rows - 1, n, Swift.min(k, rankUpdateLimit), 1, p.pointer, rows, q.pointer, n, 1, c.pointer, n)
            XCTAssertEqual(Array(c.scalars[0..<(2 * n)]), Array(start.scalars[0..<(2 * n)]))
            XCTAssertEqual(Array(c.scalars[((rows - 1) * n)...]), Array(start.scalars[((rows - 1) * n)...]))
        }
    }

    func testBatchedMatmulAgainstNaiveLoops() throws {
        let (bs, m, k, n) = (3, 4, 6, 5)
        let a = randomTensor([bs, m, k], seed: 3), b = randomTensor([bs, k, n], seed: 4), w = randomTensor([k, n], seed: 5)
        var expected: [Float] = [], expectedShared: [Float] = []
        let av = a.scalars, bv = b.scalars
        for i in 0..<bs {
            let ai = Array(av[(i * m * k)..<((i + 1) * m * k)])
            expected += naiveMatmul(ai, Array(bv[(i * k * n)..<((i + 1) * k * n)]), m, k, n)
            expectedShared += naiveMatmul(ai, w.scalars, m, k, n)
        }
        assertClose(try Tensor.matmul(a, b).scalars, expected, "batched")
        XCTAssertEqual(try Tensor.matmul(a, w).shape, [bs, m, n])
        assertClose(try Tensor.matmul(a, w).scalars, expectedShared, "folded [B,M,K]·[K,N]")
        assertClose(try Tensor.matmul(a, w.unsqueezed(0)).scalars, expectedShared, "broadcast [1,K,N]")
        // A permuted (non-foldable) left operand.
        let ap = try a.permuted([1, 0, 2]).contiguousCopy().permuted([1, 0, 2])
        XCTAssertFalse(ap.isContiguous)
        assertClose(try Tensor.matmul(ap, w).scalars, expectedShared, "strided batch")
    }

    func testSoftmaxLogSoftmaxLogSumExpAgainstNaive() throws {
        let (rows, n) = (3, 37)
        let x = randomTensor([rows, n], seed: 6, low: -5, high: 5)
        let xv = x.scalars
        var sm: [Float] = [], lsm: [Float] = [], lse: [Float] = []
        for r in 0..<rows {
            let row = xv[(r * n)..<((r + 1) * n)].map(Double.init)
            let m = row.max()!
            let s = row.reduce(0) { $0 + Glibc.exp($1 - m) }
            sm += row.map { Float(Glibc.exp($0 - m) / s) }
            lsm += row.map { Float($0 - m - Glibc.log(s)) }
            lse.append(Float(m + Glibc.log(s)))
        }
        assertClose(try x.softmax().scalars, sm, tolerance: 1e-6, "softmax")
        assertClose(try x.logSoftmax().scalars, lsm, tolerance: 1e-6, "logSoftmax")
        assertClose(try x.logSumExp(axis: 1).scalars, lse, tolerance: 1e-6, "logsumexp")
        // −inf entries (masked) give exact zeros; a fully masked row gives zeros, not NaN.
        let masked = try Tensor(shape: [2, 3], scalars: [0, -.infinity, 1, -.infinity, -.infinity, -.infinity])
        let p = try masked.softmax().scalars
        XCTAssertEqual(p[1], 0)
        XCTAssertEqual(Array(p[3...]), [0, 0, 0])
    }

    func testVectorExpMatchesLibm() {
        let xs = stride(from: -90 as Float, through: 90, by: 0.173).map { $0 }
        let t = Tensor(xs).exp().scalars
        var worst: Float = 0
        for (x, y) in zip(xs, t) {
            let e = expf(x)
            if e.isFinite && e > 1e-37 { worst = max(worst, abs(y - e) / e) } else if e == 0 { XCTAssertEqual(y, 0) }
        }
        XCTAssertLessThan(worst, 3e-7, "exp max relative error \(worst)")
        XCTAssertEqual(Tensor([-.infinity, .infinity, 100]).exp().scalars, [0, .infinity, .infinity])
        XCTAssertTrue(Tensor([.nan]).exp().scalars[0].isNaN)
    }

    func testUnaryFunctionsAgainstLibm() {
        let xs = stride(from: -6 as Float, through: 6, by: 0.05).map { $0 }
        let x = Tensor(xs)
        func check(_ got: Tensor, _ f: (Double) -> Double, _ name: String, tol: Float = 2e-6) {
            assertClose(got.scalars, xs.map { Float(f(Double($0))) }, tolerance: tol, name)
        }
        check(x.tanh(), { Glibc.tanh($0) }, "tanh")
        check(x.sigmoid(), { 1 / (1 + Glibc.exp(-$0)) }, "sigmoid")
        check(x.silu(), { $0 / (1 + Glibc.exp(-$0)) }, "silu")
        check(x.gelu(), { 0.5 * $0 * (1 + Glibc.tanh(0.7978845608028654 * ($0 + 0.044715 * $0 * $0 * $0))) }, "gelu")
    }

    /// RMSNorm's backward over several row blocks (its weight gradient is summed per block) against the
    /// formula in Double: dx = r·ĝ − x·r³·mean(ĝ·x) with ĝ = g·w, dw = Σ_rows g·x·r.
    func testRMSNormBackwardAgainstNaive() throws {
        let (rows, c) = (70, 24)
        let x = randomTensor([rows, c], seed: 30, low: -2, high: 2), w = randomTensor([c], seed: 31, low: 0.5, high: 1.5)
        let g = randomTensor([rows, c], seed: 32)
        x.requiresGrad = true
        w.requiresGrad = true
        try x.rmsNorm(weight: w, epsilon: 1e-5).backward(gradient: g)
        let xv = x.scalars.map(Double.init), wv = w.scalars.map(Double.init), gv = g.scalars.map(Double.init)
        var dx = [Float](), dw = [Double](repeating: 0, count: c)
        for row in 0..<rows {
            let xr = Array(xv[(row * c)..<((row + 1) * c)]), gr = Array(gv[(row * c)..<((row + 1) * c)])
            let r = 1 / (xr.reduce(0) { $0 + $1 * $1 } / Double(c) + 1e-5).squareRoot()
            let mean = (0..<c).reduce(0) { $0 + gr[$1] * wv[$1] * xr[$1] } / Double(c)
            dx += (0..<c).map { Float(r * gr[$0] * wv[$0] - xr[$0] * r * r * r * mean) }
            for i in 0..<c { dw[i] += gr[i] * xr[i] * r }
        }
        assertClose(x.grad!.scalars, dx, tolerance: 1e-5, "rmsNorm dx")
        assertClose(w.grad!.scalars, dw.map(Float.init), tolerance: 1e-5, "rmsNorm dw")
    }

    func testLayerNormAndRMSNormAgainstNaive() throws {
        let (rows, c) = (4, 10)
        let x = randomTensor([rows, c], seed: 7, low: -3, high: 3), w = randomTensor([c], seed: 8), b = randomTensor([c], seed: 9)
        let xv = x.scalars, wv = w.scalars, bv = b.scalars
        var ln: [Float] = [], rms: [Float] = []
        for r in 0..<rows {
            let row = xv[(r * c)..<((r + 1) * c)].map(Double.init)
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c)
            ln += row.enumerated().map { Float(($1 - mean) / (variance + 1e-5).squareRoot()) * wv[$0] + bv[$0] }
            let ms = row.reduce(0) { $0 + $1 * $1 } / Double(c)
            rms += row.enumerated().map { Float($1 / (ms + 1e-6).squareRoot()) * wv[$0] }
        }
        assertClose(try x.layerNorm(weight: w, bias: b).scalars, ln, tolerance: 1e-5, "layerNorm")
        assertClose(try x.rmsNorm(weight: w).scalars, rms, tolerance: 1e-5, "rmsNorm")
    }

    func testRotaryEmbeddingAgainstNaiveFormula() throws {
        let (bs, t, h, d) = (1, 5, 2, 8)
        let x = randomTensor([bs, t, h, d], seed: 10)
        let xv = x.scalars
        let base = 10000.0
        for convention in [RotaryEmbedding.Convention.halfSplit, .adjacentPairs] {
            let rope = try RotaryEmbedding(dimension: d, base: Float(base), maxPositions: 32, convention: convention)
            var expected = xv
            for ti in 0..<t {
                let pos = Double(ti + 2)
                for hi in 0..<h {
                    let o = (ti * h + hi) * d
                    for i in 0..<(d / 2) {
                        let theta = pos * Glibc.pow(base, -2 * Double(i) / Double(d))
                        let (i1, i2) = convention == .halfSplit ? (i, i + d / 2) : (2 * i, 2 * i + 1)
                        let x1 = Double(xv[o + i1]), x2 = Double(xv[o + i2])
                        expected[o + i1] = Float(x1 * Glibc.cos(theta) - x2 * Glibc.sin(theta))
                        expected[o + i2] = Float(x1 * Glibc.sin(theta) + x2 * Glibc.cos(theta))
                    }
                }
            }
            assertClose(try rope(x, start: 2).scalars, expected, tolerance: 1e-5, "rope \(convention)")
            XCTAssertEqual(try rope(Tensor(shape: [2, 0, h, d], repeating: 0), start: 3).shape, [2, 0, h, d])  // no tokens
        }
    }

    /// Attention written out as loops in Double: causal, key padding by `lengths`, grouped heads.
    func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, lengths: [Int]) -> [Float] {
        let (bs, t, hq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, hkv) = (k.shape[1], k.shape[2])
        let qv = q.scalars, kv = k.scalars, vv = v.scalars
        var expected = [Float](repeating: 0, count: bs * t * hq * d)
        let scale = 1 / Double(d).squareRoot()
        for b in 0..<bs { for h in 0..<hq { for i in 0..<t {
            let g = h / (hq / hkv)
            var scores: [Double] = []
            for j in 0..<s {
                var dot = 0.0
                for c in 0..<d { dot += Double(qv[((b * t + i) * hq + h) * d + c]) * Double(kv[((b * s + j) * hkv + g) * d + c]) }
                let visible = j <= (s - t) + i && j < lengths[b]
                scores.append(visible ? dot * scale : -.infinity)
            }
            let m = scores.max()!
            let e = scores.map { Glibc.exp($0 - m) }
            let z = e.reduce(0, +)
            for c in 0..<d {
                var acc = 0.0
                for j in 0..<s { acc += e[j] / z * Double(vv[((b * s + j) * hkv + g) * d + c]) }
                expected[((b * t + i) * hq + h) * d + c] = Float(acc)
            }
        } } }
        return expected
    }

    /// Fused attention against naive loops, at a small size (one thread) and a size large enough
    /// to split (batch, head) pairs across cores.
    func testAttentionAgainstNaive() throws {
        for (bs, t, s, hq, hkv, d, lengths) in [(2, 3, 5, 4, 2, 4, [5, 3]), (2, 24, 40, 6, 2, 32, [40, 17]), (3, 1, 19, 9, 3, 64, [19, 12, 7])] {
            let q = randomTensor([bs, t, hq, d], seed: 11), k = randomTensor([bs, s, hkv, d], seed: 12)
            let v = randomTensor([bs, s, hkv, d], seed: 13)
            let mask = try Tensor.keyPaddingMask(lengths: lengths, keyLength: s)
            let expected = naiveAttention(q, k, v, lengths: lengths)
            assertClose(try Tensor.attention(query: q, key: k, value: v, mask: mask).scalars, expected, tolerance: 1e-5, "attention \(q.shape)")
            // The no-grad path (probabilities not kept) gives the same result.
            let fast = try withNoGrad { try Tensor.attention(query: q, key: k, value: v, mask: mask) }
            assertClose(fast.scalars, expected, tolerance: 1e-5, "attention no-grad \(q.shape)")
        }
    }

    /// One query row per head (decoding): the query heads sharing a key/value head go through one product, with the bits
    /// of one head at a time (keys and values repeated per head, so every head is its own group).
    func testGroupedQueryHeadsOfOneRowGiveEachHeadsBits() throws {
        for (bs, s, hq, hkv, d, lengths) in [(3, 19, 9, 3, 64, [19, 12, 7]), (1, 70, 8, 2, 32, [70]), (2, 5, 4, 4, 8, [5, 2])] {
            let q = randomTensor([bs, 1, hq, d], seed: 31), k = randomTensor([bs, s, hkv, d], seed: 32)
            let v = randomTensor([bs, s, hkv, d], seed: 33)
            let mask = try Tensor.keyPaddingMask(lengths: lengths, keyLength: s)
            let group = hq / hkv
            func repeated(_ x: Tensor) throws -> Tensor {
                let xs = x.scalars
                return try Tensor(shape: [bs, s, hq, d], scalars: (0..<(bs * s * hq * d)).map { i in
                    let (e, h, rest) = (i % d, i / d % hq, i / (d * hq))
                    return xs[(rest * hkv + h / group) * d + e]
                })
            }
            let (k1, v1) = (try repeated(k), try repeated(v))
            for recording in [false, true] {
                q.requiresGrad = recording
                let grouped = try Tensor.attention(query: q, key: k, value: v, mask: mask).scalars
                let each = try Tensor.attention(query: q, key: k1, value: v1, mask: mask).scalars
                XCTAssertEqual(grouped.map(\.bitPattern), each.map(\.bitPattern), "\(hq)/\(hkv) heads, s \(s), recording \(recording)")
            }
            q.requiresGrad = false
        }
    }

    /// Kernels split across cores must give the same values and gradients as on one thread.
    func testParallelKernelsMatchSingleThread() throws {
        let q = randomTensor([2, 24, 6, 32], seed: 21), k = randomTensor([2, 40, 2, 32], seed: 22)
        let v = randomTensor([2, 40, 2, 32], seed: 23), x = randomTensor([300, 1000], seed: 24)
        let w = randomTensor([1000], seed: 25)
        func run() throws -> [[Float]] {
            for t in [q, k, v, x, w] { t.requiresGrad = true; t.grad = nil }
            let a = try Tensor.attention(query: q, key: k, value: v)
            let y = try x.softmax().gelu() * x.rmsNorm(weight: w).silu()
            let ce = try x.crossEntropy(targets: (0..<300).map { $0 * 3 })
            let r = try RotaryEmbedding(dimension: 32, maxPositions: 64, convention: .halfSplit)(q, start: 5)
            try ((a * a).sum() + (y * y).sum() + ce + (r * r * r).sum()).backward()
            return [a.scalars, y.scalars, [try ce.item()], r.scalars] + [q, k, v, x, w].map { $0.grad!.scalars }
        }
        KernelThreads.set(1)
        let serial = try run()
        KernelThreads.set(cpuCount)
        let parallel = try run()
        for (i, (a, b)) in zip(serial, parallel).enumerated() {
            assertClose(b, a, tolerance: 1e-6, "result \(i), 1 vs \(cpuCount) threads")
        }
    }

    func testCrossEntropyAgainstNaive() throws {
        let logits = randomTensor([3, 9], seed: 14, low: -4, high: 4)
        let targets = [2, 8, 0]
        let lv = logits.scalars
        var total = 0.0
        for r in 0..<3 {
            let row = lv[(r * 9)..<((r + 1) * 9)].map(Double.init)
            let m = row.max()!
            total += m + Glibc.log(row.reduce(0) { $0 + Glibc.exp($1 - m) }) - row[targets[r]]
        }
        XCTAssertEqual(try logits.crossEntropy(targets: targets).item(), Float(total / 3), accuracy: 1e-5)
        let composed = try logits.logSoftmax().gather(lastAxis: targets).mean()
        XCTAssertEqual(try composed.item(), Float(-total / 3), accuracy: 1e-5)
    }

    func testEmbeddingGatherCumsumWhere() throws {
        let table = try Tensor(shape: [3, 2], scalars: [0, 1, 10, 11, 20, 21])
        XCTAssertEqual(try table.embedding([2, 0], shape: [2]).scalars, [20, 21, 0, 1])
        XCTAssertEqual(try table.gather(lastAxis: [1, 0, 1]).scalars, [1, 10, 21])
        XCTAssertEqual(try table.cumsum(axis: 0).scalars, [0, 1, 10, 12, 30, 33])
        XCTAssertEqual(try table.cumsum(axis: 1).scalars, [0, 1, 10, 21, 20, 41])
        let cond = try Tensor(shape: [3, 1], scalars: [1, 0, 1])
        XCTAssertEqual(try Tensor.where(cond, table, Tensor(-1)).scalars, [0, 1, -1, -1, 20, 21])
    }

    /// The portable C paths, which CPUs without AVX2+FMA take, against the same references.
    func testPortableKernelPathsAgainstReferences() throws {
        XCTAssertEqual(gfn_kernels_use_avx2(), 1, "this machine runs the AVX2 paths; the other tests check those")
        gfn_use_portable_kernels(1)
        defer { gfn_use_portable_kernels(0) }
        XCTAssertEqual(gfn_kernels_use_avx2(), 0)
        try testMatmulAgainstNaiveLoops()
        try testFewRowKernelsAgainstNaiveLoops()
        try testRankUpdateAgainstNaiveLoops()
        try testSoftmaxLogSoftmaxLogSumExpAgainstNaive()
        testVectorExpMatchesLibm()
        testUnaryFunctionsAgainstLibm()
        try testCrossEntropyAgainstNaive()
    }

    /// vector_math.c: an element's bits do not depend on where a call's range starts and ends (tensors are
    /// split into chunks across threads), special values come out right, and the portable path agrees
    /// with the AVX2 one to the polynomial's error.
    func testVectorMathIsChunkInvariantAndBothPathsAgree() {
        let specials: [Float] = [0, -0.0, 1e-30, -1e-30, 88.7, 88.8, -86.5, -86.7, -200, 200, .infinity, -.infinity, .nan]
        let xs = randomTensor([300], seed: 44, low: -20, high: 20).scalars + specials
        let gs = randomTensor([xs.count], seed: 45, low: -2, high: 2).scalars
        let us = randomTensor([xs.count], seed: 46, low: -2, high: 2).scalars
        typealias Kernel = (_ n: Int, _ offset: Int, _ out: UnsafeMutablePointer<Float>) -> Void
        func kernel(_ f: @escaping (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Kernel {
            { n, o, out in xs.withUnsafeBufferPointer { f(n, $0.baseAddress! + o, out) } }
        }
        func kernel2(_ f: @escaping (Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Kernel {
            { n, o, out in gs.withUnsafeBufferPointer { g in xs.withUnsafeBufferPointer { f(n, g.baseAddress! + o, $0.baseAddress! + o, out) } } }
        }
        let kernels: [(String, Kernel)] = [
            ("exp", kernel { gfn_exp_scaled($0, $1, 0, 1, $2) }),
            ("exp shifted, scaled", kernel { gfn_exp_scaled($0, $1, 3.5, -0.25, $2) }),
            ("exp with sum", kernel { _ = gfn_exp_sum($0, $1, 1.5, $2) }),
            ("sigmoid", kernel { gfn_sigmoid($0, $1, $2) }),
            ("tanh", kernel { gfn_tanh($0, $1, $2) }),
            ("silu", kernel { gfn_silu($0, $1, $2) }),
            ("gelu", kernel { gfn_gelu($0, $1, $2) }),
            ("silu backward", kernel2 { gfn_silu_backward($0, $1, $2, $3) }),
            ("gelu backward", kernel2 { gfn_gelu_backward($0, $1, $2, $3) }),
            ("swiglu", { n, o, out in
                xs.withUnsafeBufferPointer { x in us.withUnsafeBufferPointer { u in gfn_swiglu(n, x.baseAddress! + o, u.baseAddress! + o, out) } }
            }),
        ]
        func run(_ k: Kernel, pieces: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: xs.count)
            var start = 0
            out.withUnsafeMutableBufferPointer { o in
                for p in pieces + [xs.count] where start < xs.count {
                    let n = min(p, xs.count - start)
                    k(n, start, o.baseAddress! + start)
                    start += n
                }
            }
            return out
        }
        for (name, k) in kernels {
            let whole = run(k, pieces: [xs.count])
            let chunked = run(k, pieces: [3, 5, 17, 1, 8, 200, 9])
            XCTAssertEqual(whole.map(\.bitPattern), chunked.map(\.bitPattern), "\(name): chunked calls differ from one call")
            gfn_use_portable_kernels(1)
            let portable = run(k, pieces: [xs.count])
            gfn_use_portable_kernels(0)
            for (i, (a, b)) in zip(whole, portable).enumerated() {
                if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite || a == 0 || b == 0 {
                    XCTAssertEqual(a.isNaN, b.isNaN, "\(name) at x = \(xs[i]): \(a) vs \(b)")
                    if !a.isNaN { XCTAssertEqual(a, b, accuracy: 1e-30, "\(name) at x = \(xs[i])") }
                } else {
                    XCTAssertEqual(a, b, accuracy: 2e-6 * max(1, abs(a)), "\(name) at x = \(xs[i]): AVX2 vs portable")
                }
            }
        }
        // Specials: exp(−inf) = 0, exp(+inf) = +inf, exp(NaN) = NaN, on both paths; max ignores NaN; sums.
        for portable in [0, 1] as [Int32] {
            gfn_use_portable_kernels(portable)
            var out = [Float](repeating: 1, count: 3)
            gfn_exp_scaled(3, [-.infinity, .infinity, .nan], 0, 1, &out)
            XCTAssertEqual(out[0], 0)
            XCTAssertEqual(out[1], .infinity)
            XCTAssertTrue(out[2].isNaN)
            XCTAssertEqual(gfn_max(5, [1, .nan, 7, -3, 2]), 7)
            XCTAssertEqual(gfn_max(0, nil), -.infinity)
            let ones = [Float](repeating: 0, count: 37)
            XCTAssertEqual(gfn_exp_sum(37, ones, 0, nil), 37)
        }
        gfn_use_portable_kernels(0)
    }
}
