// Elementwise exp-family math for the tensor kernels (see include/ckernels.h). Swift's SIMD types compile
// to the baseline x86-64 target (SSE2, no FMA), where one 16-lane exp is four SSE passes; here the same
// functions run on AVX2+FMA when the CPU has it (checked at run time) and on portable C otherwise.
// Measured on one core of this VM, SwiGLU's forward over 320 × 1536: 3.5 ns an element through the Swift
// SIMD16 version, 0.7 through this one.
//
// Every function computes a partial last vector by padding it into a full one, so an element's result does
// not depend on where a call's range starts or ends: a tensor split into chunks across threads, or a row
// next to a longer one, gets the same bits. A fused kernel and the composed operations it replaces
// (SwiGLU and silu·up, log-softmax with a gather and log-softmax then gather) call the same functions in
// the same order, so they agree exactly.
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

// No contraction of a·b + c into FMA behind the code's back: the portable path stays the plain IEEE
// expressions written here, whatever the compiler or its flags.
#pragma clang fp contract(off)

// e^x, Cephes-style: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n from exponent bits (as 2^(n−1)·2 so
// that n = 128 near the top does not overflow). Relative error about 2 ulp; 0 below −86.6 (−inf gives
// exactly 0), +inf above 88.72, NaN stays NaN.
static const float exp_hi = 88.72283f, exp_lo = -86.6f, round_magic = 12582912.0f;  // 1.5·2^23
static const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f, log2e = 1.44269504088896341f;
static const float p0 = 1.9875691500e-4f, p1 = 1.3981999507e-3f, p2 = 8.3334519073e-3f, p3 = 4.1665795894e-2f,
                   p4 = 1.6666665459e-1f, p5 = 5.0000001201e-1f;

__attribute__((target("avx2,fma"), always_inline))
static inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(exp_hi), lo = _mm256_set1_ps(exp_lo), magic = _mm256_set1_ps(round_magic);
    const __m256 above = _mm256_cmp_ps(x, hi, _CMP_GT_OQ), below = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    const __m256 v = _mm256_blendv_ps(_mm256_blendv_ps(x, hi, above), lo, below);
    const __m256 t = _mm256_fmadd_ps(v, _mm256_set1_ps(log2e), magic);  // n in the low mantissa bits
    const __m256 n = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(ln2_hi), v);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(ln2_lo), r);
    __m256 p = _mm256_set1_ps(p0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(p1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(p2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(p3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(p4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(p5));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1));
    const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(126)), 23));
    __m256 out = _mm256_mul_ps(_mm256_mul_ps(y, scale), _mm256_set1_ps(2));
    out = _mm256_blendv_ps(out, _mm256_setzero_ps(), below);
    return _mm256_blendv_ps(out, _mm256_set1_ps(INFINITY), above);
}

static inline float exp1(float x) {
    if (x != x) return x;
    if (x > exp_hi) return INFINITY;
    if (x < exp_lo) return 0;
    const float t = x * log2e + round_magic;
    const float n = t - round_magic;
    float r = x - n * ln2_hi;
    r = r - n * ln2_lo;
    float p = p0;
    p = p * r + p1;
    p = p * r + p2;
    p = p * r + p3;
    p = p * r + p4;
    p = p * r + p5;
    const float y = (p * (r * r) + r) + 1;
    int32_t bits;
    memcpy(&bits, &t, 4);
    const int32_t e = ((bits - 0x4B400000) + 126) << 23;
    float scale;
    memcpy(&scale, &e, 4);
    return (y * scale) * 2;
}

__attribute__((target("avx2,fma"), always_inline))
static inline __m256 sigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline float sigmoid1(float x) { return 1 / (1 + exp1(-x)); }

// tanh(x) = sign(x)·(1 − e)/(1 + e), e = e^(−2|x|); absolute error about 1e-7.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 tanh8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1), sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 e = exp8(_mm256_mul_ps(_mm256_set1_ps(-2), ax));
    const __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    return _mm256_or_ps(t, _mm256_and_ps(sign, x));
}

