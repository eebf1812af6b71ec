import XCTest
import CKernels
@testable import Tensors

/// CKernels' blocked GEMM (gemm_blocked.c), which takes the large products on CPUs with AVX-512: against float64
/// sums, and the bits it promises — the same on any thread count, from the portable kernel as from the AVX-512
/// one, and for a row or column of C whatever else is computed with it.
final class BlockedGemmTests: XCTestCase {
    override func tearDown() {
        KernelThreads.set(cpuCount)
        super.tearDown()
    }

    /// C = alpha·op(A)·op(B) + beta·start through gfn_gemm_blocked; A and B in the layouts the transposes name.
    private func blocked(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: Tensor, _ b: Tensor, alpha: Float,
                         beta: Float, start: Tensor, threads: Int, portable: Bool = false) -> [Float] {
        let c = start.contiguousCopy()
        var source = gfn_gemm_b(b: b.pointer, ldb: tb ? k : n, transposed: tb ? 1 : 0, type: 0, rows: nil)
        gfn_gemm_blocked(ta ? 1 : 0, m, n, k, alpha, a.pointer, ta ? m : k, &source, beta, c.pointer, n, Int32(threads), portable ? 1 : 0)
        return c.scalars
    }

    func testTheDepthBlocksDependOnKAloneAndKeepQuantisedBlocksWhole() {
        XCTAssertEqual(gfn_gemm_blocked_depth(576), 576, "up to 640, one block")
        XCTAssertEqual(gfn_gemm_blocked_depth(1536), 384)
        XCTAssertEqual(gfn_gemm_blocked_depth(7281), 384)
        for k in [641, 1000, 3072, 49_152] { XCTAssertEqual(gfn_gemm_blocked_depth(k) % 32, 0, "k = \(k)") }
    }

