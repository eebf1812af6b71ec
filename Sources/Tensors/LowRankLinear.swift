import CBLAS
import CKernels

/// A linear layer with low-rank updates of its output columns (LoRA), as one fused operation:
///
///   y = x·Wᵀ + bias,   then for each update u:   y[..., u.outputs] += u.scaling · (x·u.aᵀ)·u.bᵀ
///
/// Composed from separate ops, each update costs two products, a scale, an add and a slice per
/// call, each writing a fresh [N, out] tensor that the graph keeps until backward (measured on
/// SmolLM2's LoRA step, 16×40 tokens, r = 8 on 7 projections: about a quarter of the sgemm time
/// went to these skinny products and the step held 2.5 GB, so fresh buffers page-faulted). Fused:
/// the A matrices of all updates are stacked so that x·Aᵀ is one product, kept transposed as
/// Uᵀ [R, N] so that every low-rank product is one of CKernels' few-row kernels (x·wᵀ with R rows,
/// x·w with R rows, or a rank-R update of a wide output) reading the big operand once, in place.
/// When the big product goes to sgemm (a float32 weight, or blocks dequantised for it), the low-rank part is
/// written first and sgemm adds onto it (β = 1), which saves sgemm's own pass that zeroes its output and a
/// second pass adding the low-rank part (so blocks and their dequantised float32 weight give the same bits).
///
/// Shapes: x [..., in], weight [out, in], bias [out], a [r, in], b [outputs.count, r] → [..., out].
/// Gradients flow to x, weight, bias, every a and b, whichever require them.
public struct LowRankUpdate {
    /// [r, in]
    public let a: Tensor
    /// [outputs.count, r]
    public let b: Tensor
    public let scaling: Float
    /// The output columns this update adds to.
    public let outputs: Range<Int>

    public init(a: Tensor, b: Tensor, scaling: Float, outputs: Range<Int>) {
        self.a = a
        self.b = b
        self.scaling = scaling
        self.outputs = outputs
    }
}

extension Tensor {
    /// x·weightᵀ + bias + Σ scaling·(x·aᵀ)·bᵀ on each update's output columns (see `LowRankUpdate`).
    public func linear(weight: Tensor, bias: Tensor? = nil, updates: [LowRankUpdate]) throws -> Tensor {
        guard weight.rank == 2 else {
            throw TensorError.shapes("linear", "input [..., in] and weight [out, in] do not agree", shape, weight.shape)
        }
        return try lowRankLinear(.dense(weight), bias: bias, updates: updates)
    }

    /// The same over a weight kept in GGUF blocks (frozen: gradients flow to x, bias, every a and b), the base
    /// product and its input gradient being `linear(quantized:activations:)`'s (the low-rank products keep float32).
    public func linear(quantized weight: QuantizedMatrix, bias: Tensor? = nil, updates: [LowRankUpdate],
                       activations: ActivationPrecision = .float32) throws -> Tensor {
        try lowRankLinear(.quantized(weight), bias: bias, updates: updates, activations: activations)
    }

