// Matrix products that read the weight in place (see include/ckernels.h). The AVX2 path computes
// tiles of 3 rows of x against 4 rows of w in 12 accumulators, so each w vector is loaded once per
// three rows of x; k is cut into blocks that keep a tile's rows in L1. Every output is summed in the
// same order (8 lanes over k in fixed blocks, one fixed reduction of the lanes), whatever m is, which
// tile or tail computes it and how callers split [n0, n1) across threads: a row's result does not
// depend on the batch it is in.
#include "ckernels.h"
#include <immintrin.h>
#include <stddef.h>

static int has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

// Lanes of a partial-tail load: mask_table + 8 - rem enables the first rem lanes.
static const int mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// The sums of four 8-lane accumulators, always in the order ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).
__attribute__((target("avx2,fma")))
static inline __m128 reduce4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// R rows of x (R ≤ 3) against four rows of w over kb elements: 4R accumulators, each w vector loaded
// once per R rows, the k tail as one masked step. out[r] holds the four dot products of row r.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile(const int R, long kb, const float *x, long ldx, const float *w0, const float *w1,
                        const float *w2, const float *w3, __m128 out[3]) {
    __m256 acc[3][4];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < 4; j++) acc[r][j] = _mm256_setzero_ps();
    const long kv = kb & ~7L;
    // x's R vectors stay in registers and each w vector is used as soon as it is loaded: 12 accumulators
    // + 3 + 1 fit AVX2's 16 registers without spills.
    const float *ws[4] = {w0, w1, w2, w3};
    for (long i = 0; i < kv; i += 8) {
        __m256 xv[3];
        for (int r = 0; r < R; r++) xv[r] = _mm256_loadu_ps(x + r * ldx + i);
        for (int j = 0; j < 4; j++) {
            const __m256 v = _mm256_loadu_ps(ws[j] + i);
            for (int r = 0; r < R; r++) acc[r][j] = _mm256_fmadd_ps(xv[r], v, acc[r][j]);
        }
    }
    if (kb > kv) {
        const __m256i mask = _mm256_loadu_si256((const __m256i *)(mask_table + 8 - (kb - kv)));
        const __m256 v0 = _mm256_maskload_ps(w0 + kv, mask), v1 = _mm256_maskload_ps(w1 + kv, mask);
        const __m256 v2 = _mm256_maskload_ps(w2 + kv, mask), v3 = _mm256_maskload_ps(w3 + kv, mask);
        for (int r = 0; r < R; r++) {
            const __m256 xv = _mm256_maskload_ps(x + r * ldx + kv, mask);
            acc[r][0] = _mm256_fmadd_ps(xv, v0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(xv, v1, acc[r][1]);
            acc[r][2] = _mm256_fmadd_ps(xv, v2, acc[r][2]);
            acc[r][3] = _mm256_fmadd_ps(xv, v3, acc[r][3]);
        }
    }
    for (int r = 0; r < R; r++) out[r] = reduce4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
}

// Writes R rows of a tile's sums to y[r, o ..< o + nv]: the first k block stores, later ones add to
// what is there, the last one scales by alpha.
__attribute__((target("avx2,fma"), always_inline))
static inline void store_tile(const int R, const __m128 s[3], float *y, long ldy, long nv, int first, int last,
                              float alpha) {
    for (int r = 0; r < R; r++) {
        float *yr = y + r * ldy;
        if (nv == 4) {
            __m128 t = first ? s[r] : _mm_add_ps(_mm_loadu_ps(yr), s[r]);
            _mm_storeu_ps(yr, last ? _mm_mul_ps(_mm_set1_ps(alpha), t) : t);
            continue;
        }
        float v[4];
        _mm_storeu_ps(v, s[r]);
        for (long j = 0; j < nv; j++) {
            float t = first ? v[j] : yr[j] + v[j];
            yr[j] = last ? alpha * t : t;
        }
    }
}

// k is cut into equal blocks of at most k_block_max elements (multiples of 8), so that a tile's four
// w rows and three x rows stay in L1 while the rows of x stream from L2; rows of x are taken m_block at
// a time, so that a block of them stays in L2 while w streams past. (Staging 16 output columns to write
// whole cache lines of y was measured no faster.)
enum { k_block_max = 640, m_block = 96 };

