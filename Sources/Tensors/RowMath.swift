import CKernels
import Glibc

/// Reductions over one row of floats with the vectorized exponential the tensor kernels use, for
/// callers that work on raw rows (the sampler's per-step log-normaliser and softmax over a 49,152-token
/// vocabulary, where scalar `expf` cost ~10 % of a 64-row generation).
package enum RowMath {
    /// log Σ exp(row), max-shifted; an empty row or a row of all −∞ gives −∞.
    package static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        guard let base = row.baseAddress, row.count > 0 else { return -.infinity }
        let m = gfn_max(row.count, base)
        guard m > -.infinity else { return m }
        if m == .infinity { return .infinity }
        return m + logf(gfn_exp_sum(row.count, base, m, nil))
    }

    /// softmax(row), max-shifted; a row of all −∞ gives zeros.
    package static func softmax(_ row: UnsafeBufferPointer<Float>) -> [Float] {
        [Float](unsafeUninitializedCapacity: row.count) { out, count in
            if let s = row.baseAddress, let o = out.baseAddress, row.count > 0 { softmaxRow(s, o, row.count) }
            count = row.count
        }
    }
}