    private func lowRankLinear(_ base: BaseWeight, bias: Tensor?, updates: [LowRankUpdate],
                               activations: ActivationPrecision = .float32) throws -> Tensor {
        let weightShape = base.shape
        guard rank >= 1, let inFeatures = shape.last, weightShape[1] == inFeatures else {
            throw TensorError.shapes("linear", "input [..., in] and weight [out, in] do not agree", shape, weightShape)
        }
        let outFeatures = weightShape[0]
        if let bias, bias.shape != [outFeatures] {
            throw TensorError.shapes("linear", "bias must be [out] for weight [out, in]", bias.shape, weightShape)
        }
        for u in updates {
            guard u.a.rank == 2, u.b.rank == 2, u.a.shape[1] == inFeatures, u.b.shape[1] == u.a.shape[0],
                  u.outputs.lowerBound >= 0, u.outputs.upperBound <= outFeatures, u.b.shape[0] == u.outputs.count else {
                throw TensorError("linear", "low-rank update A \(u.a.shape), B \(u.b.shape) on outputs \(u.outputs) does not fit input \(shape) and weight \(weightShape)")
            }
        }
        let rows = inFeatures == 0 ? 0 : count / inFeatures
        let outShape = Array(shape.dropLast()) + [outFeatures]
        try validateShape(outShape, "linear")
        guard rows < Int(Int32.max), outFeatures < Int(Int32.max), inFeatures < Int(Int32.max) else {
            throw TensorError.shapes("linear", "dimensions exceed the 32-bit BLAS interface", shape, weightShape)
        }
        let x = contiguous(), bc = bias?.contiguous()
        let w: Tensor?, quantized: QuantizedMatrix?
        switch base {
        case .dense(let weight): (w, quantized) = (weight.contiguous(), nil)
        case .quantized(let q): (w, quantized) = (nil, q)
        }
        let plan = LowRankPlan(updates, inFeatures: inFeatures)
        let out = Tensor(uninitializedShape: outShape)
        let low = Tensor(uninitializedShape: [plan.totalRank, rows])  // Uᵀ = A·xᵀ
        if rows > 0 && outFeatures > 0 {
            if plan.totalRank > 0 {
                sgemm(false, true, plan.totalRank, rows, inFeatures, 1, plan.a.pointer, inFeatures, x.pointer, inFeatures, 0,
                      low.pointer, rows)
            }
            // sgemm (more rows than CKernels' x·wᵀ and the quantised panel kernel take) adds onto the low-rank part written first.
            let lowRankFirst = plan.totalRank > 0 && plan.disjoint && rows > Swift.max(inPlaceRowsLimit, quantizedPanelRowsLimit)
                && inFeatures > 0
            if lowRankFirst {
                plan.addProducts(low, rows: rows, outFeatures: outFeatures, into: out.pointer, accumulate: false)
            }
            if inFeatures > 0, let w {
                sgemm(false, true, rows, outFeatures, inFeatures, 1, x.pointer, inFeatures, w.pointer, inFeatures,
                      lowRankFirst ? 1 : 0, out.pointer, outFeatures)
            } else if inFeatures > 0, let quantized {
                quantizedProduct(x.pointer, rows: rows, quantized, into: out.pointer, activations: activations,
                                 accumulate: lowRankFirst)
            } else {
                out.pointer.update(repeating: 0, count: out.count)
            }
            if !lowRankFirst && plan.totalRank > 0 {
                plan.addProducts(low, rows: rows, outFeatures: outFeatures, into: out.pointer, accumulate: true)
            }
            if let bc {
                let po = out.pointer, pb = bc.pointer
                for r in 0..<rows { for j in 0..<outFeatures { po[r * outFeatures + j] += pb[j] } }
            }
        }
        withExtendedLifetime((x, w, bc, quantized)) {}

        var inputs = [self]
        if let w { inputs.append(w) }
        if let bias { inputs.append(bias) }
        for u in updates { inputs += [u.a, u.b] }
        let needX = requiresGrad, needW = w?.requiresGrad ?? false, needBias = bias?.requiresGrad ?? false, hasBias = bias != nil
        let needA = updates.map { $0.a.requiresGrad }, needB = updates.map { $0.b.requiresGrad }
        let needLow = needA.contains(true) || needX
        let xd = x.detached(), wd = w?.detached(), lowd = low.detached()
        let xShape = shape
        return Tensor.record(out, "linear", inputs) { g in
            let gc = g.contiguous()
            let pg = gc.pointer
            let empty = rows == 0 || outFeatures == 0
            let totalRank = plan.totalRank
            // dUᵀ [R, N]: rows of update i = scaling·Bᵢᵀ·g[:, outputsᵢ]ᵀ
            let dLow = Tensor(shape: [totalRank, rows], repeating: 0)
            // dBᵢ [outputs, r], computed with dUᵢ in one pass over g where the rank allows.
            var dBs = [Tensor?](repeating: nil, count: plan.updates.count)
            if !empty {
                for (i, u) in plan.updates.enumerated() where u.rank > 0 && !u.outputs.isEmpty && (needLow || needB[i]) {
                    if u.rank <= lowRankGradientLimit {
                        dBs[i] = lowRankGradients(u, rows: rows, g: pg + u.outputs.lowerBound, ldg: outFeatures, b: plan.b[i],
                                                  low: lowd.pointer + u.column * rows, dLow: dLow.pointer + u.column * rows)
                    } else if needLow {
                        // dUᵢᵀ [r, rows] = scaling·Bᵢᵀ·gᵀ, chunks of rows (columns of dUᵀ) across the kernel threads.
                        let box = UncheckedSendable((UnsafePointer(plan.b[i].pointer), pg + u.outputs.lowerBound, dLow.pointer + u.column * rows))
                        oneThreadBLASChunks(rows, work: rows * u.outputs.count * u.rank) { range in
                            let (pb, pgi, pd) = box.value
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(u.rank), Int32(range.count), Int32(u.outputs.count),
                                        u.scaling, pb, Int32(u.rank), pgi + range.lowerBound * outFeatures, Int32(outFeatures), 0,
                                        pd + range.lowerBound, Int32(rows))
                        }
                    }
                }
            }
            var dx: Tensor? = nil
            if needX {
                let t = Tensor(uninitializedShape: xShape)
                if empty || inFeatures == 0 {
                    t.pointer.update(repeating: 0, count: t.count)
                } else {
                    // dx = g·W + U'·A (the low-rank part first when sgemm does the big product, as in forward)
                    let sgemmDoesIt = wd != nil ? !fewRowKernelTakes(rows, inFeatures, outFeatures) : rows > quantizedFewRows
                    if sgemmDoesIt && totalRank > 0 {
                        rankUpdate(rows: rows, n: inFeatures, k: totalRank, alpha: 1, dLow.pointer, rows, plan.a.pointer, inFeatures,
                                   accumulate: false, t.pointer, inFeatures)
                    }
                    if let wd {
                        sgemm(false, false, rows, inFeatures, outFeatures, 1, pg, outFeatures, wd.pointer, inFeatures,
                              sgemmDoesIt && totalRank > 0 ? 1 : 0, t.pointer, inFeatures)
                    } else if let quantized {
                        quantizedGradient(pg, rows: rows, quantized, into: t.pointer, accumulate: sgemmDoesIt && totalRank > 0)
                    }
                    if !sgemmDoesIt && totalRank > 0 {
                        rankUpdate(rows: rows, n: inFeatures, k: totalRank, alpha: 1, dLow.pointer, rows, plan.a.pointer, inFeatures,
                                   accumulate: true, t.pointer, inFeatures)
                    }
                }
                dx = t
            }
            var dw: Tensor? = nil
            if needW {
                let t = Tensor(shape: [outFeatures, inFeatures], repeating: 0)
                if !empty && inFeatures > 0 {
                    sgemm(true, false, outFeatures, inFeatures, rows, 1, pg, outFeatures, xd.pointer, inFeatures, 0, t.pointer, inFeatures)
                }
                dw = t
            }
            var grads: [Tensor?] = wd == nil ? [dx] : [dx, dw]
            if hasBias {
                var db: Tensor? = nil
                if needBias {
                    let t = Tensor(shape: [outFeatures], repeating: 0)
                    for r in 0..<rows { for j in 0..<outFeatures { t.pointer[j] += pg[r * outFeatures + j] } }
                    db = t
                }
                grads.append(db)
            }
            // dA (all stacked) = dUᵀ·x [R, in], split per update; dBᵢᵀ = scaling·Uᵢᵀ·g[:, outputsᵢ]  [r, outputs]
            let dStacked: Tensor? = needA.contains(true) ? Tensor(shape: [totalRank, inFeatures], repeating: 0) : nil
            if let dStacked, !empty && totalRank > 0 && inFeatures > 0 {
                fewRowsProduct(m: totalRank, n: inFeatures, k: rows, alpha: 1, dLow.pointer, rows, xd.pointer, inFeatures,
                               dStacked.pointer, inFeatures)
            }
            for (i, u) in plan.updates.enumerated() {
                var da: Tensor? = nil, db: Tensor? = nil
                if needA[i], let dStacked {
                    if plan.updates.count == 1 {
                        da = dStacked
                    } else {
                        let t = Tensor(uninitializedShape: [u.rank, inFeatures])
                        t.pointer.update(from: dStacked.pointer + u.column * inFeatures, count: u.rank * inFeatures)
                        da = t
                    }
                }
                if needB[i] {
                    let t = dBs[i] ?? Tensor(shape: [u.outputs.count, u.rank], repeating: 0)
                    if dBs[i] == nil && !empty && u.rank > 0 && !u.outputs.isEmpty {
                        // dBᵢ [outputs, r] = scaling·g[:, outputsᵢ]ᵀ·Uᵢ, chunks of outputs across the kernel threads.
                        let box = UncheckedSendable((pg + u.outputs.lowerBound, UnsafePointer(lowd.pointer + u.column * rows), t.pointer))
                        oneThreadBLASChunks(u.outputs.count, work: rows * u.outputs.count * u.rank) { range in
                            let (pgi, pl, pt) = box.value
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(range.count), Int32(u.rank), Int32(rows), u.scaling,
                                        pgi + range.lowerBound, Int32(outFeatures), pl, Int32(rows), 0, pt + range.lowerBound * u.rank,
                                        Int32(u.rank))
                        }
                    }
                    db = t
                }
                grads += [da, db]
            }
            withExtendedLifetime((gc, xd, wd, lowd, plan)) {}
            return grads
        }
    }
}

