// C = alpha·op(A)·op(B) + beta·C for the large products (training's and scoring's 640-row x·Wᵀ and g·W), blocked
// the way BLIS and OpenBLAS block: op(A) packed into panels of 12 rows, op(B) into panels of 32 columns, an
// AVX-512 kernel holding a 12 × 32 tile of C in 24 registers. What it does that OpenBLAS cannot:
// - op(B) may be a weight in GGUF blocks, dequantised straight into the packed panels (no float32 copy of W,
//   no second pass packing one);
// - packed A is shared by the threads (one pack per block of k, not one per thread), and the tiles are
//   claimed dynamically from CKernels' pool;
// - every element of C is summed in one order fixed by k alone (blocks of k from kcBlock, each a chain of FMAs
//   in ascending order), whatever the thread count or which thread computes which tile. The portable kernel
//   runs the same operations in the same order, so both give the same bits (tests compare them).
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MR = 12, NR = 32 };

int gfn_gemm_blocked_fast(void) { return has_avx512f(); }

// The k blocks: all of k up to 640 (a 12 × k panel of A stays in L1), else near-equal blocks of about 384,
// multiples of 32 so that a quantised row's blocks are never split. A function of k only.
long gfn_gemm_blocked_depth(long k) {
    if (k <= 640) return k;
    long blocks = (k + 383) / 384;
    long size = (k + blocks - 1) / blocks;
    return (size + 31) / 32 * 32;
}

// ---------------------------------------------------------------------------------------------------------
// Packing.

// out[c·ldo + r] = src[r·ld + c] for r < rows, c < cols: 4 × 4 blocks through SSE registers (a scalar loop's
// strided stores made packing a tenth of a product), the edges one by one.
static void transpose_into(const float *src, long ld, long rows, long cols, float *out, long ldo) {
    long r = 0;
#if defined(__SSE__)
    for (; r + 4 <= rows; r += 4) {
        const float *s0 = src + r * ld, *s1 = s0 + ld, *s2 = s1 + ld, *s3 = s2 + ld;
        long c = 0;
        for (; c + 4 <= cols; c += 4) {
            __m128 x0 = _mm_loadu_ps(s0 + c), x1 = _mm_loadu_ps(s1 + c), x2 = _mm_loadu_ps(s2 + c), x3 = _mm_loadu_ps(s3 + c);
            _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
            _mm_storeu_ps(out + c * ldo + r, x0);
            _mm_storeu_ps(out + (c + 1) * ldo + r, x1);
            _mm_storeu_ps(out + (c + 2) * ldo + r, x2);
            _mm_storeu_ps(out + (c + 3) * ldo + r, x3);
        }
        for (; c < cols; c++) {
            out[c * ldo + r] = s0[c];
            out[c * ldo + r + 1] = s1[c];
            out[c * ldo + r + 2] = s2[c];
            out[c * ldo + r + 3] = s3[c];
        }
    }
#endif
    for (; r < rows; r++)
        for (long c = 0; c < cols; c++) out[c * ldo + r] = src[r * ld + c];
}

// op(A)[i0 + ii, p0 + p] for ii < mr, p < kc into out[p·MR + ii]; rows past mr are zero.
static void pack_a(int ta, const float *a, long lda, long i0, long mr, long p0, long kc, float *out) {
    if (!ta) {
        transpose_into(a + i0 * lda + p0, lda, mr, kc, out, MR);
    } else {
        for (long p = 0; p < kc; p++) {
            const float *row = a + (p0 + p) * lda + i0;
            for (long ii = 0; ii < mr; ii++) out[p * MR + ii] = row[ii];
        }
    }
    if (mr < MR)
        for (long p = 0; p < kc; p++)
            for (long ii = mr; ii < MR; ii++) out[p * MR + ii] = 0;
}

