import CKernels

/// Up to this many rows of x, x·Wᵀ with a quantised weight runs CKernels' in-register kernel (each chunk
/// of a weight row dequantised into registers and multiplied with 1–4 rows of x); up to
/// `quantizedPanelRowsLimit` rows, the panel kernel (x packed into panels of 16 rows as the float32 path
/// packs it, each chunk of a group of 12 weight rows dequantised once into an L1 tile for all of them:
/// the float32 path's bits). Above it, and for g·W beyond `quantizedFewRows`, the weight is dequantised
/// into a scratch buffer of at most `quantizedScratchFloats` floats (the whole matrix for SmolLM2's,
/// row tiles of larger ones), freed after the product, and multiplied by sgemm as the float32 path
/// multiplies it: one pass of dequantisation per product, shared by all rows.
let quantizedFewRows = 4
let quantizedPanelRowsLimit = inPlaceRowsLimit
let quantizedScratchFloats = 1 << 22

/// Weight rows per dequantised tile for a product over `k` columns.
func quantizedTileRows(columns k: Int, rows n: Int) -> Int {
    Swift.min(n, Swift.max(128, quantizedScratchFloats / Swift.max(1, k)))
}

extension Tensor {
    /// x·Wᵀ with W kept in its GGUF blocks: x [..., in], W [out, in] → [..., out]. Equals
    /// `x.matmul(W.dequantized().transposed())` up to summation order. Gradients flow to x only
    /// (dx = g·W, read in its blocks too): base weights are frozen. `activations: .q8` quantises x's rows to
    /// 8-bit blocks first (an opt-in approximation for decoding, see `ActivationPrecision`).
    public func linear(quantized w: QuantizedMatrix, activations: ActivationPrecision = .float32) throws -> Tensor {
        guard rank >= 1, shape.last == w.columns else {
            throw TensorError.shapes("linear(quantized)", "input [..., in] and weight [out, in] do not agree", shape, [w.rows, w.columns])
        }
        let outShape = Array(shape.dropLast()) + [w.rows]
        try validateShape(outShape, "linear(quantized)")
        let rows = count / w.columns
        let x = contiguous()
        let out = Tensor(uninitializedShape: outShape)
        quantizedProduct(x.pointer, rows: rows, w, into: out.pointer, activations: activations)
        withExtendedLifetime(x) {}
        let xShape = shape
        return Tensor.record(out, "linear(quantized)", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: xShape)
            quantizedGradient(gc.pointer, rows: rows, w, into: dx.pointer)
            withExtendedLifetime(gc) {}
            return [dx]
        }
    }
}

/// y [m, n] = x [m, k] · Wᵀ, with x's rows quantised to 8-bit blocks first where `activations` asks and the product
/// takes them (see `ActivationPrecision`); or y += x·Wᵀ when `accumulate` (only for more than `quantizedPanelRowsLimit`
/// rows, which go to sgemm: the in-register kernels write y).
func quantizedProduct(_ x: UnsafePointer<Float>, rows m: Int, _ w: QuantizedMatrix, into y: UnsafeMutablePointer<Float>,
                      activations: ActivationPrecision = .float32, accumulate: Bool = false) {
    let n = w.rows, k = w.columns
    guard m > 0, n > 0 else { return }
    precondition(!accumulate || m > quantizedPanelRowsLimit, "quantizedProduct accumulates only through sgemm")
    if activations == .q8 && m <= quantizedFewRows && gfn_qgemm_q8_takes(w.type.rawValue) != 0 {
        q8Product(x, rows: m, w, into: y)
        return
    }
    if activations == .q8 && m <= quantizedPanelRowsLimit && gfn_qgemm_q8_panels_takes(w.type.rawValue) != 0 {
        q8PanelProduct(x, rows: m, w, into: y)
        return
    }
    if m <= quantizedFewRows {
        let io = UncheckedSendable((x, y))
        inWeightRowGroups(w, of: 16) { j0, j1, pw in
            let (px, py) = io.value
            gfn_qgemm_nt(w.type.rawValue, m, j0, j1, k, px, k, pw, py, n)
        }
        return
    }
    if m <= quantizedPanelRowsLimit {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: gfn_gemm_nt_packed_count(m, k)) { packed in
            guard let xp = packed.baseAddress else { return }
            gfn_gemm_nt_pack(m, k, x, k, xp)
            let io = UncheckedSendable((UnsafePointer(xp), y))
            inWeightRowGroups(w, of: ntColumnGroup) { j0, j1, pw in
                let (px, py) = io.value
                gfn_qgemm_nt_packed(w.type.rawValue, m, j0, j1, k, px, pw, py, n)
            }
        }
        return
    }
    if blockedGemmTakes(m, n, k) {
        // W's blocks are dequantised straight into the packed panels: no float32 copy of W.
        w.withRows { rows in
            var source = gfn_gemm_b(b: nil, ldb: 0, transposed: 1, type: w.type.rawValue, rows: rows)
            gfn_gemm_blocked(0, m, n, k, 1, x, k, &source, accumulate ? 1 : 0, y, n, Int32(KernelThreads.count), 0)
        }
        return
    }
    let tile = quantizedTileRows(columns: k, rows: n)
    // A pooled tensor, so that the scratch's pages are not faulted in afresh at every product.
    let buffer = Tensor(uninitializedShape: [tile * k])
    defer { withExtendedLifetime(buffer) {} }
    let scratch = buffer.pointer
    for j0 in stride(from: 0, to: n, by: tile) {
        let j1 = Swift.min(n, j0 + tile)
        w.dequantizeInParallel(rows: j0, j1, into: scratch, ld: k)
        sgemm(false, true, m, j1 - j0, k, 1, x, k, scratch, k, accumulate ? 1 : 0, y + j0, n)
    }
}