/// The updates of one `linear(weight:bias:updates:)` call, laid out for the kernels: A stacked [R, in],
/// each B transposed [r, outputs] (the rank-update kernel reads rows of it), and each update's first row in
/// the stack.
private final class LowRankPlan {
    struct Update {
        let rank: Int
        let column: Int  // first row of this update in the stack
        let scaling: Float
        let outputs: Range<Int>
    }

    let updates: [Update]
    let totalRank: Int
    let a: Tensor     // [R, in]
    let b: [Tensor]   // per update [outputs, r], contiguous
    /// Per update Bᵀ [r, outputs], made when first needed (the rank-update kernel reads rows of it).
    private(set) lazy var bT: [Tensor] = b.map { b in
        let t = Tensor(uninitializedShape: [b.shape[1], b.shape[0]])
        transposeInto(b.pointer, rows: b.shape[0], columns: b.shape[1], t.pointer)
        return t
    }
    /// No two updates write the same output column.
    let disjoint: Bool

    init(_ list: [LowRankUpdate], inFeatures: Int) {
        var column = 0
        var updates: [Update] = []
        for u in list {
            updates.append(Update(rank: u.a.shape[0], column: column, scaling: u.scaling, outputs: u.outputs))
            column += u.a.shape[0]
        }
        self.updates = updates
        totalRank = column
        if list.count == 1 {
            a = list[0].a.contiguous()
        } else {
            a = Tensor(uninitializedShape: [totalRank, inFeatures])
            for (u, plan) in zip(list, updates) {
                let ac = u.a.contiguous()
                (a.pointer + plan.column * inFeatures).update(from: ac.pointer, count: plan.rank * inFeatures)
                withExtendedLifetime(ac) {}
            }
        }
        b = list.map { $0.b.contiguous() }
        let sorted = updates.map(\.outputs).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        disjoint = zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound <= $1.lowerBound }
    }

    /// out[:, outputsᵢ] (+)= scalingᵢ·Uᵢ·Bᵢᵀ for every update, from Uᵀ `low` [R, rows]. Without
    /// `accumulate` (disjoint updates only), columns no update covers are set to zero.
    func addProducts(_ low: Tensor, rows: Int, outFeatures: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if !accumulate {
            var next = 0
            for o in updates.map(\.outputs).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if o.lowerBound > next { zeroColumns(next..<o.lowerBound, rows: rows, of: out, outFeatures) }
                next = Swift.max(next, o.upperBound)
            }
            if next < outFeatures { zeroColumns(next..<outFeatures, rows: rows, of: out, outFeatures) }
        }
        for (i, u) in updates.enumerated() where !u.outputs.isEmpty {
            let c = out + u.outputs.lowerBound
            if u.rank == 0 {
                if !accumulate { zeroColumns(u.outputs, rows: rows, of: out, outFeatures) }
            } else if rows >= rankKernelMinimumRows && u.rank <= rankUpdateLimit {
                rankUpdate(rows: rows, n: u.outputs.count, k: u.rank, alpha: u.scaling, low.pointer + u.column * rows, rows,
                           bT[i].pointer, u.outputs.count, accumulate: accumulate, c, outFeatures)
            } else {
                // Uᵢ·Bᵢᵀ from Uᵢᵀ and Bᵢ as they are: for a decoding step's few rows, transposing B would cost as much as the product.
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(rows), Int32(u.outputs.count), Int32(u.rank), u.scaling,
                            low.pointer + u.column * rows, Int32(rows), b[i].pointer, Int32(u.rank), accumulate ? 1 : 0, c, Int32(outFeatures))
            }
        }
        withExtendedLifetime((low, b)) {}
    }

    private func zeroColumns(_ columns: Range<Int>, rows: Int, of out: UnsafeMutablePointer<Float>, _ width: Int) {
        for r in 0..<rows { (out + r * width + columns.lowerBound).update(repeating: 0, count: columns.count) }
    }
}

