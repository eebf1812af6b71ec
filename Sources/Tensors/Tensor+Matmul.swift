import CBLAS
import CKernels

/// x·wᵀ products (w in PyTorch's [out, in] layout) with this many rows or fewer go to CKernels' packed
/// kernel, which packs x and reads w in place (see `sgemm`).
let inPlaceRowsLimit = 64

/// Columns of w the x·wᵀ kernel takes per tile (its `group_rows`): threads get whole groups.
let ntColumnGroup = 12

/// x·w products (w in [in, out] layout) with this many rows or fewer and at most 2²⁰ multiply-adds use
/// the few-row kernel; beyond 16 rows sgemm was as fast or faster.
let fewRowsLimit = 16

/// Matrix products through OpenBLAS `cblas_sgemm`: 2-D, and batched over leading dimensions
/// (which broadcast). Transposes never copy: a transposed operand, whether asked for with
/// `transposeA`/`transposeB` or passed as a `transposed()` view, becomes a `CblasTrans` flag and a
/// leading dimension. When the right operand has no batch dimensions and the left one's rows are
/// evenly spaced (e.g. activations [B, T, C] times weights), the whole product is one sgemm.

/// One operand as sgemm sees it: where each matrix starts, whether it is read transposed, its
/// leading dimension.
struct GemmOperand {
    let tensor: Tensor        // kept alive for the call; contiguous or a view BLAS can read
    let transposed: Bool      // XOR of the requested flag and the view's own layout
    let ld: Int
    let rows: Int, cols: Int  // of op(X), i.e. after the transpose
}

func gemmOperand(_ t: Tensor, transpose: Bool) -> GemmOperand {
    var x = t
    let r = x.rank
    let s0 = x.strides[r - 2], s1 = x.strides[r - 1]
    let d0 = x.shape[r - 2], d1 = x.shape[r - 1]
    // Row-major rows (unit column stride), or column-major (a transposed view).
    var viewTransposed = false
    var ld = 0
    if (s1 == 1 || d1 == 1) && s0 >= Swift.max(d1, 1) {
        ld = s0
    } else if (s0 == 1 || d0 == 1) && s1 >= Swift.max(d0, 1) {
        viewTransposed = true
        ld = s1
    } else {
        x = t.contiguous()
        ld = Swift.max(d1, 1)
    }
    if ld == 0 { ld = 1 }
    return GemmOperand(tensor: x, transposed: transpose != viewTransposed, ld: ld,
                       rows: transpose ? d1 : d0, cols: transpose ? d0 : d1)
}