/// Calls `kernel(j0, j1, rows)` for the weight rows [j0, j1) in groups of `group`, shared out among the kernel
/// threads; `rows` are the weight's row pointers.
private func inWeightRowGroups(_ w: QuantizedMatrix, of group: Int,
                               _ kernel: @Sendable (Int, Int, UnsafePointer<UnsafeRawPointer?>) -> Void) {
    let n = w.rows
    w.withRows { rowPointers in
        let rows = UncheckedSendable(rowPointers)
        parallelChunks((n + group - 1) / group, work: n * w.columns) { range in
            kernel(range.lowerBound * group, Swift.min(n, range.upperBound * group), rows.value)
        }
    }
}

/// y [m, n] ≈ x [m, k] · Wᵀ through x's 8-bit blocks (quantised once, shared by every weight row and thread).
private func q8Product(_ x: UnsafePointer<Float>, rows m: Int, _ w: QuantizedMatrix, into y: UnsafeMutablePointer<Float>) {
    let n = w.rows, k = w.columns, blocks = k / 32
    withUnsafeTemporaryAllocation(of: gfn_q8_block.self, capacity: m * blocks) { buffer in
        guard let xq = buffer.baseAddress else { return }
        gfn_quantize_q8(m, k, x, k, xq)
        let io = UncheckedSendable((UnsafePointer(xq), y))
        inWeightRowGroups(w, of: 16) { j0, j1, pw in
            let (px, py) = io.value
            gfn_qgemm_nt_q8(w.type.rawValue, m, j0, j1, k, px, pw, py, n)
        }
    }
}

/// The same for 5–64 rows: x's blocks repacked into panels of 8 rows, each weight block unpacked once for 16 rows.
private func q8PanelProduct(_ x: UnsafePointer<Float>, rows m: Int, _ w: QuantizedMatrix, into y: UnsafeMutablePointer<Float>) {
    let n = w.rows, k = w.columns, blocks = k / 32
    withUnsafeTemporaryAllocation(of: gfn_q8_block.self, capacity: m * blocks) { buffer in
        guard let xq = buffer.baseAddress else { return }
        gfn_quantize_q8(m, k, x, k, xq)
        withUnsafeTemporaryAllocation(byteCount: gfn_q8_panels_bytes(m, k), alignment: 32) { panels in
            guard let xp = panels.baseAddress else { return }
            gfn_q8_pack_panels(m, k, xq, xp)
            let io = UncheckedSendable((UnsafeRawPointer(xp), y))
            inWeightRowGroups(w, of: 16) { j0, j1, pw in
                let (px, py) = io.value
                gfn_qgemm_nt_q8_panels(w.type.rawValue, m, j0, j1, k, px, pw, py, n)
            }
        }
    }
}

/// dx [m, k] = g [m, n] · W, or dx += g·W when `accumulate` (only for more than `quantizedFewRows` rows, which go to sgemm).
func quantizedGradient(_ g: UnsafePointer<Float>, rows m: Int, _ w: QuantizedMatrix, into dx: UnsafeMutablePointer<Float>,
                       accumulate: Bool = false) {
    let n = w.rows, k = w.columns
    guard m > 0 else { return }
    guard n > 0 else { if !accumulate { dx.update(repeating: 0, count: m * k) }; return }
    precondition(!accumulate || m > quantizedFewRows, "quantizedGradient accumulates only through sgemm")
    if m <= quantizedFewRows {
        w.withRows { rowPointers in
            let chunk = 32, chunks = (k + chunk - 1) / chunk
            let box = UncheckedSendable((g, dx, rowPointers))
            parallelChunks(chunks, work: n * k) { range in
                let (pg, pd, pw) = box.value
                gfn_qgemm_nn(w.type.rawValue, m, n, range.lowerBound * chunk, Swift.min(k, range.upperBound * chunk), pg, n, pw, pd, k)
            }
        }
        return
    }
    if blockedGemmTakes(m, k, n) {
        w.withRows { rows in
            var source = gfn_gemm_b(b: nil, ldb: 0, transposed: 0, type: w.type.rawValue, rows: rows)
            gfn_gemm_blocked(0, m, k, n, 1, g, n, &source, accumulate ? 1 : 0, dx, k, Int32(KernelThreads.count), 0)
        }
        return
    }
    let tile = quantizedTileRows(columns: k, rows: n)
    let buffer = Tensor(uninitializedShape: [tile * k])
    defer { withExtendedLifetime(buffer) {} }
    let scratch = buffer.pointer
    for j0 in stride(from: 0, to: n, by: tile) {
        let j1 = Swift.min(n, j0 + tile)
        w.dequantizeInParallel(rows: j0, j1, into: scratch, ld: k)
        sgemm(false, false, m, k, j1 - j0, 1, g + j0, n, scratch, k, j0 == 0 && !accumulate ? 0 : 1, dx, k)
    }
}