static inline float tanh1(float x) {
    const float ax = fabsf(x), e = exp1(-2 * ax);
    const float t = (1 - e) / (1 + e);
    return x < 0 ? -t : t;
}

// GELU's tanh form: ½x(1 + tanh(c·(x + 0.044715x³))), and its derivative.
static const float gelu_c = 0.7978845608028654f, gelu_a = 0.044715f, gelu_da = 0.134145f;

// ---- Loops: full vectors, then the tail padded into one vector (the same arithmetic for every element). ----

// Applies OP8 (a vector expression of `v`) to n elements of x into y.
#define MAP1_AVX2(n, x, y, pad, OP8)                                              \
    do {                                                                          \
        long i_ = 0;                                                              \
        for (; i_ + 8 <= (n); i_ += 8) {                                          \
            const __m256 v = _mm256_loadu_ps((x) + i_);                           \
            _mm256_storeu_ps((y) + i_, OP8);                                      \
        }                                                                         \
        if (i_ < (n)) {                                                           \
            float in_[8], out_[8];                                                \
            for (int j_ = 0; j_ < 8; j_++) in_[j_] = i_ + j_ < (n) ? (x)[i_ + j_] : (pad); \
            const __m256 v = _mm256_loadu_ps(in_);                                \
            _mm256_storeu_ps(out_, OP8);                                          \
            for (long j_ = 0; i_ + j_ < (n); j_++) (y)[i_ + j_] = out_[j_];      \
        }                                                                         \
    } while (0)

__attribute__((target("avx2,fma")))
static void exp_scaled_avx2(long n, const float *x, float shift, float scale, float *y) {
    const __m256 s = _mm256_set1_ps(shift), c = _mm256_set1_ps(scale);
    MAP1_AVX2(n, x, y, 0.0f, _mm256_mul_ps(exp8(_mm256_sub_ps(v, s)), c));
}

void gfn_exp_scaled(long n, const float *x, float shift, float scale, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        exp_scaled_avx2(n, x, shift, scale, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = exp1(x[i] - shift) * scale;
}

__attribute__((target("avx2,fma")))
static float exp_sum_avx2(long n, const float *x, float shift, float *out) {
    const __m256 s = _mm256_set1_ps(shift);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        const __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s));
        if (out) {
            _mm256_storeu_ps(out + i, e0);
            _mm256_storeu_ps(out + i + 8, e1);
        }
        acc0 = _mm256_add_ps(acc0, e0);
        acc1 = _mm256_add_ps(acc1, e1);
    }
    for (; i < n; i += 8) {
        float in[8], e[8];
        for (int j = 0; j < 8; j++) in[j] = i + j < n ? x[i + j] : -INFINITY;
        const __m256 ev = exp8(_mm256_sub_ps(_mm256_loadu_ps(in), s));
        _mm256_storeu_ps(e, ev);
        if (out)
            for (int j = 0; j < 8 && i + j < n; j++) out[i + j] = e[j];
        acc0 = _mm256_add_ps(acc0, ev);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(acc0, acc1));
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

float gfn_exp_sum(long n, const float *x, float shift, float *out) {
    if (n <= 0) return 0;
    if (has_avx2_fma()) return exp_sum_avx2(n, x, shift, out);
    float sum = 0;
    for (long i = 0; i < n; i++) {
        const float e = exp1(x[i] - shift);
        if (out) out[i] = e;
        sum += e;
    }
    return sum;
}