/// Ranks up to this get dU and dB from CKernels' one-pass kernel (`lowRankGradients`); above it the
/// separate products were faster (see lowrank_gradients.c).
let lowRankGradientLimit = 8

/// Rows of g per partial dB in `lowRankGradients`: a fixed split, so the sum of the partials does not
/// depend on the thread count.
let lowRankGradientRows = 64

/// dUᵀ of one update (scaling·Bᵀ·gᵀ, written to `dLow`, [r, rows] with ld rows) and its dB = scaling·gᵀ·U
/// [outputs, r], returned: one pass over g's rows in chunks across the kernel threads, each chunk with its
/// own partial dB (rows padded to 8 floats, as the kernel wants), summed in chunk order.
private func lowRankGradients(_ u: LowRankPlan.Update, rows: Int, g: UnsafePointer<Float>, ldg: Int, b: Tensor,
                              low: UnsafePointer<Float>, dLow: UnsafeMutablePointer<Float>) -> Tensor {
    let n = u.outputs.count, r = u.rank, padded = 8
    let bp: Tensor
    if r == padded {
        bp = b
    } else {
        bp = Tensor(shape: [n, padded], repeating: 0)
        for j in 0..<n { (bp.pointer + j * padded).update(from: b.pointer + j * r, count: r) }
    }
    let chunks = (rows + lowRankGradientRows - 1) / lowRankGradientRows
    let partials = Tensor(uninitializedShape: [chunks, n * padded])
    let box = UncheckedSendable((g, bp.pointer, low, dLow, partials.pointer))
    parallelChunks(chunks, work: rows * n * r) { range in
        let (pg, pb, pl, pd, pp) = box.value
        for c in range {
            let t0 = c * lowRankGradientRows, t1 = Swift.min(rows, t0 + lowRankGradientRows)
            gfn_lowrank_gradients(t0, t1, n, r, u.scaling, pg, ldg, pb, padded, pl, rows, pd, rows, pp + c * n * padded, padded)
        }
    }
    let sum = partials.pointer
    for c in 1..<Swift.max(1, chunks) { mapVec2(sum, sum + c * n * padded, sum, n * padded) { $0 + $1 } }
    let db = Tensor(uninitializedShape: [n, r])
    let s = u.scaling
    for j in 0..<n {
        for c in 0..<r { db.pointer[j * r + c] = sum[j * padded + c] * s }
    }
    withExtendedLifetime((bp, partials)) {}
    return db
}