__attribute__((target("avx2,fma")))
static void nt_avx2(long m, long n0, long n1, long k, float alpha, const float *x, long ldx,
                    const float *w, long ldw, float *y, long ldy) {
    if (m > m_block) {
        for (long r0 = 0; r0 < m; r0 += m_block)
            nt_avx2(m - r0 < m_block ? m - r0 : m_block, n0, n1, k, alpha, x + r0 * ldx, ldx, w, ldw, y + r0 * ldy, ldy);
        return;
    }
    const long blocks = (k + k_block_max - 1) / k_block_max;
    const long kb_full = ((k + blocks - 1) / blocks + 7) & ~7L;
    for (long k0 = 0; k0 < k; k0 += kb_full) {
        const long kb = k - k0 < kb_full ? k - k0 : kb_full;
        const int first = k0 == 0, last = k0 + kb >= k;
        for (long o = n0; o < n1; o += 4) {
            const long nv = n1 - o < 4 ? n1 - o : 4;
            // A short last group repeats its last row; only the nv real sums are stored.
            const float *w0 = w + o * ldw + k0;
            const float *w1 = w + (o + (nv > 1 ? 1 : 0)) * ldw + k0;
            const float *w2 = w + (o + (nv > 2 ? 2 : nv - 1)) * ldw + k0;
            const float *w3 = w + (o + (nv > 3 ? 3 : nv - 1)) * ldw + k0;
            __m128 s[3];
            long r = 0;
            for (; r + 3 <= m; r += 3) {
                tile(3, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                store_tile(3, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            }
            if (m - r == 2) {
                tile(2, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                store_tile(2, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            } else if (m - r == 1) {
                tile(1, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                store_tile(1, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            }
        }
    }
}

static void nt_portable(long m, long n0, long n1, long k, float alpha, const float *x, long ldx,
                        const float *w, long ldw, float *y, long ldy) {
    for (long o = n0; o < n1; o++) {
        const float *wr = w + o * ldw;
        for (long r = 0; r < m; r++) {
            const float *xr = x + r * ldx;
            float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            long i = 0;
            for (; i + 8 <= k; i += 8)
                for (int l = 0; l < 8; l++) acc[l] += xr[i + l] * wr[i + l];
            float s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
            for (; i < k; i++) s += xr[i] * wr[i];
            y[r * ldy + o] = alpha * s;
        }
    }
}

void gfn_gemm_nt_rows(long m, long n0, long n1, long k, float alpha, const float *x, long ldx,
                      const float *w, long ldw, float *y, long ldy) {
    if (has_avx2_fma()) nt_avx2(m, n0, n1, k, alpha, x, ldx, w, ldw, y, ldy);
    else nt_portable(m, n0, n1, k, alpha, x, ldx, w, ldw, y, ldy);
}

__attribute__((target("avx2,fma")))
static void nn_avx2(long m, long n, long k, float alpha, const float *x, long ldx,
                    const float *w, long ldw, float *y, long ldy) {
    const long nv = n & ~7L;
    for (long r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        for (long j = 0; j < nv; j += 8) {
            __m256 acc = _mm256_setzero_ps();
            for (long i = 0; i < k; i++)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(xr[i]), _mm256_loadu_ps(w + i * ldw + j), acc);
            _mm256_storeu_ps(yr + j, _mm256_mul_ps(acc, _mm256_set1_ps(alpha)));
        }
        for (long j = nv; j < n; j++) {
            float s = 0;
            for (long i = 0; i < k; i++) s += xr[i] * w[i * ldw + j];
            yr[j] = alpha * s;
        }
    }
}

static void nn_portable(long m, long n, long k, float alpha, const float *x, long ldx,
                        const float *w, long ldw, float *y, long ldy) {
    for (long r = 0; r < m; r++) {
        const float *xr = x + r * ldx;
        float *yr = y + r * ldy;
        for (long j = 0; j < n; j++) yr[j] = 0;
        for (long i = 0; i < k; i++) {
            const float xi = xr[i], *wr = w + i * ldw;
            for (long j = 0; j < n; j++) yr[j] += xi * wr[j];
        }
        for (long j = 0; j < n; j++) yr[j] *= alpha;
    }
}

void gfn_gemm_nn_rows(long m, long n, long k, float alpha, const float *x, long ldx,
                      const float *w, long ldw, float *y, long ldy) {
    if (has_avx2_fma()) nn_avx2(m, n, k, alpha, x, ldx, w, ldw, y, ldy);
    else nn_portable(m, n, k, alpha, x, ldx, w, ldw, y, ldy);
}