__attribute__((target("avx2,fma")))
static float max_avx2(long n, const float *x) {
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_max_ps(m0, m1));
    float m = lanes[0];
    for (int j = 1; j < 8; j++) m = lanes[j] > m ? lanes[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

float gfn_max(long n, const float *x) {
    if (n <= 0) return -INFINITY;
    if (has_avx2_fma()) return max_avx2(n, x);
    float m = -INFINITY;
    for (long i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

__attribute__((target("avx2,fma")))
static void sigmoid_avx2(long n, const float *x, float *y) { MAP1_AVX2(n, x, y, 0.0f, sigmoid8(v)); }

void gfn_sigmoid(long n, const float *x, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        sigmoid_avx2(n, x, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = sigmoid1(x[i]);
}

__attribute__((target("avx2,fma")))
static void tanh_avx2(long n, const float *x, float *y) { MAP1_AVX2(n, x, y, 0.0f, tanh8(v)); }

void gfn_tanh(long n, const float *x, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        tanh_avx2(n, x, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = tanh1(x[i]);
}

__attribute__((target("avx2,fma")))
static void silu_avx2(long n, const float *x, float *y) { MAP1_AVX2(n, x, y, 0.0f, _mm256_mul_ps(v, sigmoid8(v))); }

void gfn_silu(long n, const float *x, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        silu_avx2(n, x, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = x[i] * sigmoid1(x[i]);
}

__attribute__((target("avx2,fma"), always_inline))
static inline __m256 gelu8(__m256 x) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1);
    const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    const __m256 inner = _mm256_mul_ps(_mm256_set1_ps(gelu_c), _mm256_add_ps(x, _mm256_mul_ps(_mm256_set1_ps(gelu_a), x3)));
    return _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, tanh8(inner)));
}

static inline float gelu1(float x) { return (0.5f * x) * (1 + tanh1(gelu_c * (x + gelu_a * ((x * x) * x)))); }

__attribute__((target("avx2,fma")))
static void gelu_avx2(long n, const float *x, float *y) { MAP1_AVX2(n, x, y, 0.0f, gelu8(v)); }

void gfn_gelu(long n, const float *x, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        gelu_avx2(n, x, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = gelu1(x[i]);
}

// ---- Backward passes and SwiGLU: several inputs, padded tails the same way. ----

// Loads element i.. of p into a vector, or, for a partial vector, the n − i elements left padded with 0.
#define LOAD_PAD(p, i, n, buf) ((i) + 8 <= (n) ? _mm256_loadu_ps((p) + (i)) : load_partial((p) + (i), (n) - (i), (buf)))
#define STORE_PAD(p, i, n, v)                                          \
    do {                                                               \
        if ((i) + 8 <= (n)) _mm256_storeu_ps((p) + (i), (v));          \
        else store_partial((p) + (i), (n) - (i), (v));                 \
    } while (0)

__attribute__((target("avx2,fma"), always_inline))
static inline __m256 load_partial(const float *p, long count, float *buf) {
    for (int j = 0; j < 8; j++) buf[j] = j < count ? p[j] : 0.0f;
    return _mm256_loadu_ps(buf);
}

__attribute__((target("avx2,fma"), always_inline))
static inline void store_partial(float *p, long count, __m256 v) {
    float buf[8];
    _mm256_storeu_ps(buf, v);
    for (long j = 0; j < count; j++) p[j] = buf[j];
}

// d/dx silu(x) · g = g·s·(1 + x·(1 − s)), s = σ(x).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 silu_grad8(__m256 g, __m256 x) {
    const __m256 one = _mm256_set1_ps(1), s = sigmoid8(x);
    return _mm256_mul_ps(_mm256_mul_ps(g, s), _mm256_add_ps(one, _mm256_mul_ps(x, _mm256_sub_ps(one, s))));
}

static inline float silu_grad1(float g, float x) {
    const float s = sigmoid1(x);
    return (g * s) * (1 + x * (1 - s));
}

__attribute__((target("avx2,fma")))
static void silu_backward_avx2(long n, const float *g, const float *x, float *dx) {
    float b0[8], b1[8];
    for (long i = 0; i < n; i += 8) STORE_PAD(dx, i, n, silu_grad8(LOAD_PAD(g, i, n, b0), LOAD_PAD(x, i, n, b1)));
}

void gfn_silu_backward(long n, const float *g, const float *x, float *dx) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        silu_backward_avx2(n, g, x, dx);
        return;
    }
    for (long i = 0; i < n; i++) dx[i] = silu_grad1(g[i], x[i]);
}