/// Forward passes of at least this many rows take the rank-update kernel for the LoRA products (with B
/// transposed first); fewer rows (decoding) call sgemm on B as it is.
let rankKernelMinimumRows = 32

/// Ranks up to this take CKernels' rank-update kernel; beyond, sgemm was as fast (r = 64: 0.70 vs 0.69 ms
/// for 640×576 written, 0.76 vs 0.58 ms added; r = 8 on 640×1536: 0.30 vs 0.75 ms written, one thread).
let rankUpdateLimit = 32

/// c [rows, n] (+)= alpha·pᵀ·q for p [k, rows] (ld ldp), q [k, n] (ld ldq) with a short k, split by rows across
/// the kernel threads.
func rankUpdate(rows: Int, n: Int, k: Int, alpha: Float, _ p: UnsafePointer<Float>, _ ldp: Int, _ q: UnsafePointer<Float>, _ ldq: Int,
                accumulate: Bool, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    guard rows > 0, n > 0 else { return }
    if k > rankUpdateLimit {
        sgemm(true, false, rows, n, k, alpha, p, ldp, q, ldq, accumulate ? 1 : 0, c, ldc)
        return
    }
    let box = UncheckedSendable((p, q, c))
    parallelChunks(rows, work: rows * n * Swift.max(1, k / 4)) { range in
        let (pp, pq, pc) = box.value
        gfn_gemm_rank_update(range.lowerBound, range.upperBound, n, k, alpha, pp, ldp, pq, ldq, accumulate ? 1 : 0, pc, ldc)
    }
}

