import Glibc

/// Scaled dot-product attention with grouped key/value heads, as one fused operation.
///
/// Shapes (the layout the q/k/v projections produce, so no permute is needed):
///   query [B, T, Hq, D], key [B, S, Hkv, D], value [B, S, Hkv, Dv] → [B, T, Hq, Dv].
/// Query head h reads key/value head h / (Hq / Hkv) (grouped-query attention; Hkv = Hq is plain
/// multi-head attention). With `causal`, query i sits at absolute position S − T + i and sees
/// keys 0...S − T + i, so a KV cache of S − T earlier tokens works unchanged. `mask` is added to
/// the scores (use −inf to hide a key) and must broadcast to [B, Hq, T, S]; key padding of rows
/// with different lengths is a [B, 1, 1, S] mask (`keyPaddingMask`). A query that sees no key
/// at all outputs zeros. No gradient flows to the mask.
///
/// Per (batch, head): scores = scale·Q·Kᵀ (sgemm), masked softmax per row, out = P·V (sgemm).
/// Q, K, V are read in place through their strides (lda = the row stride), so slices of a fused
/// qkv projection or of a preallocated KV cache need no copy. The probabilities P [B, Hq, T, S]
/// are kept for backward only when a graph is recorded.
extension Tensor {
    public static func attention(query q: Tensor, key k: Tensor, value v: Tensor, causal: Bool = true,
                                 mask: Tensor? = nil, scale: Float? = nil) throws -> Tensor {
        guard q.rank == 4, k.rank == 4, v.rank == 4 else {
            throw TensorError("attention", "query, key and value must be [B, T, H, D]; got \(q.shape), \(k.shape), \(v.shape)")
        }
        let (bs, t, hq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (s, hkv, dv) = (k.shape[1], k.shape[2], v.shape[3])
        guard k.shape[0] == bs, v.shape[0] == bs, v.shape[1] == s, v.shape[2] == hkv, k.shape[3] == d else {
            throw TensorError("attention", "query \(q.shape), key \(k.shape) and value \(v.shape) do not agree (need [B, T, Hq, D], [B, S, Hkv, D], [B, S, Hkv, Dv])")
        }
        guard d > 0, dv > 0 else {
            throw TensorError.shapes("attention", "head sizes must be positive", q.shape, v.shape)
        }
        guard hkv > 0, hq % hkv == 0 else {
            throw TensorError.shapes("attention", "query heads must be a multiple of key/value heads", q.shape, k.shape)
        }
        let maskStrides: [Int]?
        if let mask {
            let target = [bs, hq, t, s]
            guard (try? broadcastShape(mask.shape, target, "attention")) == target else {
                throw TensorError.shapes("attention", "mask must broadcast to [B, Hq, T, S]", mask.shape, target)
            }
            maskStrides = mask.broadcastStrides(to: target)
        } else {
            maskStrides = nil
        }
        let qv = attentionOperand(q), kv = attentionOperand(k), vv = attentionOperand(v)
        let scale = scale ?? 1 / Float(d).squareRoot()
        let group = hq / hkv
        let recording = GradMode.recording && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
        let out = Tensor(uninitializedShape: [bs, t, hq, dv])
        // Probabilities: all of them when backward will need them, else one [T, S] scratch per task.
        let probs: Tensor? = recording ? Tensor(uninitializedShape: [bs, hq, t, s]) : nil
        let offset = s - t
        let maskPointer = mask?.pointer
        let ptrs = UncheckedSendable((qv.pointer, kv.pointer, vv.pointer, out.pointer, probs?.pointer, maskPointer))
        let (qs, ks, vs) = (qv.strides, kv.strides, vv.strides)
        // Each (batch, head) pair is independent: split them across cores when there is enough work
        // (sgemm runs OpenBLAS on one thread, so heads in parallel never contend for its threads).
        // With one query row per head (a decoding step), the query heads that share a key/value head are one
        // [heads, d] product with its keys and values, read once instead of once a head: the bits are those of
        // one head at a time (x·wᵀ's few-row kernel gives the same bits for 1–4 rows, gfn_gemm_nn_rows for any).
        let heads = t == 1 && group > 1 && group <= 4 && fewRowKernelTakes(group, dv, s) ? group : 1
        let pairs = bs * hq
        if out.count > 0 { parallelChunks(pairs / heads, work: pairs * t * s * (d + dv)) { range in
            let (pq, pk, pv, po, pprobs, pmask) = ptrs.value
            let scratch: UnsafeMutablePointer<Float>? = pprobs == nil ? .allocate(capacity: Swift.max(heads * t * s, 1)) : nil
            defer { scratch?.deallocate() }
            for unit in range {
                let pair = unit * heads
                let (b, h) = (pair / hq, pair % hq)
                let qp = pq + b * qs[0] + h * qs[2]
                let kp = pk + b * ks[0] + (h / group) * ks[2]
                let vp = pv + b * vs[0] + (h / group) * vs[2]
                let pp = pprobs.map { $0 + pair * t * s } ?? scratch!
                // Rows: t query positions of head h, or (t = 1) one of each of the `heads` heads.
                let rows = heads * t, ldq = heads > 1 ? qs[2] : qs[1], ldo = heads > 1 ? dv : hq * dv
                if s > 0 {
                    sgemm(false, true, rows, s, d, scale, qp, ldq, kp, ks[1], 0, pp, s)
                }
                for r in 0..<rows {
                    let (i, head) = (r % t, h + r / t)
                    let row = pp + r * s
                    let limit = causal ? Swift.min(s, Swift.max(0, offset + i + 1)) : s
                    if let pmask, let ms = maskStrides {
                        let mp = pmask + b * ms[0] + head * ms[1] + i * ms[2]
                        for j in 0..<limit { row[j] += mp[j * ms[3]] }
                    }
                    softmaxRow(row, row, limit)
                    if limit < s { (row + limit).update(repeating: 0, count: s - limit) }
                }
                let op = po + b * t * hq * dv + h * dv
                if s > 0 {
                    sgemm(false, false, rows, dv, s, 1, pp, s, vp, vs[1], 0, op, ldo)
                } else {
                    for r in 0..<rows { (op + r * ldo).update(repeating: 0, count: dv) }
                }
            }
        } }
        withExtendedLifetime((qv, kv, vv, mask)) {}
        guard recording, let probs else { return out }
        let qd = qv.detached(), kd = kv.detached(), vd = vv.detached()
        return record(out, "attention", [q, k, v]) { g in
            let gc = g.contiguous()
            let computed = out.count > 0 && s > 0
            // Every head's dQ is written whole (β = 0) when anything is computed; dK and dV are sums over heads.
            let dq = computed ? Tensor(uninitializedShape: [bs, t, hq, d]) : Tensor(shape: [bs, t, hq, d], repeating: 0)
            let dk = Tensor(shape: [bs, s, hkv, d], repeating: 0)
            let dvT = Tensor(shape: [bs, s, hkv, dv], repeating: 0)
            guard computed else { return [dq, dk, dvT] }
            let ptrs = UncheckedSendable((qd.pointer, kd.pointer, vd.pointer, probs.pointer, gc.pointer,
                                          dq.pointer, dk.pointer, dvT.pointer))
            // Tasks own one (batch, key/value head) each, so the dK/dV accumulations never race.
            let groups = bs * hkv
            parallelChunks(groups, work: groups * group * t * s * (d + dv) * 2) { range in
                let (pq, pk, pv, pp0, pg0, pdq, pdk, pdv) = ptrs.value
                let dp = UnsafeMutablePointer<Float>.allocate(capacity: t * s)
                defer { dp.deallocate() }
                for task in range {
                    let (b, kvh) = (task / hkv, task % hkv)
                    let kp = pk + b * ks[0] + kvh * ks[2]
                    let vp = pv + b * vs[0] + kvh * vs[2]
                    for h in (kvh * group)..<((kvh + 1) * group) {
                        let qp = pq + b * qs[0] + h * qs[2]
                        let pp = pp0 + (b * hq + h) * t * s
                        let gp = pg0 + b * t * hq * dv + h * dv
                        // dV += Pᵀ·dO;  dP = dO·Vᵀ
                        sgemm(true, false, s, dv, t, 1, pp, s, gp, hq * dv, 1, pdv + b * s * hkv * dv + kvh * dv, hkv * dv)
                        sgemm(false, true, t, s, dv, 1, gp, hq * dv, vp, vs[1], 0, dp, s)
                        // dS = P ⊙ (dP − Σ_j dP⊙P), over the keys a causal row sees (P is 0 past them)
                        for i in 0..<t {
                            let pr = pp + i * s, dr = dp + i * s
                            let limit = causal ? Swift.min(s, Swift.max(0, offset + i + 1)) : s
                            let dot = vdot(pr, dr, limit)
                            mapVec2(pr, dr, dr, limit) { p, d in p * (d - dot) }
                            if limit < s { (dr + limit).update(repeating: 0, count: s - limit) }
                        }
                        // dQ = scale·dS·K;  dK += scale·dSᵀ·Q
                        sgemm(false, false, t, d, s, scale, dp, s, kp, ks[1], 0, pdq + b * t * hq * d + h * d, hq * d)
                        sgemm(true, false, s, d, t, scale, dp, s, qp, qs[1], 1, pdk + b * s * hkv * d + kvh * d, hkv * d)
                    }
                }
            }
            withExtendedLifetime((gc, qd, kd, vd, probs)) {}
            return [dq, dk, dvT]
        }
    }

    /// A [B, 1, 1, S] additive mask that hides keys at or beyond each row's length (0 where
    /// visible, −inf where padded). Rows are right-padded: row b's keys are 0..<lengths[b].
    public static func keyPaddingMask(lengths: [Int], keyLength: Int) throws -> Tensor {
        guard keyLength >= 0, lengths.allSatisfy({ $0 >= 0 && $0 <= keyLength }) else {
            throw TensorError("keyPaddingMask", "lengths \(lengths) must lie in 0...\(keyLength)")
        }
        let m = Tensor(shape: [lengths.count, 1, 1, keyLength], repeating: 0)
        for (b, n) in lengths.enumerated() {
            (m.pointer + b * keyLength + n).update(repeating: -.infinity, count: keyLength - n)
        }
        return m
    }

    /// A view that sgemm can read per (batch, head): unit stride on the last axis and a row
    /// stride of at least the head size; otherwise a contiguous copy.
    static func attentionOperand(_ x: Tensor) -> Tensor {
        if x.strides[3] == 1 && x.strides[1] >= Swift.max(x.shape[3], 1) { return x }
        return x.materialize()
    }
}