// op(B)[p0 + p, j0 + jj] for p < kc, jj < nr into out[p·NR + jj]; columns past nr are zero. `tmp` holds
// NR·kc floats (a quantised x·Wᵀ panel is dequantised row by row there, then transposed).
static void pack_b(const gfn_gemm_b *b, long p0, long kc, long j0, long nr, float *out, float *tmp) {
    if (b->type == 0 && !b->transposed) {
        for (long p = 0; p < kc; p++) {
            const float *row = b->b + (p0 + p) * b->ldb + j0;
            memcpy(out + p * NR, row, (size_t)nr * sizeof(float));
            for (long jj = nr; jj < NR; jj++) out[p * NR + jj] = 0;
        }
        return;
    }
    if (b->type != 0 && !b->transposed) {
        // g·W: op(B) = W, whose row p0 + p holds the panel's row; its columns [j0, j0 + nr) are whole chunks.
        gfn_quant_dequantize_tile(b->type, b->rows, p0, p0 + kc, j0, j0 + nr, out, NR);
        if (nr < NR)
            for (long p = 0; p < kc; p++)
                for (long jj = nr; jj < NR; jj++) out[p * NR + jj] = 0;
        return;
    }
    // x·Wᵀ: column j0 + jj of op(B) is row j0 + jj of W (float, or dequantised into tmp first).
    const float *src;
    long ld;
    if (b->type != 0) {
        gfn_quant_dequantize_tile(b->type, b->rows, j0, j0 + nr, p0, p0 + kc, tmp, kc);
        src = tmp;
        ld = kc;
    } else {
        src = b->b + j0 * b->ldb + p0;
        ld = b->ldb;
    }
    transpose_into(src, ld, nr, kc, out, NR);
    if (nr < NR)
        for (long p = 0; p < kc; p++)
            for (long jj = nr; jj < NR; jj++) out[p * NR + jj] = 0;
}

// ---------------------------------------------------------------------------------------------------------
// Kernels: acc[i][j] = chain of fma(a[p][i], b[p][j], ·) over p = 0 ..< kc from 0; then C[i][j] for i < mr,
// j < nr becomes fma(alpha, acc, beta·C) on the first block (alpha·acc when beta is 0: C is not read),
// fma(alpha, acc, C) on the later ones.

static void kernel_portable(long kc, const float *pa, const float *pb, float *c, long ldc, long mr, long nr,
                            float alpha, float beta, int first) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = 0;
    for (long p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = fmaf(pa[p * MR + i], pb[p * NR + j], acc[i][j]);
    for (long i = 0; i < mr; i++)
        for (long j = 0; j < nr; j++) {
            float *cij = c + i * ldc + j;
            if (!first) *cij = fmaf(alpha, acc[i][j], *cij);
            else if (beta == 0) *cij = alpha * acc[i][j];
            else {
                float scaled = beta * *cij;
                *cij = fmaf(alpha, acc[i][j], scaled);
            }
        }
}

#define ROW_DECLARE(i) __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps();
#define ROW_STEP(i)                                                                                             \
    {                                                                                                           \
        __m512 ai = _mm512_set1_ps(pa[i]);                                                                      \
        c##i##a = _mm512_fmadd_ps(ai, b0, c##i##a);                                                             \
        c##i##b = _mm512_fmadd_ps(ai, b1, c##i##b);                                                             \
    }
#define ROW_STORE(i)                                                                                            \
    if (i < mr) {                                                                                               \
        float *ci = c + i * ldc;                                                                                \
        store_pair(ci, c##i##a, c##i##b, m0, m1, va, vb, first);                                                \
    }

__attribute__((target("avx512f"), always_inline))
static inline void store_one(float *ci, __m512 acc, __mmask16 mask, __m512 va, __m512 vb, int first) {
    if (!mask) return;
    if (first == 2) {  // beta 0
        _mm512_mask_storeu_ps(ci, mask, _mm512_mul_ps(va, acc));
        return;
    }
    __m512 old = _mm512_maskz_loadu_ps(mask, ci);
    if (first) old = _mm512_mul_ps(vb, old);
    _mm512_mask_storeu_ps(ci, mask, _mm512_fmadd_ps(va, acc, old));
}

__attribute__((target("avx512f"), always_inline))
static inline void store_pair(float *ci, __m512 x, __m512 y, __mmask16 m0, __mmask16 m1, __m512 va, __m512 vb, int first) {
    store_one(ci, x, m0, va, vb, first);
    store_one(ci + 16, y, m1, va, vb, first);
}

__attribute__((target("avx512f")))
static void kernel_avx512(long kc, const float *pa, const float *pb, float *c, long ldc, long mr, long nr,
                          float alpha, float beta, int first) {
    ROW_DECLARE(0) ROW_DECLARE(1) ROW_DECLARE(2) ROW_DECLARE(3) ROW_DECLARE(4) ROW_DECLARE(5)
    ROW_DECLARE(6) ROW_DECLARE(7) ROW_DECLARE(8) ROW_DECLARE(9) ROW_DECLARE(10) ROW_DECLARE(11)
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16);
        ROW_STEP(0) ROW_STEP(1) ROW_STEP(2) ROW_STEP(3) ROW_STEP(4) ROW_STEP(5)
        ROW_STEP(6) ROW_STEP(7) ROW_STEP(8) ROW_STEP(9) ROW_STEP(10) ROW_STEP(11)
        pa += MR;
        pb += NR;
    }
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (first && beta == 0) first = 2;
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5)
    ROW_STORE(6) ROW_STORE(7) ROW_STORE(8) ROW_STORE(9) ROW_STORE(10) ROW_STORE(11)
}

