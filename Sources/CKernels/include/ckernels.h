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

// y[r, j] = alpha · Σ_i x[r, i] · w[i, j]   for r < m, j < n   (x·w). Each output is fmaf(x[r, i], w[i, j], ·)
// chained over i = 0 ..< k from 0, times alpha, whatever m and however the columns are split across calls.
void gfn_gemm_nn_rows(long m, long n, long k, float alpha,
                      const float *x, long ldx, const float *w, long ldw, float *y, long ldy);

// c[i, j] = (add ? c[i, j] : 0) + alpha · Σ_t p[t, i] · q[t, j]   for i in [m0, m1), j < n, t < k   (c (+)= alpha·pᵀ·q),
// for a short k (a low-rank update: k is the rank). Without `add`, c is only written. Rows [m0, m1) let
// threads share c.
void gfn_gemm_rank_update(long m0, long m1, long n, long k, float alpha, const float *p, long ldp,
                          const float *q, long ldq, int add, float *c, long ldc);

// The two gradients of a low-rank update y += alpha·u·bᵀ (u [N, r], b [n, r]) that read the output's gradient g
// [N, n], over rows t0 ..< t1 of g in one pass:
//   du[c, t] = alpha · Σ_j g[t, j] · b[j, c]      (dU = alpha·g·b, stored transposed [r, N], columns t0 ..< t1)
//   db[j, c] = Σ_{t0 ≤ t < t1} g[t, j] · u[t, c]   (a partial gᵀ·u [n, r], overwritten, not scaled by alpha)
// u is given transposed, ut [r, N] (ld ldu). Threads take disjoint row ranges, each with its own db, and sum
// the partials. The fast path needs r ≤ 8 and rows of b and db at least 8 floats apart (ldb, lddb ≥ 8; it reads
// and writes 8 floats a row, lanes past r are scratch); anything else runs portable C.
void gfn_lowrank_gradients(long t0, long t1, long n, long r, float alpha, const float *g, long ldg, const float *b, long ldb,
                           const float *ut, long ldu, float *du, long lddu, float *db, long lddb);

// Elementwise math over n contiguous floats (vector_math.c): AVX2+FMA when the CPU has it, else portable C. An
// element's result does not depend on n or on where the range starts, so chunked and whole calls agree.
// exp: relative error about 2 ulp, 0 below −86.6, +inf above 88.72; tanh: absolute error about 1e-7.
float gfn_max(long n, const float *x);                                         // −inf for n = 0; NaNs ignored
float gfn_exp_sum(long n, const float *x, float shift, float *out);            // Σ e^(x − shift); out = e^(x − shift) unless NULL
void gfn_exp_scaled(long n, const float *x, float shift, float scale, float *y);  // y = e^(x − shift)·scale
void gfn_sigmoid(long n, const float *x, float *y);                            // 1/(1 + e^−x)
void gfn_tanh(long n, const float *x, float *y);
void gfn_silu(long n, const float *x, float *y);                               // x·σ(x)
void gfn_gelu(long n, const float *x, float *y);                               // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
void gfn_silu_backward(long n, const float *g, const float *x, float *dx);     // dx = g·silu'(x)
void gfn_gelu_backward(long n, const float *g, const float *x, float *dx);     // dx = g·gelu'(x)
// SwiGLU y = silu(gate)·up, and its backward d(gate) = silu'(gate)·(g·up), d(up) = g·silu(gate): the same
// values as gfn_silu then a product, and as the product's and gfn_silu_backward's passes.
void gfn_swiglu(long n, const float *gate, const float *up, float *y);
void gfn_swiglu_backward(long n, const float *g, const float *gate, const float *up, float *dgate, float *dup);

