// c (+)= alpha · pᵀ·q for a short inner dimension k (a LoRA rank; see include/ckernels.h). With k of a
// few dozen the product is bound by reading and writing c, which sgemm does twice (its β pass, then its
// kernel) after packing p and q; here each tile of c is read once, gets all k rank-1 terms in registers
// and is written once. A tile is up to 6 rows × 16 columns of c in 12 accumulators; a row of q (two
// vectors) serves all 6 rows, each row's p element is broadcast.
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <stddef.h>

enum { tile_rows = 6 };

static const int lane_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// R rows (≤ 6) × V vectors (1 or 2) of c from column j; the last vector holds `tail` (1–8) columns.
__attribute__((target("avx2,fma"), always_inline))
static inline void update_tile(const int R, const int V, int tail, long k, float alpha, const float *p, long ldp,
                               const float *q, long ldq, int add, float *c, long ldc) {
    const __m256i mask = _mm256_loadu_si256((const __m256i *)(lane_mask + 8 - tail));
    __m256 acc[tile_rows][2];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    for (long t = 0; t < k; t++) {
        __m256 qv[2];
        for (int v = 0; v < V; v++)
            qv[v] = v == V - 1 ? _mm256_maskload_ps(q + t * ldq + 8 * v, mask) : _mm256_loadu_ps(q + t * ldq + 8 * v);
        for (int r = 0; r < R; r++) {
            const __m256 pv = _mm256_set1_ps(p[t * ldp + r]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(pv, qv[v], acc[r][v]);
        }
    }
    const __m256 a = _mm256_set1_ps(alpha);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) {
            float *cv = c + r * ldc + 8 * v;
            const __m256 old = !add ? _mm256_setzero_ps() : v == V - 1 ? _mm256_maskload_ps(cv, mask) : _mm256_loadu_ps(cv);
            const __m256 sum = _mm256_fmadd_ps(acc[r][v], a, old);
            if (v == V - 1) _mm256_maskstore_ps(cv, mask, sum);
            else _mm256_storeu_ps(cv, sum);
        }
}

__attribute__((target("avx2,fma")))
static void update_rows_avx2(int R, long n, long k, float alpha, const float *p, long ldp, const float *q, long ldq,
                             int add, float *c, long ldc) {
#define UPDATE_TILES(RR)                                                                          \
    {                                                                                             \
        long j = 0;                                                                               \
        for (; j + 16 <= n; j += 16) update_tile(RR, 2, 8, k, alpha, p, ldp, q + j, ldq, add, c + j, ldc); \
        if (n - j > 8) update_tile(RR, 2, (int)(n - j - 8), k, alpha, p, ldp, q + j, ldq, add, c + j, ldc); \
        else if (n > j) update_tile(RR, 1, (int)(n - j), k, alpha, p, ldp, q + j, ldq, add, c + j, ldc); \
    }
    switch (R) {
    case 1: UPDATE_TILES(1) break;
    case 2: UPDATE_TILES(2) break;
    case 3: UPDATE_TILES(3) break;
    case 4: UPDATE_TILES(4) break;
    case 5: UPDATE_TILES(5) break;
    default: UPDATE_TILES(6) break;
    }
#undef UPDATE_TILES
}

static void update_portable(long m0, long m1, long n, long k, float alpha, const float *p, long ldp,
                            const float *q, long ldq, int add, float *c, long ldc) {
    for (long i = m0; i < m1; i++)
        for (long j = 0; j < n; j++) {
            float s = 0;
            for (long t = 0; t < k; t++) s += p[t * ldp + i] * q[t * ldq + j];
            c[i * ldc + j] = (add ? c[i * ldc + j] : 0) + alpha * s;
        }
}

void gfn_gemm_rank_update(long m0, long m1, long n, long k, float alpha, const float *p, long ldp,
                          const float *q, long ldq, int add, float *c, long ldc) {
    if (m1 <= m0 || n <= 0) return;
    if (!has_avx2_fma()) {
        update_portable(m0, m1, n, k, alpha, p, ldp, q, ldq, add, c, ldc);
        return;
    }
    for (long i = m0; i < m1; i += tile_rows) {
        const int R = m1 - i < tile_rows ? (int)(m1 - i) : tile_rows;
        update_rows_avx2(R, n, k, alpha, p + i, ldp, q, ldq, add, c + i * ldc, ldc);
    }
}