// ---------------------------------------------------------------------------------------------------------
// Scratch kept per thread between calls, so that no product faults in fresh pages; freed when the thread ends.
// At most a few megabytes: packed A holds 2²¹ floats or one block of k for `row_chunk` rows, packed B three
// column panels.

struct scratch {
    float *buffer[2];
    size_t floats[2];
};

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *p) {
    struct scratch *s = p;
    free(s->buffer[0]);
    free(s->buffer[1]);
    free(s);
}

static void make_scratch_key(void) {
    if (pthread_key_create(&scratch_key, free_scratch) != 0) {
        fputs("gfn: no thread-specific key for a matrix product's packing buffers\n", stderr);
        abort();
    }
}

// Buffer `which` (0: packed A, 1: packed B) of this thread, at least `floats` long. Out of memory for a few
// megabytes of scratch ends the process, as Swift's own allocations do.
static float *scratch(int which, size_t floats) {
    pthread_once(&scratch_once, make_scratch_key);
    struct scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) goto out_of_memory;
    }
    if (s->floats[which] < floats) {
        free(s->buffer[which]);
        s->floats[which] = 0;
        s->buffer[which] = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        if (!s->buffer[which]) goto out_of_memory;
        s->floats[which] = floats;
    }
    return s->buffer[which];
out_of_memory:
    fputs("gfn: out of memory for a matrix product's packing buffers\n", stderr);
    abort();
}

// ---------------------------------------------------------------------------------------------------------
// A run of whole k blocks [s0, s1): the threads first pack op(A)'s panels for all of them (shared), then claim
// tiles of C — a range of row panels × a range of column panels — each walking the blocks in order and packing
// its own columns of op(B) for each. Runs are as long as `packed_a_floats` allows (the packed A is kept per
// thread between calls), so that most products take two fork-joins, not two per block.

enum { packed_a_floats = 1 << 21 };

struct run_job {
    int ta, portable;
    long m, n, k, kc_max, s0, s1, row_panels;
    float alpha, beta;
    const float *a;
    long lda;
    const gfn_gemm_b *b;
    float *c;
    long ldc;
    float *packed_a;
    long row_tasks, column_tasks, row_panels_per_task, column_panels_per_task;
};

// Packed A of block `block` (counted from s0), row panel `panel`: MR × kc floats.
static inline float *packed_panel(const struct run_job *j, long block, long panel) {
    return j->packed_a + (block * j->row_panels + panel) * MR * j->kc_max;
}

static void pack_a_task(void *context, long task) {
    struct run_job *j = context;
    long block = task / j->row_panels, panel = task % j->row_panels;
    long p0 = j->s0 + block * j->kc_max, kc = j->s1 - p0 < j->kc_max ? j->s1 - p0 : j->kc_max;
    long i0 = panel * MR, mr = j->m - i0 < MR ? j->m - i0 : MR;
    pack_a(j->ta, j->a, j->lda, i0, mr, p0, kc, packed_panel(j, block, panel));
}

static void tile_task(void *context, long task) {
    struct run_job *j = context;
    long rt = task % j->row_tasks, ct = task / j->row_tasks;
    long i_lo = rt * j->row_panels_per_task * MR, i_hi = i_lo + j->row_panels_per_task * MR;
    long j_lo = ct * j->column_panels_per_task * NR, j_hi = j_lo + j->column_panels_per_task * NR;
    if (i_hi > j->m) i_hi = j->m;
    if (j_hi > j->n) j_hi = j->n;
    if (i_lo >= i_hi || j_lo >= j_hi) return;
    long panels = (j_hi - j_lo + NR - 1) / NR;
    size_t need = (size_t)panels * NR * j->kc_max + (j->b->type != 0 && j->b->transposed ? (size_t)NR * j->kc_max : 0);
    float *pb = scratch(1, need);
    float *tmp = pb + (size_t)panels * NR * j->kc_max;
    for (long p0 = j->s0, block = 0; p0 < j->s1; p0 += j->kc_max, block++) {
        long kc = j->s1 - p0 < j->kc_max ? j->s1 - p0 : j->kc_max;
        int first = p0 == 0;
        for (long q = 0; q < panels; q++) {
            long c0 = j_lo + q * NR, nr = j_hi - c0 < NR ? j_hi - c0 : NR;
            pack_b(j->b, p0, kc, c0, nr, pb + q * NR * kc, tmp);
        }
        for (long i0 = i_lo; i0 < i_hi; i0 += MR) {
            const float *pa = packed_panel(j, block, i0 / MR);
            long mr = i_hi - i0 < MR ? i_hi - i0 : MR;
            for (long q = 0; q < panels; q++) {
                long c0 = j_lo + q * NR, nr = j_hi - c0 < NR ? j_hi - c0 : NR;
                float *ct = j->c + i0 * j->ldc + c0;
                if (j->portable) kernel_portable(kc, pa, pb + q * NR * kc, ct, j->ldc, mr, nr, j->alpha, j->beta, first);
                else kernel_avx512(kc, pa, pb + q * NR * kc, ct, j->ldc, mr, nr, j->alpha, j->beta, first);
            }
        }
    }
}