// Products with a weight w [n, k] kept in GGUF's blocks (quantized_gemm.c), row j's blocks at w[j] (so rows
// may be permuted or stacked from several tensors at no cost); x, y,
// g, dx float32. Types are ggml's codes. k must be a multiple of the type's block (32; 256 for Q6_K; any
// for F16/BF16). A block is dequantised in registers to exactly ModelFormats' values and multiplied
// there; AVX2+FMA(+F16C) when the CPU has it, else portable C. Sums run in an order of their own (the
// AVX2 path in 8-lane partial sums), so results equal dequantise-then-float32 up to summation order.
enum { GFN_QUANT_F16 = 1, GFN_QUANT_Q4_0 = 2, GFN_QUANT_Q4_1 = 3, GFN_QUANT_Q8_0 = 8, GFN_QUANT_Q6_K = 14, GFN_QUANT_BF16 = 30 };
long gfn_quant_block_elements(int type);   // 0 for a type these kernels do not take
long gfn_quant_block_bytes(int type);
// y[r, j] = Σ_i x[r, i] · w[j, i]   for r < m, j in [n0, n1)   (x·wᵀ)
void gfn_qgemm_nt(int type, long m, long n0, long n1, long k, const float *x, long ldx,
                  const void *const *w, float *y, long ldy);
// The same with x packed by gfn_gemm_nt_pack (any m; m ≤ 4 runs gfn_qgemm_nt): from 5 rows up, each chunk
// of a group of w rows is dequantised once into an L1 tile shared by up to 64 rows of x, and every output
// is bit for bit gfn_gemm_nt_packed's (alpha 1) on the dequantised w.
void gfn_qgemm_nt_packed(int type, long m, long n0, long n1, long k, const float *xp, const void *const *w,
                         float *y, long ldy);
// dx[r, i] = Σ_{j < n} g[r, j] · w[j, i]   for r < m, i in [c0, c1)   (g·w; c0 a multiple of 32, c1 too or k)
void gfn_qgemm_nn(int type, long m, long n, long c0, long c1, const float *g, long ldg,
                  const void *const *w, float *dx, long lddx);
// out[j − j0, i − c0] = w[j, i]   for j in [j0, j1), i in [c0, c1)   (c0 a multiple of 32, c1 too or k)
void gfn_quant_dequantize_tile(int type, const void *const *w, long j0, long j1, long c0, long c1,
                               float *out, long ldo);
// The first element of one row of `columns` elements whose block scale (or min; for F16/BF16 the value
// itself) is NaN or infinite, which makes it so in float32; −1 when every one is finite. The block
// quants are integers, so a finite scale gives finite values.
long gfn_quant_first_nonfinite(int type, const void *row, long columns);

// The opt-in 8-bit-activation route (quantized_gemm_q8.c): rows of x quantised to blocks of 32, each a float
// scale d = max|x|/127, q = x/d rounded to nearest even (|q| ≤ 127) and s = d·Σq (the term Q4_1's min needs),
// multiplied with Q4_0/Q4_1/Q8_0/Q6_K blocks by exact integer dot products. Results differ from the float32
// activation path by x's quantisation error (≤ d/2 an element). The AVX-512 VNNI, AVX2 and portable kernels
// give the same bits (one order of float operations, documented in the file), whatever the thread split.
typedef struct { float d; float s; signed char q[32]; } gfn_q8_block;
// Whether gfn_qgemm_nt_q8 takes blocks of this type (Q4_0, Q4_1, Q8_0, Q6_K).
int gfn_qgemm_q8_takes(int type);
// xq[r · k/32 + b] = block b of row r of x, for r < m (k a multiple of 32).
void gfn_quantize_q8(long m, long k, const float *x, long ldx, gfn_q8_block *xq);
// y[r, j] ≈ Σ_i x[r, i] · w[j, i]   for r < m, j in [n0, n1), from x's blocks xq (k/32 a row).
void gfn_qgemm_nt_q8(int type, long m, long n0, long n1, long k, const gfn_q8_block *xq, const void *const *w,
                     float *y, long ldy);
