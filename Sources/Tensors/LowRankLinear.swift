import CBLAS

/// A linear layer with low-rank updates of its output columns (LoRA), as one fused operation:
///
///   y = x·Wᵀ + bias,   then for each update u:   y[..., u.outputs] += u.scaling · (x·u.aᵀ)·u.bᵀ
///
/// Composed from separate ops, each update costs two products, a scale, an add and a slice per
/// call, each writing a fresh [N, out] tensor that the graph keeps until backward (measured on
/// SmolLM2's LoRA step, 16×40 tokens, r = 8 on 7 projections: about a quarter of the sgemm time
/// went to these skinny products and the step held 2.5 GB, so fresh buffers page-faulted). Fused:
/// the A matrices of all updates are stacked so that x·Aᵀ is one product [N, R], each B product
/// accumulates straight into y (sgemm with β = 1), and backward runs one product per gradient with
/// the input gradient's low-rank part accumulated into g·W in place.
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
        guard rank >= 1, weight.rank == 2, let inFeatures = shape.last, weight.shape[1] == inFeatures else {
            throw TensorError.shapes("linear", "input [..., in] and weight [out, in] do not agree", shape, weight.shape)
        }
        let outFeatures = weight.shape[0]
        if let bias, bias.shape != [outFeatures] {
            throw TensorError.shapes("linear", "bias must be [out] for weight [out, in]", bias.shape, weight.shape)
        }
        var ranks: [Int] = []
        for u in updates {
            guard u.a.rank == 2, u.b.rank == 2, u.a.shape[1] == inFeatures, u.b.shape[1] == u.a.shape[0],
                  u.outputs.lowerBound >= 0, u.outputs.upperBound <= outFeatures, u.b.shape[0] == u.outputs.count else {
                throw TensorError("linear", "low-rank update A \(u.a.shape), B \(u.b.shape) on outputs \(u.outputs) does not fit input \(shape) and weight \(weight.shape)")
            }
            ranks.append(u.a.shape[0])
        }
        let totalRank = ranks.reduce(0, +)
        let rows = inFeatures == 0 ? 0 : count / inFeatures
        let outShape = Array(shape.dropLast()) + [outFeatures]
        try validateShape(outShape, "linear")
        guard rows < Int(Int32.max), outFeatures < Int(Int32.max), inFeatures < Int(Int32.max) else {
            throw TensorError.shapes("linear", "dimensions exceed the 32-bit BLAS interface", shape, weight.shape)
        }
        let x = contiguous(), w = weight.contiguous(), bc = bias?.contiguous()
        let bs = updates.map { $0.b.contiguous() }
        // Stacked A [R, in]: one product x·Aᵀ for every update that reads x.
        let stackedA: Tensor
        if updates.count == 1 {
            stackedA = updates[0].a.contiguous()
        } else {
            stackedA = Tensor(uninitializedShape: [totalRank, inFeatures])
            var row = 0
            for (u, r) in zip(updates, ranks) {
                let ac = u.a.contiguous()
                (stackedA.pointer + row * inFeatures).update(from: ac.pointer, count: r * inFeatures)
                withExtendedLifetime(ac) {}
                row += r
            }
        }
        let out = Tensor(uninitializedShape: outShape)
        let low = Tensor(uninitializedShape: [rows, totalRank])  // U = x·Aᵀ
        if rows > 0 && outFeatures > 0 {
            if inFeatures > 0 {
                sgemm(false, true, rows, outFeatures, inFeatures, 1, x.pointer, inFeatures, w.pointer, inFeatures, 0, out.pointer, outFeatures)
            } else {
                out.pointer.update(repeating: 0, count: out.count)
            }
            if let bc {
                let po = out.pointer, pb = bc.pointer
                for r in 0..<rows { for j in 0..<outFeatures { po[r * outFeatures + j] += pb[j] } }
            }
            if totalRank > 0 {
                if inFeatures > 0 {
                    skinnyGemm(.rows, false, true, rows, totalRank, inFeatures, 1, x.pointer, inFeatures, stackedA.pointer, inFeatures, 0,
                               low.pointer, totalRank)
                } else {
                    low.pointer.update(repeating: 0, count: low.count)
                }
                var column = 0
                for (i, u) in updates.enumerated() {
                    if ranks[i] > 0 && !u.outputs.isEmpty {
                        skinnyGemm(.rows, false, true, rows, u.outputs.count, ranks[i], u.scaling, low.pointer + column, totalRank,
                                   bs[i].pointer, ranks[i], 1, out.pointer + u.outputs.lowerBound, outFeatures)
                    }
                    column += ranks[i]
                }
            }
        }
        withExtendedLifetime((x, w, bc, bs, stackedA)) {}

        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        for u in updates { inputs += [u.a, u.b] }
        let needX = requiresGrad, needW = weight.requiresGrad, needBias = bias?.requiresGrad ?? false, hasBias = bias != nil
        let needLow = updates.contains { $0.a.requiresGrad || $0.b.requiresGrad } || needX
        let xd = x.detached(), wd = w.detached(), ad = stackedA.detached(), bds = bs.map { $0.detached() }
        let scalings = updates.map(\.scaling), outputs = updates.map(\.outputs)
        let needA = updates.map { $0.a.requiresGrad }, needB = updates.map { $0.b.requiresGrad }
        let xShape = shape, aShapes = updates.map(\.a.shape)
        return Tensor.record(out, "linear", inputs) { g in
            let gc = g.contiguous()
            let pg = gc.pointer
            let empty = rows == 0 || outFeatures == 0
            // dU = Σ scaling·g[:, outputs]·B  [N, R]
            let dLow = Tensor(shape: [rows, totalRank], repeating: 0)
            var column = 0
            if needLow && !empty {
                for i in updates.indices {
                    if ranks[i] > 0 && !outputs[i].isEmpty {
                        skinnyGemm(.rows, false, false, rows, ranks[i], outputs[i].count, scalings[i], pg + outputs[i].lowerBound, outFeatures,
                                   bds[i].pointer, ranks[i], 0, dLow.pointer + column, totalRank)
                    }
                    column += ranks[i]
                }
            }
            var dx: Tensor? = nil
            if needX {
                let t = Tensor(uninitializedShape: xShape)
                if empty || inFeatures == 0 {
                    t.pointer.update(repeating: 0, count: t.count)
                } else {
                    sgemm(false, false, rows, inFeatures, outFeatures, 1, pg, outFeatures, wd.pointer, inFeatures, 0, t.pointer, inFeatures)
                    if totalRank > 0 {
                        skinnyGemm(.rows, false, false, rows, inFeatures, totalRank, 1, dLow.pointer, totalRank, ad.pointer, inFeatures, 1,
                                   t.pointer, inFeatures)
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
            var grads: [Tensor?] = [dx, dw]
            if hasBias {
                var db: Tensor? = nil
                if needBias {
                    let t = Tensor(shape: [outFeatures], repeating: 0)
                    for r in 0..<rows { for j in 0..<outFeatures { t.pointer[j] += pg[r * outFeatures + j] } }
                    db = t
                }
                grads.append(db)
            }
            // dA (all stacked) = dUᵀ·x [R, in], split per update; dB = scaling·g[:, outputs]ᵀ·U  [outputs, r]
            let dStacked: Tensor? = needA.contains(true) ? Tensor(shape: [totalRank, inFeatures], repeating: 0) : nil
            if let dStacked, !empty && totalRank > 0 && inFeatures > 0 {
                skinnyGemm(.columns, true, false, totalRank, inFeatures, rows, 1, dLow.pointer, totalRank, xd.pointer, inFeatures, 0,
                           dStacked.pointer, inFeatures)
            }
            column = 0
            for i in updates.indices {
                var da: Tensor? = nil, db: Tensor? = nil
                if needA[i], let dStacked {
                    if updates.count == 1 {
                        da = dStacked
                    } else {
                        let t = Tensor(uninitializedShape: aShapes[i])
                        t.pointer.update(from: dStacked.pointer + column * inFeatures, count: ranks[i] * inFeatures)
                        da = t
                    }
                }
                if needB[i] {
                    let t = Tensor(shape: [outputs[i].count, ranks[i]], repeating: 0)
                    if !empty && ranks[i] > 0 && !outputs[i].isEmpty {
                        skinnyGemm(.rows, true, false, outputs[i].count, ranks[i], rows, scalings[i], pg + outputs[i].lowerBound, outFeatures,
                                   low.pointer + column, totalRank, 0, t.pointer, ranks[i])
                    }
                    db = t
                }
                grads += [da, db]
                column += ranks[i]
            }
            withExtendedLifetime((gc, xd, wd, ad, bds, low)) {}
            return grads
        }
    }
}

/// The low-rank products (one side r ≤ a few dozen) as independent single-threaded sgemms over
/// chunks of the output's long side, spread over the kernel threads in dynamic chunks. OpenBLAS
/// splits each call statically over its 2 threads and waits for both, so on the shared 2-core
/// machine a descheduled half stalls every one of these short calls; here a busy core only slows
/// them (measured in one LoRA step at load ≈ 8: 936 ms in these products through OpenBLAS's
/// threads, 676 ms chunked).
enum SkinnySplit { case rows, columns }

func skinnyGemm(_ split: SkinnySplit, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    guard m > 0, n > 0 else { return }
    let ptrs = UncheckedSendable((a, b, c))
    let long = split == .rows ? m : n
    BLAS.withOneThread {
        parallelChunks(long, work: m * n * Swift.max(k, 1)) { range in
            let (pa, pb, pc) = ptrs.value
            let lo = range.lowerBound, count = range.count
            if split == .rows {
                // Rows of C are rows of op(A): row lo of A, or column lo of a transposed A.
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            Int32(count), Int32(n), Int32(k), alpha, pa + (ta ? lo : lo * lda), Int32(lda), pb, Int32(ldb),
                            beta, pc + lo * ldc, Int32(ldc))
            } else {
                // Columns of C are columns of op(B): column lo of B, or row lo of a transposed B.
                cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(count), Int32(k), alpha, pa, Int32(lda), pb + (tb ? lo * ldb : lo), Int32(ldb),
                            beta, pc + lo, Int32(ldc))
            }
        }
    }
}
