#ifndef GFN_CKERNELS_H
#define GFN_CKERNELS_H

// Matrix products with few rows (a decoding step's batch, one attention query), where OpenBLAS's
// sgemm spends more time packing the large operand than multiplying: these read it once, in place.
// Row-major, float32; every `ld` is a row stride in elements. AVX2+FMA when the CPU has it (checked
// at run time), else portable C.

// y[r, j] = alpha · Σ_i x[r, i] · w[j, i]   for r < m, j in [n0, n1)   (x·wᵀ, w in PyTorch's [out, in] layout)
void gfn_gemm_nt_rows(long m, long n0, long n1, long k, float alpha,
                      const float *x, long ldx, const float *w, long ldw, float *y, long ldy);

// y[r, j] = alpha · Σ_i x[r, i] · w[i, j]   for r < m, j < n   (x·w)
void gfn_gemm_nn_rows(long m, long n, long k, float alpha,
                      const float *x, long ldx, const float *w, long ldw, float *y, long ldy);

#endif