// From 5 rows up: x's blocks repacked into panels of 8 rows (gfn_q8_pack_panels into gfn_q8_panels_bytes(m, k) bytes,
// 32-byte aligned), then every weight block is unpacked once for 16 rows (Q4_0, Q4_1, Q8_0: gfn_qgemm_q8_panels_takes).
// Each output: an fmaf chain over blocks of (exact integer sum)·(d_w·d_x) plus one of (Q4_1 min, Q4_0 −8·d_w)·s_x;
// the same bits on every path and for any split of [n0, n1).
int gfn_qgemm_q8_panels_takes(int type);
long gfn_q8_panels_bytes(long m, long k);
void gfn_q8_pack_panels(long m, long k, const gfn_q8_block *xq, void *panels);
void gfn_qgemm_nt_q8_panels(int type, long m, long n0, long n1, long k, const void *panels, const void *const *w,
                            float *y, long ldy);
// Whether the integer kernels use vpdpbusd (AVX-512 VNNI); gfn_use_vnni_kernels(0) turns it off (tests), 1 back on.
int gfn_kernels_use_vnni(void);
void gfn_use_vnni_kernels(int on);
// gfn_use_avx512_kernels(0) turns the AVX-512F kernels off (the blocked GEMM, the 1–4-row Q4_0/Q4_1/Q8_0
// products), so that tests compare them with the AVX2 paths; 1 turns them back on where the CPU has them.
void gfn_use_avx512_kernels(int on);

// Whether the kernels take their AVX2+FMA paths (the CPU has both, and no one asked for the portable ones).
int gfn_kernels_use_avx2(void);
// Makes every kernel take its portable C path (on ≠ 0) or the best the CPU allows (0): for tests of the
// portable code on an AVX2 machine. Not for use while kernels run on other threads.
void gfn_use_portable_kernels(int on);

// The OPENBLAS_THREAD_TIMEOUT in effect (log2 of the cycles OpenBLAS's idle workers spin before they
// sleep; see blas_threads.c): 4 unless the user set the variable; −1 for an OpenBLAS without worker threads.
int gfn_blas_thread_timeout(void);

// Runs task(context, i) for every i < count on the calling thread and up to threads − 1 pool workers
// (started on first use), returning when all have finished; chunks are claimed one at a time, so which
// thread runs which chunk varies. A call made while the pool is busy (from inside a task, or from another
// thread) runs its chunks on the caller. Idle workers spin GFN_POOL_SPIN_US microseconds (default 1000)
// before they sleep (see thread_pool.c).
typedef void (*gfn_pool_task)(void *context, long index);
void gfn_pool_run(long count, int threads, gfn_pool_task task, void *context);
// Workers started so far.
int gfn_pool_workers(void);

// C[m, n] = alpha·op(A)·op(B) + beta·C, row-major, blocked and packed for large products (gemm_blocked.c),
// threaded over `threads` (the caller and CKernels' pool). op(A) is A [m, k] (lda) or, with ta, Aᵀ of A [k, m].
// op(B) [k, n] is described by gfn_gemm_b: a float matrix, B [k, n] or (transposed) Bᵀ of B [n, k]; or with
// a nonzero GGUF `type`, W's rows in blocks (`rows`, as gfn_qgemm_nt takes them), op(B) = Wᵀ of W [n, k]
// (transposed: x·Wᵀ) or W [k, n] (g·W; n a multiple of 32 or W's last chunk). Every element of C is one
// order of FMAs fixed by k alone (blocks of gfn_gemm_blocked_depth(k)), so the bits do not depend on the
// thread count or on which rows or columns of C a call computes alongside; `portable` runs the plain-C
// kernel, which gives the same bits as the AVX-512 one. beta = 0 does not read C.
typedef struct {
    const float *b;
    long ldb;
    int transposed;
    int type;
    const void *const *rows;
} gfn_gemm_b;
void gfn_gemm_blocked(int ta, long m, long n, long k, float alpha, const float *a, long lda, const gfn_gemm_b *b,
                      float beta, float *c, long ldc, int threads, int portable);
long gfn_gemm_blocked_depth(long k);
// Whether gfn_gemm_blocked runs its AVX-512 kernel here (else it runs the portable one).
int gfn_gemm_blocked_fast(void);

#endif
