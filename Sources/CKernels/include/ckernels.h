#ifndef GFN_CKERNELS_H
#define GFN_CKERNELS_H

// Matrix products with tens of rows or fewer (a decoding step's batch, a short forward pass, one
// attention head), where OpenBLAS's sgemm spends much of its time packing the large operand: these
// read it in place. Row-major, float32; every `ld` is a row stride in elements. AVX2+FMA when the CPU
// has it (checked at run time), else portable C.

// y[r, j] = alpha · Σ_i x[r, i] · w[j, i]   for r < m, j in [n0, n1)   (x·wᵀ, w in PyTorch's [out, in] layout).
// x is first packed by gfn_gemm_nt_pack into gfn_gemm_nt_packed_count(m, k) floats, once for any number
// of calls over parts of [0, n). Any m. From 5 rows up each output is fmaf(w[j, i], x[r, i], ·) chained
// over i = 0 ..< k from 0, times alpha; up to 4 rows, 8-lane dot products in another fixed order. Either
// way the bits do not depend on m (within 1–4 or 5 and up), on the row's place in x or on how [n0, n1)
// is split across calls.
long gfn_gemm_nt_packed_count(long m, long k);
void gfn_gemm_nt_pack(long m, long k, const float *x, long ldx, float *xp);
void gfn_gemm_nt_packed(long m, long n0, long n1, long k, float alpha,
                        const float *xp, const float *w, long ldw, float *y, long ldy);

// y[r, j] = alpha · Σ_i x[r, i] · w[i, j]   for r < m, j < n   (x·w)
void gfn_gemm_nn_rows(long m, long n, long k, float alpha,
                      const float *x, long ldx, const float *w, long ldw, float *y, long ldy);

// The OPENBLAS_THREAD_TIMEOUT in effect (log2 of the cycles OpenBLAS's idle workers spin before they
// sleep; see blas_threads.c): 4 unless the user set the variable; −1 for an OpenBLAS without worker threads.
int gfn_blas_thread_timeout(void);

#endif
