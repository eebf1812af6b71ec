// x·w products with few rows of x (see include/ckernels.h): each row of the output is a sum of rows of
// w weighted by x's elements, reading w in place. A tile is up to 6 rows of x against 16 columns of w
// in 12 accumulators, so each vector of w loaded serves every row of the tile and 12 independent FMA
// chains hide the FMA latency. Every output is still one chain of fused multiply-adds over i in order
// from zero, times alpha: the tiling does not change the bits, and neither does splitting the columns
// across calls.
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <stddef.h>

enum { tile_rows = 6 };

// R rows (≤ 6) × V vectors of 8 columns (1 or 2) starting at column j.
__attribute__((target("avx2,fma"), always_inline))
static inline void nn_tile(const int R, const int V, long k, float alpha, const float *x, long ldx,
                           const float *w, long ldw, float *y, long ldy) {
    __m256 acc[tile_rows][2];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    for (long i = 0; i < k; i++) {
        __m256 wv[2];
        for (int v = 0; v < V; v++) wv[v] = _mm256_loadu_ps(w + i * ldw + 8 * v);
        for (int r = 0; r < R; r++) {
            const __m256 xv = _mm256_set1_ps(x[r * ldx + i]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(xv, wv[v], acc[r][v]);
        }
    }
    const __m256 a = _mm256_set1_ps(alpha);
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) _mm256_storeu_ps(y + r * ldy + 8 * v, _mm256_mul_ps(acc[r][v], a));
}

__attribute__((target("avx2,fma")))
static void nn_rows_avx2(int R, long n, long k, float alpha, const float *x, long ldx, const float *w, long ldw,
                         float *y, long ldy) {
    long j = 0;
#define NN_TILES(RR)                                                                              \
    for (; j + 16 <= n; j += 16) nn_tile(RR, 2, k, alpha, x, ldx, w + j, ldw, y + j, ldy);       \
    for (; j + 8 <= n; j += 8) nn_tile(RR, 1, k, alpha, x, ldx, w + j, ldw, y + j, ldy);
    switch (R) {
    case 1: NN_TILES(1) break;
    case 2: NN_TILES(2) break;
    case 3: NN_TILES(3) break;
    case 4: NN_TILES(4) break;
    case 5: NN_TILES(5) break;
    default: NN_TILES(6) break;
    }
#undef NN_TILES
    for (; j < n; j++)
        for (int r = 0; r < R; r++) {
            float s = 0;
            for (long i = 0; i < k; i++) s = __builtin_fmaf(x[r * ldx + i], w[i * ldw + j], s);
            y[r * ldy + j] = alpha * s;
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
    if (!has_avx2_fma()) {
        nn_portable(m, n, k, alpha, x, ldx, w, ldw, y, ldy);
        return;
    }
    for (long r = 0; r < m; r += tile_rows) {
        const int R = m - r < tile_rows ? (int)(m - r) : tile_rows;
        nn_rows_avx2(R, n, k, alpha, x + r * ldx, ldx, w, ldw, y + r * ldy, ldy);
    }
}