/// C = alpha·op(A)·op(B) + beta·C, row-major. With beta = 0, x·wᵀ products of at most
/// `inPlaceRowsLimit` rows (a decoding step's batch, a 64-token forward pass, one head's attention
/// scores) and small x·w products of at most `fewRowsLimit` rows go to CKernels, which read the large
/// operand once in place; sgemm would first pack all of it (1 BLAS thread: 8×1536×576 0.45 → 0.24 ms,
/// 1×576×576 0.13 → 0.03 ms). So do the products small enough that OpenBLAS runs them on one thread
/// anyway (m·n·k ≤ 2¹⁸: one attention head's P·V, and aᵀ·b with beta 0 or 1, its dV and dK), where
/// sgemm's call and packing cost as much as the arithmetic (40×64×40: x·w 6–7 → 3.7–4.3 µs, aᵀ·b added
/// 4.1–4.8 → 3.1–4.4 µs). The x·wᵀ kernel packs x (the small operand) once per product and sums
/// every output in one fixed order, so a row's result does not depend on how many rows (1–4, or 5 and
/// up) are multiplied with it. Its output columns are split across kernel threads in dynamic chunks of
/// whole column groups, so a busy core slows it down instead of stalling it the way OpenBLAS's static
/// split does. Everything else is cblas_sgemm.
func sgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
           _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    if beta == 0 && !ta && tb && m <= inPlaceRowsLimit && m > 0 && k > 0 {
        // x is packed once here, then the column groups of w are shared out.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: gfn_gemm_nt_packed_count(m, k)) { packed in
            guard let xp = packed.baseAddress else { return }
            gfn_gemm_nt_pack(m, k, a, lda, xp)
            let groups = (n + ntColumnGroup - 1) / ntColumnGroup
            let ptrs = UncheckedSendable((UnsafePointer(xp), b, c))
            parallelChunks(groups, work: n * k) { range in
                let (px, pb, pc) = ptrs.value
                gfn_gemm_nt_packed(m, range.lowerBound * ntColumnGroup, Swift.min(n, range.upperBound * ntColumnGroup), k,
                                   alpha, px, pb, ldb, pc, ldc)
            }
        }
        return
    }
    if beta == 0 && !ta && !tb && m > 0 && k > 0 && fewRowKernelTakes(m, n, k) {
        gfn_gemm_nn_rows(m, n, k, alpha, a, lda, b, ldb, c, ldc)
        return
    }
    if ta && !tb && (beta == 0 || beta == 1) && m > 0 && n > 0 && m * n * k <= blasSingleThreadLimit {
        gfn_gemm_rank_update(0, m, n, k, alpha, a, lda, b, ldb, beta == 1 ? 1 : 0, c, ldc)
        return
    }
    threadCountInvariantSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// cblas_sgemm whose bits do not depend on any thread count. OpenBLAS's threaded driver blocks the
/// k dimension differently from its single-threaded one (measured with OpenBLAS 0.3.21's Cooperlake
/// kernels: most k above ~320, e.g. 88×576 products with k = 5000 or 7281, differ in the last bits between
/// 1 and 2 BLAS threads), and its single-threaded driver takes another kernel for small products (its
/// "small matrix" path), so the bits of a piece of C depend on the piece's size. So OpenBLAS always runs
/// on one thread here, and a large product is cut into pieces that depend on its shape alone
/// (`gemmPieces`), which the kernel threads share out — one thread runs the same pieces in turn. mpirun's
/// ranks, which get fewer threads than one process, then compute exactly what one process computes
/// (ThreadCountInvarianceTests); a busy core slows a product down instead of stalling OpenBLAS's static split.
func threadCountInvariantSgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    if blockedGemmTakes(m, n, k) {
        var source = gfn_gemm_b(b: b, ldb: ldb, transposed: tb ? 1 : 0, type: 0, rows: nil)
        gfn_gemm_blocked(ta ? 1 : 0, m, n, k, alpha, a, lda, &source, beta, c, ldc, Int32(KernelThreads.count), 0)
        return
    }
    openBLASPiecesSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

/// Whether a product goes to CKernels' blocked GEMM (gemm_blocked.c): on CPUs with AVX-512, from 65 rows (fewer go
/// to the in-place kernels) and 64 columns, 2²¹ multiply-adds and up. Every element of C is then one order of FMAs
/// fixed by k, so the bits depend on no thread count and on no other row or column of the product. One thread, on
/// SmolLM2's training shapes (640 rows; C against OpenBLAS 0.3.21's Cooperlake kernels, 2026-12-06): 102–109
/// GFLOP/s against OpenBLAS's 100–105, 104–109 against 93–100 when W is Q4_1 (dequantised into the packed panels
/// against dequantise-then-sgemm); two threads 192–210.
func blockedGemmTakes(_ m: Int, _ n: Int, _ k: Int) -> Bool {
    m > inPlaceRowsLimit && n >= 64 && k > 0 && m * n * k >= 1 << 21 && gfn_gemm_blocked_fast() != 0
}