static void blocked_rows(int ta, long m, long n, long k, float alpha, const float *a, long lda, const gfn_gemm_b *b,
                         float beta, float *c, long ldc, int threads, int portable);

// Rows go through in chunks of this many (each element's sum is the same in any chunk), which bounds packed A.
enum { row_chunk = 2040 };

void gfn_gemm_blocked(int ta, long m, long n, long k, float alpha, const float *a, long lda, const gfn_gemm_b *b,
                      float beta, float *c, long ldc, int threads, int portable) {
    for (long i0 = 0; i0 < m; i0 += row_chunk) {
        long rows = m - i0 < row_chunk ? m - i0 : row_chunk;
        blocked_rows(ta, rows, n, k, alpha, ta ? a + i0 : a + i0 * lda, lda, b, beta, c + i0 * ldc, ldc, threads, portable);
    }
}

static void blocked_rows(int ta, long m, long n, long k, float alpha, const float *a, long lda, const gfn_gemm_b *b,
                         float beta, float *c, long ldc, int threads, int portable) {
    if (m <= 0 || n <= 0) return;
    if (!portable && !has_avx512f()) portable = 1;
    if (threads < 1) threads = 1;
    if (k <= 0) {  // C = beta·C (BLAS reads no C when beta is 0)
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return;
    }
    long kc_max = gfn_gemm_blocked_depth(k);
    long row_panels = (m + MR - 1) / MR, column_panels = (n + NR - 1) / NR;
    long blocks_per_run = packed_a_floats / (row_panels * MR * kc_max);
    if (blocks_per_run < 1) blocks_per_run = 1;
    long blocks = (k + kc_max - 1) / kc_max;
    if (blocks_per_run > blocks) blocks_per_run = blocks;
    float *packed_a = scratch(0, (size_t)blocks_per_run * row_panels * MR * kc_max);
    // Tiles of about 3 column panels, their count a multiple of the thread count so that the threads finish
    // together; rows are split too when there are too few column panels to go round.
    long column_tasks = column_panels < 3 ? 1 : (column_panels + 2) / 3;
    if (column_tasks > threads) column_tasks = (column_tasks + threads - 1) / threads * threads;
    if (column_tasks > column_panels) column_tasks = column_panels;
    long per_column_task = (column_panels + column_tasks - 1) / column_tasks;
    column_tasks = (column_panels + per_column_task - 1) / per_column_task;
    long row_tasks = 1;
    if (column_tasks < 2 * threads) {
        row_tasks = (2 * threads + column_tasks - 1) / column_tasks;
        if (row_tasks > row_panels) row_tasks = row_panels;
    }
    long per_row_task = (row_panels + row_tasks - 1) / row_tasks;
    row_tasks = (row_panels + per_row_task - 1) / per_row_task;
    struct run_job job = {
        .ta = ta, .portable = portable, .m = m, .n = n, .k = k, .kc_max = kc_max, .row_panels = row_panels,
        .alpha = alpha, .beta = beta, .a = a, .lda = lda, .b = b, .c = c, .ldc = ldc, .packed_a = packed_a,
        .row_tasks = row_tasks, .column_tasks = column_tasks, .row_panels_per_task = per_row_task,
        .column_panels_per_task = per_column_task,
    };
    for (long s0 = 0; s0 < k; s0 += blocks_per_run * kc_max) {
        job.s0 = s0;
        job.s1 = k - s0 < blocks_per_run * kc_max ? k : s0 + blocks_per_run * kc_max;
        long run_blocks = (job.s1 - s0 + kc_max - 1) / kc_max;
        gfn_pool_run(run_blocks * row_panels, m * (job.s1 - s0) >= (1 << 16) ? threads : 1, pack_a_task, &job);
        gfn_pool_run(row_tasks * column_tasks, threads, tile_task, &job);
    }
}
