import CKernels
import Glibc

/// How per-example losses are combined.
public enum LossReduction: Sendable {
    /// Mean over the examples that are not ignored.
    case mean
    case sum
    /// One loss per example, shape [N] (ignored examples give 0).
    case none
}

extension Tensor {
    /// Cross-entropy of logits [N, V] against integer `targets` (count N), fused with the
    /// log-softmax: loss_i = logsumexp(x_i) − x_i[target_i]. Targets equal to `ignoreIndex`
    /// contribute nothing (and do not count in the mean). The backward pass recomputes
    /// softmax from the saved per-row logsumexp instead of keeping an [N, V] tensor.
    public func crossEntropy(targets: [Int], ignoreIndex: Int? = nil, reduction: LossReduction = .mean) throws -> Tensor {
        guard rank == 2 else { throw TensorError("crossEntropy", "logits must be [N, V], got \(shape)") }
        let (n, v) = (shape[0], shape[1])
        guard targets.count == n else {
            throw TensorError("crossEntropy", "\(targets.count) targets for logits of shape \(shape)")
        }
        if let bad = targets.first(where: { ($0 < 0 || $0 >= v) && $0 != ignoreIndex }) {
            throw TensorError("crossEntropy", "target \(bad) is out of range for \(v) classes")
        }
        let x = contiguous()
        var lse = [Float](repeating: 0, count: n)
        var losses = [Float](repeating: 0, count: n)
        let counted = targets.filter { $0 != ignoreIndex }.count
        lse.withUnsafeMutableBufferPointer { lseBuffer in
            losses.withUnsafeMutableBufferPointer { lossBuffer in
                let box = UncheckedSendable((x.pointer, lseBuffer.baseAddress!, lossBuffer.baseAddress!))
                parallelChunks(n, work: n * v * 2) { rows in
                    let (px, pl, po) = box.value
                    for r in rows where targets[r] != ignoreIndex {
                        let row = px + r * v
                        let m = gfn_max(v, row)
                        pl[r] = m + logf(gfn_exp_sum(v, row, m, nil))
                        po[r] = pl[r] - row[targets[r]]
                    }
                }
            }
        }
        withExtendedLifetime(x) {}
        let out: Tensor
        switch reduction {
        case .none: out = Tensor(losses)
        case .sum: out = Tensor(losses.reduce(0, +))
        case .mean: out = Tensor(counted > 0 ? losses.reduce(0, +) / Float(counted) : 0)
        }
        let xd = x.detached()
        let rowLSE = lse
        return Tensor.record(out, "crossEntropy", [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(uninitializedShape: [n, v])
            let box = UncheckedSendable((gc.pointer, xd.pointer, dx.pointer))
            parallelChunks(n, work: n * v * 2) { rows in
                let (pg, px, pd) = box.value
                for r in rows {
                    let dst = pd + r * v
                    if targets[r] == ignoreIndex {
                        dst.update(repeating: 0, count: v)
                        continue
                    }
                    let w: Float
                    switch reduction {
                    case .none: w = pg[r]
                    case .sum: w = pg[0]
                    case .mean: w = pg[0] / Float(counted)
                    }
                    // (softmax − onehot)·w
                    gfn_exp_scaled(v, px + r * v, rowLSE[r], w, dst)
                    dst[targets[r]] -= w
                }
            }
            withExtendedLifetime(gc) {}
            return [dx]
        }
    }
}