/// The same product through OpenBLAS on one thread, in pieces that depend on the shape (or the workers, for a cut
/// along C, which changes no bit): what CPUs without AVX-512 run.
func openBLASPiecesSgemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                         _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                         _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let transA = ta ? CblasTrans : CblasNoTrans, transB = tb ? CblasTrans : CblasNoTrans
    let work = m * n * k
    let pieces = gemmPieces(work)
    BLAS.withOneThread {
        guard pieces > 1 else {
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        if depthCutPays(m, n, k) {
            depthCut(pieces, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // Each piece packs its own copy of the operand it shares with the others, so C is cut along the
        // side that shares the smaller one (A when cutting columns); bounds are multiples of 16. A cut along
        // C leaves every element's sum as one call computes it, as long as each piece stays above OpenBLAS's
        // small-matrix path, so here the pieces follow the worker count: one pack of the shared operand per thread.
        let box = UncheckedSendable((a, b, c))
        let columns = m <= n, side = columns ? n : m
        let cuts = columnOrRowPieces(side: side, work: work, workers: KernelThreads.count)
        guard cuts > 1 else {
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        parallelChunks(cuts, work: work) { range in
            let (pa, pb, pc) = box.value
            for piece in range {
                let lo = piece * side / cuts & ~15, hi = piece == cuts - 1 ? side : (piece + 1) * side / cuts & ~15
                guard lo < hi else { continue }
                if columns {
                    // Columns lo..<hi of C need columns lo..<hi of op(B): rows of B when it is read transposed.
                    cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(hi - lo), Int32(k), alpha, pa, Int32(lda),
                                pb + (tb ? lo * ldb : lo), Int32(ldb), beta, pc + lo, Int32(ldc))
                } else {
                    // Rows lo..<hi of C need rows lo..<hi of op(A): columns of A when it is read transposed.
                    cblas_sgemm(CblasRowMajor, transA, transB, Int32(hi - lo), Int32(n), Int32(k), alpha,
                                pa + (ta ? lo : lo * lda), Int32(lda), pb, Int32(ldb), beta, pc + lo * ldc, Int32(ldc))
                }
            }
        }
    }
}

/// Whether `threadCountInvariantSgemm` cuts a product along its inner dimension k rather than along C: when k is at
/// least 4 times both sides of C. A cut along C packs the operand the pieces share once per piece (all of W [k, n]
/// for each row piece of a backward dx = g·W with k = 3072 outputs, SmolLM2's gate/up); a cut along k packs each
/// operand once and adds the pieces' partial C [m, n] instead (one thread, OpenBLAS 0.3.21: dx of gate/up,
/// 640×576×3072, 25.4 → 24.0 ms in 4 pieces; the LM head's softmax·W tile, 640×576×6553, 52.9 → 50.2 ms; with k = 1536
/// the cut along C was faster, 12.1 vs 12.5 ms).
/// (k ≥ 64 keeps every slice of at most 4 non-empty.)
func depthCutPays(_ m: Int, _ n: Int, _ k: Int) -> Bool {
    k >= 64 && k >= 4 * Swift.max(m, n)
}

/// C = alpha·op(A)·op(B) + beta·C in `pieces` slices of k (bounds multiples of 16), each one sgemm on one BLAS thread:
/// the first writes into C (with beta), the others into partial products, which are then added to C in piece
/// order, so every element's sum has the same order whatever the thread count.
private func depthCut(_ pieces: Int, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    let transA = ta ? CblasTrans : CblasNoTrans, transB = tb ? CblasTrans : CblasNoTrans
    let partials = Tensor(uninitializedShape: [(pieces - 1) * m * n])
    let box = UncheckedSendable((a, b, c, partials.pointer))
    parallelChunks(pieces, work: m * n * k) { range in
        let (pa, pb, pc, pp) = box.value
        for piece in range {
            let lo = piece * k / pieces & ~15, hi = piece == pieces - 1 ? k : (piece + 1) * k / pieces & ~15
            let out = piece == 0 ? pc : pp + (piece - 1) * m * n, ldo = piece == 0 ? ldc : n
            // Columns lo..<hi of op(A) (rows of A when it is read transposed), rows lo..<hi of op(B).
            cblas_sgemm(CblasRowMajor, transA, transB, Int32(m), Int32(n), Int32(hi - lo), alpha, pa + (ta ? lo * lda : lo), Int32(lda),
                        pb + (tb ? lo : lo * ldb), Int32(ldb), piece == 0 ? beta : 0, out, Int32(ldo))
        }
    }
    parallelChunks(m, work: m * n * pieces) { rows in
        let (_, _, pc, pp) = box.value
        for r in rows {
            let cr = pc + r * ldc
            for piece in 1..<pieces { mapVec2(cr, pp + (piece - 1) * m * n + r * n, cr, n) { $0 + $1 } }
        }
    }
    withExtendedLifetime(partials) {}
}

/// Whether `threadCountInvariantSgemm` cuts a product of `work` multiply-adds at all (more than 1), and into how
/// many pieces a cut along k goes: a function of the shape only (never of the thread count), because the pieces'
/// partial sums are added in piece order. 4 from 2²³ multiply-adds, 2 from 2²¹, else 1. More would re-pack more.
func gemmPieces(_ work: Int) -> Int {
    work >= 1 << 23 ? 4 : work >= 1 << 21 ? 2 : 1
}

/// How many pieces a cut of C along `side` makes: at most one per worker, and few enough that the smallest
/// piece (bounds rounded down to multiples of 16) keeps at least `cutPieceWork` multiply-adds. OpenBLAS 0.3.21
/// sends products of at most 100³ multiply-adds to its small-matrix kernel, which sums in another order; above
/// that a piece of C equals the same rows or columns of one whole call bit for bit (KernelReferenceTests), so
/// the bits do not depend on the worker count.
func columnOrRowPieces(side: Int, work: Int, workers: Int) -> Int {
    var pieces = Swift.min(workers, side / 16)
    while pieces > 1 && (side / pieces - 15) * (work / side) < cutPieceWork { pieces -= 1 }
    return Swift.max(1, pieces)
}

/// The fewest multiply-adds a piece of a cut along C may have: twice OpenBLAS's small-matrix limit (100³).
let cutPieceWork = 1 << 21

/// Whether an x·w product (beta 0) of this shape goes to CKernels' few-row kernel rather than sgemm.
func fewRowKernelTakes(_ m: Int, _ n: Int, _ k: Int) -> Bool {
    m <= fewRowsLimit && m * n * k <= 1 << 20 || m * n * k <= blasSingleThreadLimit
}

extension Tensor {
    /// op(a)·op(b) without autograd, where op transposes the last two dimensions when asked.
    /// Shapes: op(a) [..., M, K], op(b) [..., K, N] → [broadcast(...), M, N].
    static func gemm(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float = 1) throws -> Tensor {
        guard a.rank >= 2, b.rank >= 2 else {
            throw TensorError.shapes("matmul", "both operands need at least 2 dimensions (reshape vectors to [1, n] or [n, 1])", a.shape, b.shape)
        }
        let oa = gemmOperand(a, transpose: transposeA), ob = gemmOperand(b, transpose: transposeB)
        let m = oa.rows, k = oa.cols, n = ob.cols
        guard ob.rows == k else {
            throw TensorError.shapes("matmul", "inner dimensions differ (\(k) vs \(ob.rows)\(transposeA || transposeB ? ", after transposes" : ""))", a.shape, b.shape)
        }
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = try broadcastShape(batchA, batchB, "matmul")
        guard m < Int(Int32.max), n < Int(Int32.max), k < Int(Int32.max), oa.ld < Int(Int32.max), ob.ld < Int(Int32.max) else {
            throw TensorError.shapes("matmul", "dimensions exceed the 32-bit BLAS interface", a.shape, b.shape)
        }
        try validateShape(batch + [m, n], "matmul")
        let out = Tensor(uninitializedShape: batch + [m, n])
        if out.count == 0 { return out }
        if k == 0 {
            out.pointer.update(repeating: 0, count: out.count)
            return out
        }
        let ta = oa.tensor, tb = ob.tensor
        let batchCount = batch.reduce(1, *)
        // One sgemm when b is shared across the batch and a's batch rows are evenly spaced.
        let bShared = tb.strides.dropLast(2).allSatisfy { $0 == 0 } || batchB.reduce(1, *) == 1
        if batchCount > 1, bShared, !oa.transposed, batchA == batch {
            var foldable = true
            var expected = oa.ld * m
            for d in stride(from: batchA.count - 1, through: 0, by: -1) {
                if batchA[d] != 1 && ta.strides[d] != expected { foldable = false; break }
                expected *= batchA[d]
            }
            if foldable {
                sgemm(false, ob.transposed, m * batchCount, n, k, alpha, ta.pointer, oa.ld, tb.pointer, ob.ld, 0, out.pointer, n)
                withExtendedLifetime((ta, tb)) {}
                return out
            }
        }
        let sa = Array(ta.broadcastStrides(to: batch + [ta.shape[ta.rank - 2], ta.shape[ta.rank - 1]]).dropLast(2))
        let sb = Array(tb.broadcastStrides(to: batch + [tb.shape[tb.rank - 2], tb.shape[tb.rank - 1]]).dropLast(2))
        var index = [Int](repeating: 0, count: batch.count)
        for i in 0..<batchCount {
            var offA = 0, offB = 0
            for d in 0..<batch.count { offA += index[d] * sa[d]; offB += index[d] * sb[d] }
            sgemm(oa.transposed, ob.transposed, m, n, k, alpha, ta.pointer + offA, oa.ld, tb.pointer + offB, ob.ld,
                  0, out.pointer + i * m * n, n)
            var d = batch.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < batch[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        withExtendedLifetime((ta, tb)) {}
        return out
    }

    /// op(a)·op(b), batched over leading dimensions with broadcasting.
    /// `transposeA`/`transposeB` transpose the last two dimensions of that operand without a copy.
    /// Shapes: op(a) [..., M, K], op(b) [..., K, N] → [..., M, N].
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        let out = try gemm(a, b, transposeA: transposeA, transposeB: transposeB)
        let ad = a.detached(), bd = b.detached()
        let needA = a.requiresGrad, needB = b.requiresGrad
        return record(out, "matmul", [a, b]) { g in
            // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G; transpose back where op did.
            var ga: Tensor? = nil, gb: Tensor? = nil
            if needA {
                let full = transposeA
                    ? try gemm(bd, g, transposeA: transposeB, transposeB: true)
                    : try gemm(g, bd, transposeA: false, transposeB: !transposeB)
                ga = try full.sum(toShape: ad.shape)
            }
            if needB {
                if bd.rank == 2 && ad.rank > 2 && !transposeA {
                    // Fold the batch: [B·M, K]ᵀ·[B·M, N] in one sgemm (b was shared across the batch).
                    let a2 = try ad.contiguous().reshaped([-1, ad.shape[ad.rank - 1]])
                    let g2 = try g.reshaped([-1, g.shape[g.rank - 1]])
                    gb = transposeB ? try gemm(g2, a2, transposeA: true, transposeB: false)
                                    : try gemm(a2, g2, transposeA: true, transposeB: false)
                } else {
                    let full = transposeB
                        ? try gemm(g, ad, transposeA: true, transposeB: transposeA)
                        : try gemm(ad, g, transposeA: !transposeA, transposeB: false)
                    gb = try full.sum(toShape: bd.shape)
                }
            }
            return [ga, gb]
        }
    }

    /// A linear layer in PyTorch's layout: x [..., in] · weight [out, in]ᵀ + bias [out] → [..., out].
    /// One sgemm (the transpose is a BLAS flag) plus a broadcast add.
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        let y = try Tensor.matmul(self, weight, transposeB: true)
        guard let bias else { return y }
        return try y + bias
    }

    /// self·other (see `Tensor.matmul`).
    public func matmul(_ other: Tensor, transposeOther: Bool = false) throws -> Tensor {
        try Tensor.matmul(self, other, transposeB: transposeOther)
    }
}
