// x·wᵀ with up to tens of rows of x (see include/ckernels.h). x, the small operand, is packed once per
// product into panels of 16 rows stored k-major (16 contiguous floats per k step), so that a vector
// holds one k step of 16 rows; w, the large one, is read in place by broadcasting one element of a row
// at a time. A tile is 12 rows of w against one panel: with a full panel, two halves of 6 w rows × 16
// x rows in 12 accumulators; with a panel of at most 8 rows, 12 w rows × 8 in 12 accumulators. The
// next group's w rows are prefetched while this one is used, since the hardware prefetcher ramps up
// too slowly over rows of a few kilobytes.
//
// From 5 rows up, every output is one chain of fused multiply-adds over k in order, from zero (partial
// sums between k blocks are kept exactly), then scaled by alpha. So the result of a row does not depend
// on how many rows are multiplied with it, on its place among them, on how [n0, n1) is split across
// threads, or on whether the AVX2 or the portable path computed it.
//
// Up to 4 rows of x (a single decoding row, one query's attention scores) take another path, where a
// panel would waste most of every vector and an FMA chain per output cannot hide the FMA latency: dot
// products of 3 rows of x against 4 rows of w in 8-lane accumulators, x copied as it is. Their sums
// run in another fixed order (8 lanes over k blocks, one fixed reduction of the lanes), which again
// does not depend on m (≤ 4), the row's place or the split, but differs in the last bits from the
// chain of the larger products.
#include "ckernels.h"
#include "cpu_features.h"
#include "gemm_nt_decoded.h"
#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

enum {
    small_rows = 4,    // at most this many rows of x take the transposing path
    panel_rows = 16,
    group_rows = 12,   // rows of w per tile
    k_block_max = 576  // keeps a tile's w rows (27 KB) and its stretch of a panel (36 KB) in L1 and L2
};

long gfn_gemm_nt_packed_count(long m, long k) {
    return m <= small_rows ? m * k : (m + panel_rows - 1) / panel_rows * panel_rows * k;
}

// An 8×8 block transposed in registers: r[i] lane j becomes r[j] lane i.
__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8x8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// 8 rows of x (zeros past `rows`), 8 floats each, transposed into 8 k steps of a panel (stride 16).
__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8(const float *x, long ldx, long rows, float *d) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(x + i * ldx) : _mm256_setzero_ps();
    transpose8x8(r);
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(d + i * panel_rows, r[i]);
}

__attribute__((target("avx2,fma")))
static void pack_avx2(long m, long k, const float *x, long ldx, float *xp) {
    for (long q = 0; q * panel_rows < m; q++) {
        float *d = xp + q * panel_rows * k;
        const float *xq = x + q * panel_rows * ldx;
        const long rows = m - q * panel_rows < panel_rows ? m - q * panel_rows : panel_rows;
        long p = 0;
        for (; p + 8 <= k; p += 8) {
            transpose8(xq + p, ldx, rows, d + p * panel_rows);
            transpose8(rows > 8 ? xq + 8 * ldx + p : xq + p, ldx, rows - 8, d + p * panel_rows + 8);
        }
        for (; p < k; p++)
            for (long r = 0; r < panel_rows; r++) d[p * panel_rows + r] = r < rows ? xq[r * ldx + p] : 0;
    }
}

static void pack_portable(long m, long k, const float *x, long ldx, float *xp) {
    for (long q = 0; q * panel_rows < m; q++) {
        float *d = xp + q * panel_rows * k;
        const long rows = m - q * panel_rows < panel_rows ? m - q * panel_rows : panel_rows;
        for (long p = 0; p < k; p++)
            for (long r = 0; r < panel_rows; r++) d[p * panel_rows + r] = r < rows ? x[(q * panel_rows + r) * ldx + p] : 0;
    }
}

