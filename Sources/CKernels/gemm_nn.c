// x·w products with few rows of x (see include/ckernels.h): each row of the output is a sum of rows of
// w weighted by x's elements, 8 columns at a time, reading w in place.
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <stddef.h>

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