    /// Every transpose, β 0, 1 and −0.75, alpha 1 and 0.5, shapes with tails of the 12 × 32 tiles and one to several
    /// blocks of k, and 4100 rows (which go through in chunks of 2040); each output within γ_k·Σ|a·b| of the
    /// float64 sum (plus β·C's rounding).
    func testProductsAgainstFloat64Sums() throws {
        let shapes = [(65, 64, 40), (130, 100, 641), (97, 333, 1300), (640, 576, 576), (77, 64, 2100), (4100, 64, 700)]
        for (index, (m, n, k)) in shapes.enumerated() {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = randomTensor(ta ? [k, m] : [m, k], seed: UInt64(index * 4 + 1)), b = randomTensor(tb ? [n, k] : [k, n], seed: UInt64(index * 4 + 2))
                let start = randomTensor([m, n], seed: UInt64(index * 4 + 3))
                let (av, bv, sv) = (a.scalars, b.scalars, start.scalars)
                for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1), (1, -0.75)] {
                    let c = blocked(ta, tb, m, n, k, a, b, alpha: alpha, beta: beta, start: start, threads: 2)
                    for index in stride(from: 0, to: m * n, by: Swift.max(1, m * n / 53)) {
                        let (i, j) = (index / n, index % n)
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let term = Double(av[ta ? p * m + i : i * k + p]) * Double(bv[tb ? j * k + p : p * n + j])
                            sum += term
                            magnitude += abs(term)
                        }
                        let exact = Double(alpha) * sum + Double(beta) * Double(sv[index])
                        let bound = Double(k + 2) * 0x1p-24 * (Double(alpha) * magnitude + abs(Double(beta) * Double(sv[index]))) + 1e-30
                        XCTAssertLessThanOrEqual(abs(Double(c[index]) - exact), bound,
                                                 "\(m)×\(n)×\(k) transposes \(ta) \(tb), α \(alpha) β \(beta), at (\(i), \(j))")
                    }
                }
            }
        }
    }

    /// 640×64×7281 packs op(A) in three runs of k blocks (the packed A is held to 2²¹ floats).
    func testTheSameBitsOnAnyThreadCountAndFromThePortableKernel() {
        for (m, n, k) in [(640, 576, 1536), (130, 2000, 64), (700, 123, 333), (640, 64, 7281)] {
            for (ta, tb) in [(false, false), (false, true), (true, false)] {
                let a = randomTensor(ta ? [k, m] : [m, k], seed: UInt64(m)), b = randomTensor(tb ? [n, k] : [k, n], seed: UInt64(n))
                let start = randomTensor([m, n], seed: 9)
                for beta: Float in [0, 1] {
                    let one = blocked(ta, tb, m, n, k, a, b, alpha: 1.5, beta: beta, start: start, threads: 1)
                    for threads in [2, 3, 5, 8] {
                        XCTAssertEqual(blocked(ta, tb, m, n, k, a, b, alpha: 1.5, beta: beta, start: start, threads: threads), one,
                                       "\(m)×\(n)×\(k) transposes \(ta) \(tb) β \(beta): 1 and \(threads) threads differ")
                    }
                    if beta == 1 {  // the portable kernel is slow; once per shape and transpose
                        XCTAssertEqual(blocked(ta, tb, m, n, k, a, b, alpha: 1.5, beta: beta, start: start, threads: 2, portable: true), one,
                                       "\(m)×\(n)×\(k) transposes \(ta) \(tb) β \(beta): the portable kernel differs")
                    }
                }
            }
        }
    }

    /// A row of x·Wᵀ gives the same bits in a batch of 640 rows as alone among 70 others, and a column in any
    /// slice of the columns: each element's sum is fixed by k, not by the tile or the pieces it falls in.
    func testARowOrAColumnDoesNotDependOnTheRestOfTheProduct() {
        let (m, n, k) = (640, 576, 1536)
        let x = randomTensor([m, k], seed: 31), w = randomTensor([n, k], seed: 32)
        let zero = Tensor(shape: [m, n], repeating: 0)
        let whole = blocked(false, true, m, n, k, x, w, alpha: 1, beta: 0, start: zero, threads: 2)
        // Rows 123 ..< 193 alone.
        let rows = Tensor(uninitializedShape: [70, k])
        rows.pointer.update(from: x.pointer + 123 * k, count: 70 * k)
        let part = blocked(false, true, 70, n, k, rows, w, alpha: 1, beta: 0, start: Tensor(shape: [70, n], repeating: 0), threads: 3)
        XCTAssertEqual(part, Array(whole[(123 * n)..<(193 * n)]))
        // Columns 37 ..< 137 (W's rows) alone: not on a 32-column panel boundary.
        let columns = Tensor(uninitializedShape: [100, k])
        columns.pointer.update(from: w.pointer + 37 * k, count: 100 * k)
        let slice = blocked(false, true, m, 100, k, x, columns, alpha: 1, beta: 0, start: Tensor(shape: [m, 100], repeating: 0), threads: 2)
        for i in stride(from: 0, to: m, by: 7) {
            XCTAssertEqual(Array(slice[(i * 100)..<(i * 100 + 100)]), Array(whole[(i * n + 37)..<(i * n + 137)]), "row \(i)")
        }
    }

    func testBetaZeroNeverReadsC() {
        let (m, n, k) = (100, 80, 300)
        let a = randomTensor([m, k], seed: 1), b = randomTensor([k, n], seed: 2)
        let c = blocked(false, false, m, n, k, a, b, alpha: 1, beta: 0, start: Tensor(shape: [m, n], repeating: .nan), threads: 2)
        XCTAssertFalse(c.contains { $0.isNaN })
    }

    /// The products that reach `sgemm` take this GEMM where `blockedGemmTakes` says so (AVX-512 CPUs).
    func testMatmulRoutesLargeProductsHere() throws {
        XCTAssertFalse(blockedGemmTakes(64, 576, 576), "64 rows and fewer go to the in-place kernels")
        XCTAssertFalse(blockedGemmTakes(640, 8, 576), "a low-rank product's 8 columns would waste three quarters of a tile")
        XCTAssertEqual(blockedGemmTakes(640, 576, 576), gfn_gemm_blocked_fast() != 0)
        let a = randomTensor([3, 130, 200], seed: 4), b = randomTensor([200, 96], seed: 5)
        let c = try Tensor.matmul(a, b)
        let expected = blocked(false, false, 390, 96, 200, a, b, alpha: 1, beta: 0, start: Tensor(shape: [390, 96], repeating: 0), threads: 1)
        if blockedGemmTakes(390, 96, 200) { XCTAssertEqual(c.scalars, expected) }
    }
}