/// Runs `body` over pieces of 0..<count on the kernel threads, each piece calling sgemm on one BLAS thread.
/// For the skinny low-rank products (one side r): OpenBLAS splits a call statically over its 2 threads and
/// waits for both, so on the shared 2-core machine a descheduled half stalls every such short call; here a
/// busy core only slows them (measured in one LoRA step at load ≈ 8: 936 ms in these products through
/// OpenBLAS's threads, 676 ms chunked). The pieces are `blasPieceSize` wide whatever the thread count:
/// sgemm's result for one output depends on the shape it is called with, and pieces that followed the
/// worker count made a LoRA step's dA differ between 1 and 2 threads (so mpirun ranks, which get fewer
/// threads, drifted from one process; ThreadCountInvarianceTests).
func oneThreadBLASChunks(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    BLAS.withOneThread { parallelFixedPieces(count, piece: blasPieceSize, work: work, body) }
}

/// Columns (or rows) of one sgemm call in `oneThreadBLASChunks`: 9 pieces for SmolLM2's width 576, enough
/// to balance two to four threads, and wide enough that sgemm's packing stays a small part of each call.
let blasPieceSize = 64

/// y [m, n] = alpha·x·w for few rows m of x [m, k] and a long k (a sum over tokens), w [k, n] read in
/// place, in chunks of columns (`oneThreadBLASChunks`). (A kernel reading w in place, 6 rows of x against
/// 16 columns, was 1.5–2× slower: a 16-column strip of w touches a new cache line every row.)
func fewRowsProduct(m: Int, n: Int, k: Int, alpha: Float, _ x: UnsafePointer<Float>, _ ldx: Int, _ w: UnsafePointer<Float>, _ ldw: Int,
                    _ y: UnsafeMutablePointer<Float>, _ ldy: Int) {
    guard m > 0, n > 0 else { return }
    let box = UncheckedSendable((x, w, y))
    oneThreadBLASChunks(n, work: m * n * Swift.max(k, 1)) { range in
        let (px, pw, py) = box.value
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(range.count), Int32(k), alpha, px, Int32(ldx),
                    pw + range.lowerBound, Int32(ldw), 0, py + range.lowerBound, Int32(ldy))
    }
}

/// dst [columns, rows] = src [rows, columns]ᵀ (small matrices: a LoRA B and its gradient).
func transposeInto(_ src: UnsafePointer<Float>, rows: Int, columns: Int, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] }
    }
}

/// The base weight: a float32 tensor, or GGUF blocks (frozen).
private enum BaseWeight {
    case dense(Tensor)
    case quantized(QuantizedMatrix)

    var shape: [Int] {
        switch self {
        case .dense(let w): w.shape
        case .quantized(let q): [q.rows, q.columns]
        }
    }
}