// d/dx gelu(x) · g = g·(½(1 + t) + ½x(1 − t²)·c(1 + 0.134145x²)), t = tanh(c·(x + 0.044715x³)).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 gelu_grad8(__m256 g, __m256 x) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1), c = _mm256_set1_ps(gelu_c);
    const __m256 x2 = _mm256_mul_ps(x, x);
    const __m256 t = tanh8(_mm256_mul_ps(c, _mm256_add_ps(x, _mm256_mul_ps(_mm256_set1_ps(gelu_a), _mm256_mul_ps(x2, x)))));
    const __m256 d_inner = _mm256_mul_ps(c, _mm256_add_ps(one, _mm256_mul_ps(_mm256_set1_ps(gelu_da), x2)));
    const __m256 left = _mm256_mul_ps(half, _mm256_add_ps(one, t));
    const __m256 right = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_sub_ps(one, _mm256_mul_ps(t, t))), d_inner);
    return _mm256_mul_ps(g, _mm256_add_ps(left, right));
}

static inline float gelu_grad1(float g, float x) {
    const float x2 = x * x;
    const float t = tanh1(gelu_c * (x + gelu_a * (x2 * x)));
    const float d_inner = gelu_c * (1 + gelu_da * x2);
    return g * (0.5f * (1 + t) + ((0.5f * x) * (1 - t * t)) * d_inner);
}

__attribute__((target("avx2,fma")))
static void gelu_backward_avx2(long n, const float *g, const float *x, float *dx) {
    float b0[8], b1[8];
    for (long i = 0; i < n; i += 8) STORE_PAD(dx, i, n, gelu_grad8(LOAD_PAD(g, i, n, b0), LOAD_PAD(x, i, n, b1)));
}

void gfn_gelu_backward(long n, const float *g, const float *x, float *dx) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        gelu_backward_avx2(n, g, x, dx);
        return;
    }
    for (long i = 0; i < n; i++) dx[i] = gelu_grad1(g[i], x[i]);
}

// SwiGLU y = silu(gate)·up: the arithmetic of gfn_silu followed by a product, so it equals the two ops composed.
__attribute__((target("avx2,fma")))
static void swiglu_avx2(long n, const float *gate, const float *up, float *y) {
    float b0[8], b1[8];
    for (long i = 0; i < n; i += 8) {
        const __m256 x = LOAD_PAD(gate, i, n, b0), u = LOAD_PAD(up, i, n, b1);
        STORE_PAD(y, i, n, _mm256_mul_ps(_mm256_mul_ps(x, sigmoid8(x)), u));
    }
}

void gfn_swiglu(long n, const float *gate, const float *up, float *y) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        swiglu_avx2(n, gate, up, y);
        return;
    }
    for (long i = 0; i < n; i++) y[i] = (gate[i] * sigmoid1(gate[i])) * up[i];
}

// d(gate) = silu'(gate)·(g·up) and d(up) = g·silu(gate): what the product's and silu's backward passes give.
__attribute__((target("avx2,fma")))
static void swiglu_backward_avx2(long n, const float *g, const float *gate, const float *up, float *dgate, float *dup) {
    float b0[8], b1[8], b2[8];
    for (long i = 0; i < n; i += 8) {
        const __m256 gv = LOAD_PAD(g, i, n, b0), x = LOAD_PAD(gate, i, n, b1), u = LOAD_PAD(up, i, n, b2);
        STORE_PAD(dgate, i, n, silu_grad8(_mm256_mul_ps(gv, u), x));
        STORE_PAD(dup, i, n, _mm256_mul_ps(gv, _mm256_mul_ps(x, sigmoid8(x))));
    }
}

void gfn_swiglu_backward(long n, const float *g, const float *gate, const float *up, float *dgate, float *dup) {
    if (n <= 0) return;
    if (has_avx2_fma()) {
        swiglu_backward_avx2(n, g, gate, up, dgate, dup);
        return;
    }
    for (long i = 0; i < n; i++) {
        dgate[i] = silu_grad1(g[i] * up[i], gate[i]);
        dup[i] = g[i] * (gate[i] * sigmoid1(gate[i]));
    }
}
