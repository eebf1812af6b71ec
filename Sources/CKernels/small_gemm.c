// Few-row matrix products for decoding (see include/ckernels.h). The AVX2 path keeps 4 rows of w
// against 2 rows of x in 8 accumulators, so each w element is loaded once per pair of x rows and
// w streams from memory once per call. Summation order per output is fixed (8 interleaved lanes,
// then the tail), so results do not depend on how callers split [n0, n1) across threads.
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

__attribute__((target("avx2,fma")))
static inline float hsum8(__m256 a) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
    return _mm_cvtss_f32(t);
}

__attribute__((target("avx2,fma")))
static void nt_avx2(long m, long n0, long n1, long k, float alpha, const float *x, long ldx,
                    const float *w, long ldw, float *y, long ldy) {
    const long kv = k & ~7L;
    long o = n0;
    for (; o + 4 <= n1; o += 4) {
        const float *w0 = w + o * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
        long r = 0;
        for (; r + 2 <= m; r += 2) {
            const float *xa = x + r * ldx, *xb = xa + ldx;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (long i = 0; i < kv; i += 8) {
                __m256 v0 = _mm256_loadu_ps(w0 + i), v1 = _mm256_loadu_ps(w1 + i);
                __m256 v2 = _mm256_loadu_ps(w2 + i), v3 = _mm256_loadu_ps(w3 + i);
                __m256 xv = _mm256_loadu_ps(xa + i), xw = _mm256_loadu_ps(xb + i);
                a0 = _mm256_fmadd_ps(xv, v0, a0); a1 = _mm256_fmadd_ps(xv, v1, a1);
                a2 = _mm256_fmadd_ps(xv, v2, a2); a3 = _mm256_fmadd_ps(xv, v3, a3);
                b0 = _mm256_fmadd_ps(xw, v0, b0); b1 = _mm256_fmadd_ps(xw, v1, b1);
                b2 = _mm256_fmadd_ps(xw, v2, b2); b3 = _mm256_fmadd_ps(xw, v3, b3);
            }
            float ra[4] = {hsum8(a0), hsum8(a1), hsum8(a2), hsum8(a3)};
            float rb[4] = {hsum8(b0), hsum8(b1), hsum8(b2), hsum8(b3)};
            const float *ws[4] = {w0, w1, w2, w3};
            for (int j = 0; j < 4; j++) {
                for (long i = kv; i < k; i++) { ra[j] += xa[i] * ws[j][i]; rb[j] += xb[i] * ws[j][i]; }
                y[r * ldy + o + j] = alpha * ra[j];
                y[(r + 1) * ldy + o + j] = alpha * rb[j];
            }
        }
        for (; r < m; r++) {
            const float *xa = x + r * ldx;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (long i = 0; i < kv; i += 8) {
                __m256 xv = _mm256_loadu_ps(xa + i);
                a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + i), a0);
                a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w1 + i), a1);
                a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w2 + i), a2);
                a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w3 + i), a3);
            }
            float ra[4] = {hsum8(a0), hsum8(a1), hsum8(a2), hsum8(a3)};
            const float *ws[4] = {w0, w1, w2, w3};
            for (int j = 0; j < 4; j++) {
                for (long i = kv; i < k; i++) ra[j] += xa[i] * ws[j][i];
                y[r * ldy + o + j] = alpha * ra[j];
            }
        }
    }
    for (; o < n1; o++) {
        const float *w0 = w + o * ldw;
        for (long r = 0; r < m; r++) {
            const float *xa = x + r * ldx;
            __m256 a0 = _mm256_setzero_ps();
            for (long i = 0; i < kv; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xa + i), _mm256_loadu_ps(w0 + i), a0);
            float s = hsum8(a0);
            for (long i = kv; i < k; i++) s += xa[i] * w0[i];
            y[r * ldy + o] = alpha * s;
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