void gfn_gemm_nt_pack(long m, long k, const float *x, long ldx, float *xp) {
    if (m <= small_rows) {
        for (long r = 0; r < m; r++)
            for (long p = 0; p < k; p++) xp[r * k + p] = x[r * ldx + p];
        return;
    }
    if (has_avx2_fma()) pack_avx2(m, k, x, ldx, xp);
    else pack_portable(m, k, x, ldx, xp);
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
static inline void dot_tile(const int R, long kb, const float *x, long ldx, const float *w0, const float *w1,
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
static inline void dot_store(const int R, const __m128 s[3], float *y, long ldy, long nv, int first, int last,
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

// k is cut into equal blocks of at most dot_k_block_max elements (multiples of 8), so that a tile's four
// w rows and its rows of x stay in L1.
enum { dot_k_block_max = 640 };

__attribute__((target("avx2,fma")))
static void nt_dot_avx2(long m, long n0, long n1, long k, float alpha, const float *x, long ldx,
                        const float *w, long ldw, float *y, long ldy) {
    const long blocks = (k + dot_k_block_max - 1) / dot_k_block_max;
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
                dot_tile(3, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                dot_store(3, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            }
            if (m - r == 2) {
                dot_tile(2, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                dot_store(2, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            } else if (m - r == 1) {
                dot_tile(1, kb, x + r * ldx + k0, ldx, w0, w1, w2, w3, s);
                dot_store(1, s, y + r * ldy + o, ldy, nv, first, last, alpha);
            }
        }
    }
}

// One step of k for R rows of w against V vectors (8 rows of x each) of a panel.
#define STEP(pp)                                                                                   \
    do {                                                                                           \
        __m256 xv[2];                                                                              \
        for (int v = 0; v < V; v++) xv[v] = _mm256_loadu_ps(xp + (pp) * panel_rows + v * 8);      \
        for (int i = 0; i < R; i++) {                                                              \
            const __m256 b = _mm256_broadcast_ss(w + i * ldw + (pp));                              \
            for (int v = 0; v < V; v++) acc[i][v] = _mm256_fmadd_ps(b, xv[v], acc[i][v]);          \
        }                                                                                          \
    } while (0)

// R rows of w (R ≤ 12 / V) against V·8 rows of a panel over kb steps of k, continuing the sums in ct
// (ct[i · 16 + r] for w row i, panel row r) unless this is the first k block. pf, when not null, is
// prefetched: the same stretch of the next group's rows.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile(const int R, const int V, long kb, const float *w, long ldw, const float *xp, float *ct,
                        int first, const float *pf) {
    __m256 acc[12][2];
    for (int i = 0; i < R; i++)
        for (int v = 0; v < V; v++) acc[i][v] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(ct + i * panel_rows + v * 8);
    long p = 0;
    for (; p + 16 <= kb; p += 16) {
        if (pf)
            for (int i = 0; i < R; i++) _mm_prefetch((const char *)(pf + i * ldw + p), _MM_HINT_T0);
        for (long pp = p; pp < p + 16; pp++) STEP(pp);
    }
    for (; p < kb; p++) STEP(p);
    for (int i = 0; i < R; i++)
        for (int v = 0; v < V; v++) _mm256_storeu_ps(ct + i * panel_rows + v * 8, acc[i][v]);
}
#undef STEP

// Dispatches a tile to the instance with constant R and V, which keeps acc in registers.
__attribute__((target("avx2,fma")))
static void tile_any(int r, int v, long kb, const float *w, long ldw, const float *xp, float *ct, int first,
                     const float *pf) {
#define CASE(R, V) case R: tile(R, V, kb, w, ldw, xp, ct, first, pf); return
    if (v == 2) switch (r) {
        CASE(6, 2); CASE(5, 2); CASE(4, 2); CASE(3, 2); CASE(2, 2); default: tile(1, 2, kb, w, ldw, xp, ct, first, pf); return;
    }
    switch (r) {
        CASE(12, 1); CASE(11, 1); CASE(10, 1); CASE(9, 1); CASE(8, 1); CASE(7, 1);
        CASE(6, 1); CASE(5, 1); CASE(4, 1); CASE(3, 1); CASE(2, 1); default: tile(1, 1, kb, w, ldw, xp, ct, first, pf); return;
    }
#undef CASE
}

// y[r, i] = alpha · ct[i · 16 + r] for r < rows, i < g: a tile's sums, transposed back to rows of x.
// Whole 8×8 blocks go through registers; the rest one by one.
__attribute__((target("avx2,fma")))
static void store_tile(const float *ct, long rows, int g, float alpha, float *y, long ldy) {
    const __m256 a = _mm256_set1_ps(alpha);
    long r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) {
        int i0 = 0;
        for (; i0 + 8 <= g; i0 += 8) {
            __m256 v[8];
            for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(ct + (i0 + i) * panel_rows + r0);
            transpose8x8(v);
            for (int r = 0; r < 8; r++) _mm256_storeu_ps(y + (r0 + r) * ldy + i0, _mm256_mul_ps(a, v[r]));
        }
        if (i0 + 4 <= g) {
            __m256 v[8];
            for (int i = 0; i < 8; i++) v[i] = i < 4 ? _mm256_loadu_ps(ct + (i0 + i) * panel_rows + r0) : _mm256_setzero_ps();
            transpose8x8(v);
            for (int r = 0; r < 8; r++) _mm_storeu_ps(y + (r0 + r) * ldy + i0, _mm_mul_ps(_mm256_castps256_ps128(a), _mm256_castps256_ps128(v[r])));
            i0 += 4;
        }
        for (long r = r0; r < r0 + 8; r++)
            for (int i = i0; i < g; i++) y[r * ldy + i] = alpha * ct[i * panel_rows + r];
    }
    for (long r = r0; r < rows; r++)
        for (int i = 0; i < g; i++) y[r * ldy + i] = alpha * ct[i * panel_rows + r];
}

__attribute__((target("avx2,fma")))
static void nt_avx2(long m, long n0, long n1, long k, float alpha, const float *xp, const float *w, long ldw,
                    float *y, long ldy) {
    const long blocks = (k + k_block_max - 1) / k_block_max;
    const long kb_full = ((k + blocks - 1) / blocks + 15) & ~15L;
    const long panels = (m + panel_rows - 1) / panel_rows;
    // Panels are taken four at a time (64 rows), so that their stretch of k stays in L2 while w streams.
    for (long q0 = 0; q0 < panels; q0 += 4) {
        const long qn = panels - q0 < 4 ? panels - q0 : 4;
        float ct[4][group_rows * panel_rows] __attribute__((aligned(32)));
        for (long o = n0; o < n1; o += group_rows) {
            const int g = n1 - o < group_rows ? (int)(n1 - o) : group_rows;
            const int prefetch = o + 2 * group_rows <= n1;
            for (long k0 = 0; k0 < k; k0 += kb_full) {
                const long kb = k - k0 < kb_full ? k - k0 : kb_full;
                const float *wg = w + o * ldw + k0;
                for (long q = 0; q < qn; q++) {
                    const long rows = m - (q0 + q) * panel_rows;
                    const float *xq = xp + (q0 + q) * panel_rows * k + k0 * panel_rows;
                    const float *pf = q == 0 && prefetch ? wg + group_rows * ldw : NULL;
                    if (rows > 8) {
                        tile_any(g < 6 ? g : 6, 2, kb, wg, ldw, xq, ct[q], k0 == 0, pf);
                        if (g > 6) tile_any(g - 6, 2, kb, wg + 6 * ldw, ldw, xq, ct[q] + 6 * panel_rows, k0 == 0,
                                            pf ? pf + 6 * ldw : NULL);
                    } else {
                        tile_any(g, 1, kb, wg, ldw, xq, ct[q], k0 == 0, pf);
                    }
                }
            }
            for (long q = 0; q < qn; q++) {
                const long rows = m - (q0 + q) * panel_rows < panel_rows ? m - (q0 + q) * panel_rows : panel_rows;
                store_tile(ct[q], rows, g, alpha, y + (q0 + q) * panel_rows * ldy + o, ldy);
            }
        }
    }
}

// nt_avx2 with each group's stretch of w decoded into an L1 tile first. The k blocks are multiples of 32
// (a chunk of every block type) rather than of 16; the sums are the same chains over k either way.
__attribute__((target("avx2,fma")))
void gfn_gemm_nt_packed_decoded(long m, long n0, long n1, long k, float alpha, const float *xp,
                                gfn_nt_row_decoder decode, const void *ctx, float *y, long ldy) {
    const long blocks = (k + k_block_max - 1) / k_block_max;
    const long kb_full = ((k + blocks - 1) / blocks + 31) & ~31L;
    const long panels = (m + panel_rows - 1) / panel_rows;
    float *wt = aligned_alloc(32, sizeof(float) * group_rows * k_block_max);
    if (!wt) return;
    for (long q0 = 0; q0 < panels; q0 += 4) {
        const long qn = panels - q0 < 4 ? panels - q0 : 4;
        float ct[4][group_rows * panel_rows] __attribute__((aligned(32)));
        for (long o = n0; o < n1; o += group_rows) {
            const int g = n1 - o < group_rows ? (int)(n1 - o) : group_rows;
            const long next = n1 - o - g < group_rows ? n1 - o - g : group_rows;
            for (long k0 = 0; k0 < k; k0 += kb_full) {
                const long kb = k - k0 < kb_full ? k - k0 : kb_full;
                decode(ctx, o, g, k0, kb, wt, kb_full, next);
                for (long q = 0; q < qn; q++) {
                    const long rows = m - (q0 + q) * panel_rows;
                    const float *xq = xp + (q0 + q) * panel_rows * k + k0 * panel_rows;
                    if (rows > 8) {
                        tile_any(g < 6 ? g : 6, 2, kb, wt, kb_full, xq, ct[q], k0 == 0, NULL);
                        if (g > 6) tile_any(g - 6, 2, kb, wt + 6 * kb_full, kb_full, xq, ct[q] + 6 * panel_rows, k0 == 0, NULL);
                    } else {
                        tile_any(g, 1, kb, wt, kb_full, xq, ct[q], k0 == 0, NULL);
                    }
                }
            }
            for (long q = 0; q < qn; q++) {
                const long rows = m - (q0 + q) * panel_rows < panel_rows ? m - (q0 + q) * panel_rows : panel_rows;
                store_tile(ct[q], rows, g, alpha, y + (q0 + q) * panel_rows * ldy + o, ldy);
            }
        }
    }
    free(wt);
}

static void nt_portable(long m, long n0, long n1, long k, float alpha, const float *xp, const float *w, long ldw,
                        float *y, long ldy) {
    const long step = m <= small_rows ? 1 : panel_rows;  // x as it is, or panels of 16 rows k-major
    for (long r = 0; r < m; r++) {
        const float *xr = m <= small_rows ? xp + r * k : xp + r / panel_rows * panel_rows * k + r % panel_rows;
        for (long o = n0; o < n1; o++) {
            const float *wr = w + o * ldw;
            float acc = 0;
            for (long p = 0; p < k; p++) acc = fmaf(wr[p], xr[p * step], acc);
            y[r * ldy + o] = alpha * acc;
        }
    }
}

void gfn_gemm_nt_packed(long m, long n0, long n1, long k, float alpha, const float *xp, const float *w, long ldw,
                        float *y, long ldy) {
    if (!has_avx2_fma()) nt_portable(m, n0, n1, k, alpha, xp, w, ldw, y, ldy);
    else if (m <= small_rows) nt_dot_avx2(m, n0, n1, k, alpha, xp, k, w, ldw, y, ldy);
    else nt_avx2(m, n0, n1, k, alpha, xp, w, ldw, y, ldy);
}
