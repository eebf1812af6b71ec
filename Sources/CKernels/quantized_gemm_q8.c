// x·Wᵀ with the activation rows x quantised to 8-bit blocks (gfn_q8_block) and W in GGUF's blocks: every
// 32-element block pair is an exact integer dot product, scaled once in float (see include/ckernels.h).
//
// One order of operations for every path, so that the AVX-512 VNNI, AVX2 and portable kernels give the
// same bits. Q8_0 and Q6_K: a block's integer products are summed in 8 lanes of 4 consecutive elements
// (lane l holds elements 4l..4l+3, as vpdpbusd and pmaddubsw+pmaddwd both sum them, exactly); each lane
// is converted to float and fused-multiply-added with the block's scale d_w·d_x into an 8-lane
// accumulator, even blocks into one and odd blocks into another; at the end (even + odd) lanes are summed
// as hsum8 does. Q4_0 and Q4_1 take two blocks a step in one 8-lane accumulator (dot_q4_portable), Q4_1's
// min terms m_w·s_x summed apart per parity and added last.
#include "ckernels.h"
#include "cpu_features.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { block = 32 };

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

// float16 → float, exactly (as quantized_gemm.c's half_to_float).
static inline float half_value(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) bits = sign | 0x7F800000u | (mantissa << 13);
    else if (exponent != 0) bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    else if (mantissa == 0) bits = sign;
    else {
        uint32_t e = 113, m = mantissa;
        while (!(m & 0x400)) { m <<= 1; e--; }
        bits = sign | (e << 23) | ((m & 0x3FF) << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}

int gfn_qgemm_q8_takes(int type) {
    return type == GFN_QUANT_Q4_0 || type == GFN_QUANT_Q4_1 || type == GFN_QUANT_Q8_0 || type == GFN_QUANT_Q6_K;
}

// MARK: Quantising the activations

// Portable: d = max|x|/127, q = x·(1/d) rounded to nearest even (lrintf in the default mode), s = d·Σq.
static void quantize_block_portable(const float *x, gfn_q8_block *out) {
    float amax = 0;
    for (int i = 0; i < block; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int i = 0; i < block; i++) {
        long q = lrintf(x[i] * id);
        q = q > 127 ? 127 : q < -127 ? -127 : q;
        out->q[i] = (int8_t)q;
        sum += (int)q;
    }
    out->d = d;
    out->s = d * (float)sum;
}

__attribute__((target("avx2,fma")))
static void quantize_block_avx2(const float *x, gfn_q8_block *out) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4], m = _mm256_setzero_ps();
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_loadu_ps(x + 8 * i);
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[i]));
    }
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    const float amax = _mm_cvtss_f32(h), d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    const __m256 scale = _mm256_set1_ps(id);
    const __m256i hi = _mm256_set1_epi32(127), lo = _mm256_set1_epi32(-127);
    __m256i q[4];
    for (int i = 0; i < 4; i++) q[i] = _mm256_max_epi32(lo, _mm256_min_epi32(hi, _mm256_cvtps_epi32(_mm256_mul_ps(v[i], scale))));
    const __m256i total = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    // packs interleave the 128-bit lanes; the permute puts elements back in order.
    const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p16a, p16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out->q, p8);
    out->d = d;
    out->s = d * (float)_mm_cvtsi128_si32(t);
}

void gfn_quantize_q8(long m, long k, const float *x, long ldx, gfn_q8_block *xq) {
    const long blocks = k / block;
    const int avx2 = has_avx2_fma();
    for (long r = 0; r < m; r++)
        for (long b = 0; b < blocks; b++) {
            if (avx2) quantize_block_avx2(x + r * ldx + b * block, xq + r * blocks + b);
            else quantize_block_portable(x + r * ldx + b * block, xq + r * blocks + b);
        }
}

// MARK: Portable reference

// Chunk c of a weight row as 32 signed integers w_i (Q4_0: n − 8; Q4_1: n, its min apart; Q8_0: q; Q6_K: q − 32),
// with the float scale of each 16 (both the same but for Q6_K, whose integer sub-block scales are given apart
// in `sub`), and Q4_1's min (0 otherwise).
static void integer_chunk(int type, const uint8_t *row, long c, int w[block], int sub[2], float *d, float *min) {
    sub[0] = sub[1] = 1;
    *min = 0;
    switch (type) {
    case GFN_QUANT_Q4_0: case GFN_QUANT_Q4_1: {
        const int has_min = type == GFN_QUANT_Q4_1;
        const uint8_t *p = row + (has_min ? 20 : 18) * c;
        *d = half_value(load_u16(p));
        if (has_min) *min = half_value(load_u16(p + 2));
        const uint8_t *q = p + (has_min ? 4 : 2);
        for (int j = 0; j < 16; j++) {
            w[j] = (q[j] & 0x0F) - (has_min ? 0 : 8);
            w[j + 16] = (q[j] >> 4) - (has_min ? 0 : 8);
        }
        break;
    }
    case GFN_QUANT_Q8_0: {
        const uint8_t *p = row + 34 * c;
        *d = half_value(load_u16(p));
        for (int j = 0; j < block; j++) w[j] = (int8_t)p[2 + j];
        break;
    }
    default: {  // Q6_K: chunk c is eighth e of its 256-element block
        const uint8_t *p = row + 210 * (c / 8);
        const int e = (int)(c % 8), n = e / 4, g = e % 4;
        const uint8_t *ql = p + 64 * n + (g & 1) * 32, *qh = p + 128 + 32 * n;
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * n);
        *d = half_value(load_u16(p + 208));
        sub[0] = sc[2 * g];
        sub[1] = sc[2 * g + 1];
        for (int l = 0; l < block; l++) {
            const int low = g >= 2 ? ql[l] >> 4 : ql[l] & 0x0F;
            w[l] = (low | (((qh[l] >> (2 * g)) & 3) << 4)) - 32;
        }
        break;
    }
    }
}

// The 8-lane horizontal sum in the AVX2 kernels' order: (l + l+4), then (l + l+2), then (0 + 1).
static inline float hsum8_portable(const float a[8]) {
    float s[4];
    for (int l = 0; l < 4; l++) s[l] = a[l] + a[l + 4];
    const float t0 = s[0] + s[2], t1 = s[1] + s[3];
    return t0 + t1;
}

// Q4_0/Q4_1 in the paired order of dot_rows_q4_*: blocks c, c + 1 (c even) share one 8-lane step, lane l < 4 holding
// block c's elements 4l..4l+3 and 16+4l..16+4l+3, lanes 4–7 block c + 1's (zero, scale 0·0, past the last block).
static float dot_q4_portable(int type, const uint8_t *row, long blocks, const gfn_q8_block *x) {
    float acc[8] = {0}, mins[2] = {0, 0};
    for (long c = 0; c < blocks; c += 2) {
        for (int half = 0; half < 2; half++) {
            int lanes[4] = {0, 0, 0, 0};
            float scale = 0.0f * 0.0f, term = 0.0f * 0.0f;
            if (c + half < blocks) {
                int w[block], sub[2];
                float d, min;
                const gfn_q8_block *xb = x + c + half;
                integer_chunk(type, row, c + half, w, sub, &d, &min);
                for (int l = 0; l < 4; l++)
                    for (int e = 0; e < 4; e++) lanes[l] += w[4 * l + e] * xb->q[4 * l + e] + w[16 + 4 * l + e] * xb->q[16 + 4 * l + e];
                scale = d * xb->d;
                term = min * xb->s;
            }
            for (int l = 0; l < 4; l++) acc[4 * half + l] = fmaf((float)lanes[l], scale, acc[4 * half + l]);
            mins[half] = mins[half] + term;
        }
    }
    return type == GFN_QUANT_Q4_1 ? hsum8_portable(acc) + (mins[0] + mins[1]) : hsum8_portable(acc);
}

static float dot_portable(int type, const uint8_t *row, long blocks, const gfn_q8_block *x) {
    if (type == GFN_QUANT_Q4_0 || type == GFN_QUANT_Q4_1) return dot_q4_portable(type, row, blocks, x);
    float acc[2][8] = {{0}}, mins[2] = {0, 0};
    for (long c = 0; c < blocks; c++) {
        int w[block], sub[2];
        float d, min;
        integer_chunk(type, row, c, w, sub, &d, &min);
        const int parity = (int)(c & 1);
        const float scale = d * x[c].d;
        for (int l = 0; l < 8; l++) {
            int lane = 0;
            for (int e = 0; e < 4; e++) lane += w[4 * l + e] * x[c].q[4 * l + e];
            lane *= sub[l / 4];
            acc[parity][l] = fmaf((float)lane, scale, acc[parity][l]);
        }
        if (type == GFN_QUANT_Q4_1) mins[parity] = fmaf(min, x[c].s, mins[parity]);
    }
    float total[8];
    for (int l = 0; l < 8; l++) total[l] = acc[0][l] + acc[1][l];
    return hsum8_portable(total) + (mins[0] + mins[1]);
}

// MARK: AVX2 and AVX-512 VNNI

// Chunk c of a weight row in one register of 32 bytes w (Q4_1: its nibbles 0..15; the other types signed:
// Q4_0 n − 8, Q8_0 q, Q6_K q − 32) and the unsigned operand of a u8·s8 dot product (Q4_1: w; else |w|, x's bytes
// then taking w's sign). Also the block's float scale, Q4_1's min, and for Q6_K the sub-block scales (lanes 0–3, 4–7).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void weights_avx2(int type, const uint8_t *row, long c, __m256i *w, __m256i *u, float *d, float *min,
                                __m256i *sub) {
    const __m128i mask4 = _mm_set1_epi8(0x0F);
    switch (type) {
    case GFN_QUANT_Q4_0: case GFN_QUANT_Q4_1: {
        const int has_min = type == GFN_QUANT_Q4_1;
        const uint8_t *p = row + (has_min ? 20 : 18) * c;
        *d = _cvtsh_ss(load_u16(p));
        const __m128i q = _mm_loadu_si128((const __m128i *)(p + (has_min ? 4 : 2)));
        __m256i n = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(q, mask4)),
                                            _mm_and_si128(_mm_srli_epi16(q, 4), mask4), 1);
        if (has_min) {
            *min = _cvtsh_ss(load_u16(p + 2));
            *w = *u = n;
        } else {
            *w = _mm256_sub_epi8(n, _mm256_set1_epi8(8));
            *u = _mm256_sign_epi8(*w, *w);
        }
        break;
    }
    case GFN_QUANT_Q8_0: {
        const uint8_t *p = row + 34 * c;
        *d = _cvtsh_ss(load_u16(p));
        *w = _mm256_loadu_si256((const __m256i *)(p + 2));
        *u = _mm256_sign_epi8(*w, *w);
        break;
    }
    default: {  // Q6_K
        const uint8_t *p = row + 210 * (c / 8);
        const int e = (int)(c % 8), n = e / 4, g = e % 4;
        const uint8_t *ql = p + 64 * n + (g & 1) * 32, *qh = p + 128 + 32 * n;
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * n);
        *d = _cvtsh_ss(load_u16(p + 208));
        __m256i low = _mm256_loadu_si256((const __m256i *)ql);
        if (g >= 2) low = _mm256_srli_epi16(low, 4);
        low = _mm256_and_si256(low, _mm256_set1_epi8(0x0F));
        const __m256i high = _mm256_and_si256(_mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)qh), _mm_cvtsi32_si128(2 * g)),
                                              _mm256_set1_epi8(3));
        *w = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), _mm256_set1_epi8(32));
        *u = _mm256_sign_epi8(*w, *w);
        *sub = _mm256_setr_epi32(sc[2 * g], sc[2 * g], sc[2 * g], sc[2 * g], sc[2 * g + 1], sc[2 * g + 1], sc[2 * g + 1], sc[2 * g + 1]);
        break;
    }
    }
}

__attribute__((target("avx2,fma,f16c"), always_inline))
static inline float hsum8_avx2(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Up to 4 rows of x (blocks xq, `blocks` a row) against one weight row: each chunk is unpacked once, x's
// bytes take its signs per row. `VNNI` picks vpdpbusd over
// pmaddubsw+pmaddwd; the lanes are the same integers.
#define DOT_ROWS(NAME, TARGET, VNNI)                                                                          \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline void NAME##_block(int type, long rows, long blocks, const gfn_q8_block *xq, const uint8_t *row, \
                                    long c, __m256 acc[4], float mins[4]) {                                    \
        const __m256i ones = _mm256_set1_epi16(1);                                                             \
        __m256i w, u, sub = ones;                                                                              \
        float d, min = 0;                                                                                      \
        weights_avx2(type, row, c, &w, &u, &d, &min, &sub);                                                    \
        for (int r = 0; r < 4; r++) {                                                                          \
            if (r >= rows) break;                                                                              \
            const gfn_q8_block *xb = xq + r * blocks + c;                                                      \
            const __m256i xv = _mm256_loadu_si256((const __m256i *)xb->q);                                     \
            const __m256i s = type == GFN_QUANT_Q4_1 ? xv : _mm256_sign_epi8(xv, w);                           \
            __m256i lanes = VNNI ? _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s)                           \
                                 : _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), ones);                        \
            if (type == GFN_QUANT_Q6_K) lanes = _mm256_mullo_epi32(lanes, sub);                               \
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(d * xb->d), acc[r]);            \
            if (type == GFN_QUANT_Q4_1) mins[r] = fmaf(min, xb->s, mins[r]);                                  \
        }                                                                                                      \
    }                                                                                                          \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline void NAME(int type, long rows, long blocks, const gfn_q8_block *xq, const uint8_t *row,       \
                            float *y, long ldy) {                                                              \
        __m256 even[4], odd[4];                                                                                \
        float even_min[4] = {0, 0, 0, 0}, odd_min[4] = {0, 0, 0, 0};                                           \
        for (int r = 0; r < 4; r++) even[r] = odd[r] = _mm256_setzero_ps();                                    \
        long c = 0;                                                                                            \
        for (; c + 2 <= blocks; c += 2) {                                                                      \
            NAME##_block(type, rows, blocks, xq, row, c, even, even_min);                                      \
            NAME##_block(type, rows, blocks, xq, row, c + 1, odd, odd_min);                                    \
        }                                                                                                      \
        if (c < blocks) NAME##_block(type, rows, blocks, xq, row, c, even, even_min);                          \
        for (int r = 0; r < 4 && r < rows; r++)                                                                \
            y[r * ldy] = hsum8_avx2(_mm256_add_ps(even[r], odd[r])) + (even_min[r] + odd_min[r]);             \
    }
DOT_ROWS(dot_rows_avx2, "avx2,fma,f16c", 0)
DOT_ROWS(dot_rows_vnni, "avx2,fma,f16c,avx512f,avx512vl,avx512vnni", 1)
#undef DOT_ROWS

// Two x blocks c, c + 1 regrouped for dot_q4_*: [c's elements 0..15 | c + 1's] and [c's 16..31 | c + 1's], and
// {d_c, s_c, d_c+1, s_c+1} (c + 1 zero past the last block).
typedef struct { int8_t lo[32]; int8_t hi[32]; float scales[4]; } x_pair;

static void regroup_pairs(long blocks, const gfn_q8_block *x, x_pair *out) {
    for (long c = 0; c < blocks; c += 2) {
        x_pair *o = out + c / 2;
        const int two = c + 1 < blocks;
        for (int half = 0; half < 2; half++) {
            const gfn_q8_block *b = x + c + half;
            for (int e = 0; e < 16; e++) {
                o->lo[16 * half + e] = half && !two ? 0 : b->q[e];
                o->hi[16 * half + e] = half && !two ? 0 : b->q[16 + e];
            }
            o->scales[2 * half] = half && !two ? 0 : b->d;
            o->scales[2 * half + 1] = half && !two ? 0 : b->s;
        }
    }
}

// Q4_0/Q4_1, up to 4 rows of x (regrouped pairs, `pairs` a row): two blocks a step (see dot_q4_portable). Their
// nibbles unpack once into [low nibbles of c | of c + 1] and [high nibbles of c | of c + 1], two u8·s8 products with
// the regrouped x fill 8 lanes; {d_c, m_c, d_c+1, m_c+1}·{dx_c, sx_c, dx_c+1, sx_c+1} is one 4-wide product whose
// even entries scale the lanes and whose odd ones are Q4_1's min terms. `two` = 0: the last, lone block.
#define DOT_ROWS_Q4(NAME, TARGET, VNNI)                                                                       \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline void NAME##_step(int type, int two, long rows, long pairs, const x_pair *xp, const uint8_t *p0, \
                                   __m256 acc[4], __m128 mins[4]) {                                            \
        const int has_min = type == GFN_QUANT_Q4_1;                                                            \
        const uint8_t *p1 = p0 + (has_min ? 20 : 18);                                                          \
        const __m256i mask = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);                              \
        const __m256i spread = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);                                      \
        const __m128i q0 = _mm_loadu_si128((const __m128i *)(p0 + (has_min ? 4 : 2)));                         \
        const __m128i q1 = two ? _mm_loadu_si128((const __m128i *)(p1 + (has_min ? 4 : 2))) : _mm_setzero_si128(); \
        const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);                          \
        __m256i lo = _mm256_and_si256(q, mask), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), mask);          \
        uint32_t h0, h1 = 0;                                                                                   \
        memcpy(&h0, p0, 4);                                                                                    \
        if (two) memcpy(&h1, p1, 4);                                                                           \
        const __m128 dm = _mm_cvtph_ps(_mm_setr_epi32((int)h0, (int)h1, 0, 0));                               \
        __m256i ulo = lo, uhi = hi;                                                                            \
        if (!has_min) {                                                                                        \
            lo = _mm256_sub_epi8(lo, _mm256_set1_epi8(8));                                                     \
            hi = _mm256_sub_epi8(hi, _mm256_set1_epi8(8));                                                     \
            ulo = _mm256_sign_epi8(lo, lo);                                                                    \
            uhi = _mm256_sign_epi8(hi, hi);                                                                    \
        }                                                                                                      \
        for (int r = 0; r < 4; r++) {                                                                          \
            if (r >= rows) break;                                                                              \
            const x_pair *x = xp + r * pairs;                                                                  \
            __m256i xlo = _mm256_loadu_si256((const __m256i *)x->lo), xhi = _mm256_loadu_si256((const __m256i *)x->hi); \
            if (!has_min) { xlo = _mm256_sign_epi8(xlo, lo); xhi = _mm256_sign_epi8(xhi, hi); }               \
            const __m256i lanes = VNNI ? _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), ulo, xlo), uhi, xhi) \
                : _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ulo, xlo), ones),                   \
                                   _mm256_madd_epi16(_mm256_maddubs_epi16(uhi, xhi), ones));                  \
            const __m128 product = _mm_mul_ps(dm, _mm_loadu_ps(x->scales));                                    \
            mins[r] = _mm_add_ps(mins[r], product);                                                            \
            const __m256 scale = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(product), spread);            \
            acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), scale, acc[r]);                                \
        }                                                                                                      \
    }                                                                                                          \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline void NAME(int type, long rows, long blocks, const x_pair *xp, const uint8_t *row, float *y, long ldy) { \
        const long bytes = type == GFN_QUANT_Q4_1 ? 20 : 18, pairs = (blocks + 1) / 2;                         \
        __m256 acc[4];                                                                                         \
        __m128 mins[4];                                                                                        \
        for (int r = 0; r < 4; r++) { acc[r] = _mm256_setzero_ps(); mins[r] = _mm_setzero_ps(); }              \
        long c = 0;                                                                                            \
        for (; c + 2 <= blocks; c += 2) NAME##_step(type, 1, rows, pairs, xp + c / 2, row + bytes * c, acc, mins); \
        if (c < blocks) NAME##_step(type, 0, rows, pairs, xp + c / 2, row + bytes * c, acc, mins);              \
        for (int r = 0; r < 4 && r < rows; r++) {                                                              \
            const float total = hsum8_avx2(acc[r]);                                                            \
            float m[4];                                                                                        \
            _mm_storeu_ps(m, mins[r]);                                                                         \
            y[r * ldy] = type == GFN_QUANT_Q4_1 ? total + (m[1] + m[3]) : total;                               \
        }                                                                                                      \
    }
DOT_ROWS_Q4(dot_q4_avx2, "avx2,fma,f16c", 0)
DOT_ROWS_Q4(dot_q4_vnni, "avx2,fma,f16c,avx512f,avx512vl,avx512vnni", 1)
#undef DOT_ROWS_Q4

// Q4_0/Q4_1: x regrouped 4 rows at a time (on the stack up to k = 4096, else the heap), then every weight row.
#define NT_Q4(NAME, DOT, TARGET, TYPE)                                                                         \
    __attribute__((target(TARGET)))                                                                            \
    static void NAME(long m, long n0, long n1, long blocks, const gfn_q8_block *xq, const uint8_t *const *w,    \
                     float *y, long ldy) {                                                                     \
        const long pairs = (blocks + 1) / 2, count = 4 * pairs;                                                \
        x_pair local[256];                                                                                     \
        x_pair *xp = count <= 256 ? local : malloc(sizeof(x_pair) * (size_t)count);                            \
        if (!xp) return;                                                                                       \
        for (long r0 = 0; r0 < m; r0 += 4) {                                                                   \
            const long rows = m - r0 < 4 ? m - r0 : 4;                                                         \
            for (long r = 0; r < rows; r++) regroup_pairs(blocks, xq + (r0 + r) * blocks, xp + r * pairs);    \
            for (long j = n0; j < n1; j++) DOT(TYPE, rows, blocks, xp, w[j], y + r0 * ldy + j, ldy);           \
        }                                                                                                      \
        if (xp != local) free(xp);                                                                             \
    }

// One instance per type and instruction set, so that the type's operands are inlined without a switch per chunk.
#define NT_Q8(NAME, DOT, TARGET, TYPE)                                                                         \
    __attribute__((target(TARGET)))                                                                            \
    static void NAME(long m, long n0, long n1, long blocks, const gfn_q8_block *xq, const uint8_t *const *w,    \
                     float *y, long ldy) {                                                                     \
        for (long j = n0; j < n1; j++)                                                                         \
            for (long r0 = 0; r0 < m; r0 += 4)                                                                 \
                DOT(TYPE, m - r0 < 4 ? m - r0 : 4, blocks, xq + r0 * blocks, w[j], y + r0 * ldy + j, ldy);    \
    }
#define NT_Q8_TYPES(SUFFIX, DOT, TARGET)                                                                       \
    NT_Q4(nt_q4_0_##SUFFIX, dot_q4_##SUFFIX, TARGET, GFN_QUANT_Q4_0)                                            \
    NT_Q4(nt_q4_1_##SUFFIX, dot_q4_##SUFFIX, TARGET, GFN_QUANT_Q4_1)                                            \
    NT_Q8(nt_q8_0_##SUFFIX, DOT, TARGET, GFN_QUANT_Q8_0)                                                        \
    NT_Q8(nt_q6_k_##SUFFIX, DOT, TARGET, GFN_QUANT_Q6_K)
NT_Q8_TYPES(avx2, dot_rows_avx2, "avx2,fma,f16c")
NT_Q8_TYPES(vnni, dot_rows_vnni, "avx2,fma,f16c,avx512f,avx512vl,avx512vnni")
#undef NT_Q8_TYPES
#undef NT_Q8
#undef NT_Q4

static int use_f16c(void) {
    static int f16c = -1;
    if (f16c < 0) { __builtin_cpu_init(); f16c = __builtin_cpu_supports("f16c"); }
    return f16c;
}

void gfn_qgemm_nt_q8(int type, long m, long n0, long n1, long k, const gfn_q8_block *xq, const void *const *w,
                     float *y, long ldy) {
    const uint8_t *const *wb = (const uint8_t *const *)w;
    const long blocks = k / block;
    if (!gfn_qgemm_q8_takes(type)) return;
    if (!has_avx2_fma() || !use_f16c()) {
        for (long j = n0; j < n1; j++)
            for (long r = 0; r < m; r++) y[r * ldy + j] = dot_portable(type, wb[j], blocks, xq + r * blocks);
        return;
    }
    typedef void (*kernel)(long, long, long, long, const gfn_q8_block *, const uint8_t *const *, float *, long);
    const int vnni = has_avx512_vnni();
    kernel f = NULL;
    switch (type) {
    case GFN_QUANT_Q4_0: f = vnni ? nt_q4_0_vnni : nt_q4_0_avx2; break;
    case GFN_QUANT_Q4_1: f = vnni ? nt_q4_1_vnni : nt_q4_1_avx2; break;
    case GFN_QUANT_Q8_0: f = vnni ? nt_q8_0_vnni : nt_q8_0_avx2; break;
    default: f = vnni ? nt_q6_k_vnni : nt_q6_k_avx2; break;
    }
    f(m, n0, n1, blocks, xq, wb, y, ldy);
}

// MARK: Panels of 8 rows (5–64 rows of x)

// x's blocks for 5 or more rows, 8 rows a panel with the rows in the lanes: for each block, eight 4-byte groups of
// every row (q[g][r] = row r's elements 4g..4g+3), then the rows' scales d and sums s. Rows past m are zero.
typedef struct { int8_t q[8][8][4]; float d[8]; float s[8]; } panel_block;

int gfn_qgemm_q8_panels_takes(int type) {
    return type == GFN_QUANT_Q4_0 || type == GFN_QUANT_Q4_1 || type == GFN_QUANT_Q8_0;
}

long gfn_q8_panels_bytes(long m, long k) { return (m + 7) / 8 * (k / block) * (long)sizeof(panel_block); }

void gfn_q8_pack_panels(long m, long k, const gfn_q8_block *xq, void *panels) {
    const long blocks = k / block;
    panel_block *out = (panel_block *)panels;
    for (long p = 0; p < (m + 7) / 8; p++)
        for (long b = 0; b < blocks; b++) {
            panel_block *o = out + p * blocks + b;
            memset(o, 0, sizeof *o);
            for (int r = 0; r < 8 && 8 * p + r < m; r++) {
                const gfn_q8_block *x = xq + (8 * p + r) * blocks + b;
                for (int g = 0; g < 8; g++) memcpy(o->q[g][r], x->q + 4 * g, 4);
                o->d[r] = x->d;
                o->s[r] = x->s;
            }
        }
}

// Block c of a weight row as 32 integers (Q4_0 and Q4_1: the nibbles n, 0..15; Q8_0: q), its scale, and the term
// per unit of x's s: Q4_1 its min, Q4_0 −8·d (Σ(n − 8)·x̂ = d_x·Σn·q − 8·s_x), Q8_0 none.
static void panel_weights(int type, const uint8_t *row, long c, int w[block], float *d, float *term) {
    int sub[2];
    float min;
    integer_chunk(type, row, c, w, sub, d, &min);
    if (type == GFN_QUANT_Q4_0)
        for (int i = 0; i < block; i++) w[i] += 8;
    *term = type == GFN_QUANT_Q4_1 ? min : type == GFN_QUANT_Q4_0 ? -8.0f * *d : 0.0f;
}

// Portable: each output an fmaf chain over blocks of (exact integer sum)·(d_w·d_x), plus the chain of term·s_x.
static void panels_portable(int type, long m, long n0, long n1, long blocks, const panel_block *xp,
                            const uint8_t *const *w, float *y, long ldy) {
    for (long j = n0; j < n1; j++)
        for (long r = 0; r < m; r++) {
            const panel_block *x = xp + r / 8 * blocks;
            const int lane = (int)(r % 8);
            float acc = 0, mins = 0;
            for (long c = 0; c < blocks; c++) {
                int wv[block];
                float d, term;
                panel_weights(type, w[j], c, wv, &d, &term);
                int sum = 0;
                for (int g = 0; g < 8; g++)
                    for (int e = 0; e < 4; e++) sum += wv[4 * g + e] * x[c].q[g][lane][e];
                acc = fmaf((float)sum, d * x[c].d[lane], acc);
                mins = fmaf(term, x[c].s[lane], mins);
            }
            y[r * ldy + j] = acc + mins;
        }
}

// One weight row against two panels (16 rows) at a time: each block's weights are unpacked once into 32 bytes, each
// 4-byte group broadcast to every lane and multiplied with both panels' groups (u8·s8; Q8_0 with the sign trick).
#define PANELS(NAME, TARGET, VNNI)                                                                            \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline __m256i NAME##_dot(__m256i acc, __m256i u, __m256i s) {                                      \
        return VNNI ? _mm256_dpbusd_epi32(acc, u, s)                                                           \
                    : _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1))); \
    }                                                                                                          \
    __attribute__((target(TARGET), always_inline))                                                             \
    static inline void NAME##_row(int type, long panels, long blocks, const panel_block *xp, const uint8_t *row, \
                                  float *y, long ldy, long rows) {                                             \
        const long bytes = type == GFN_QUANT_Q4_0 ? 18 : type == GFN_QUANT_Q4_1 ? 20 : 34;                    \
        __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, mins[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}; \
        for (long c = 0; c < blocks; c++) {                                                                    \
            const uint8_t *p = row + bytes * c;                                                                \
            _Alignas(32) uint8_t wb[32];                                                                       \
            if (type == GFN_QUANT_Q8_0) {                                                                      \
                memcpy(wb, p + 2, 32);                                                                         \
            } else {                                                                                           \
                const __m128i q = _mm_loadu_si128((const __m128i *)(p + (type == GFN_QUANT_Q4_1 ? 4 : 2)));    \
                const __m128i mask = _mm_set1_epi8(0x0F);                                                      \
                _mm_store_si128((__m128i *)wb, _mm_and_si128(q, mask));                                        \
                _mm_store_si128((__m128i *)(wb + 16), _mm_and_si128(_mm_srli_epi16(q, 4), mask));              \
            }                                                                                                  \
            const float d = _cvtsh_ss(load_u16(p));                                                            \
            const float term = type == GFN_QUANT_Q4_1 ? _cvtsh_ss(load_u16(p + 2)) : type == GFN_QUANT_Q4_0 ? -8.0f * d : 0.0f; \
            __m256i sums[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};                                \
            for (int g = 0; g < 8; g++) {                                                                      \
                int32_t group;                                                                                 \
                memcpy(&group, wb + 4 * g, 4);                                                                 \
                const __m256i wg = _mm256_set1_epi32(group);                                                   \
                const __m256i u = type == GFN_QUANT_Q8_0 ? _mm256_sign_epi8(wg, wg) : wg;                      \
                for (int h = 0; h < 2; h++) {                                                                  \
                    if (h >= panels) break;                                                                    \
                    const __m256i xv = _mm256_load_si256((const __m256i *)xp[h * blocks + c].q[g]);            \
                    sums[h] = NAME##_dot(sums[h], u, type == GFN_QUANT_Q8_0 ? _mm256_sign_epi8(xv, wg) : xv); \
                }                                                                                              \
            }                                                                                                  \
            for (int h = 0; h < 2; h++) {                                                                      \
                if (h >= panels) break;                                                                        \
                const panel_block *x = xp + h * blocks + c;                                                    \
                const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(d), _mm256_load_ps(x->d));                   \
                acc[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[h]), scale, acc[h]);                          \
                mins[h] = _mm256_fmadd_ps(_mm256_set1_ps(term), _mm256_load_ps(x->s), mins[h]);                \
            }                                                                                                  \
        }                                                                                                      \
        for (int h = 0; h < 2; h++) {                                                                          \
            if (h >= panels) break;                                                                            \
            float out[8];                                                                                      \
            _mm256_storeu_ps(out, _mm256_add_ps(acc[h], mins[h]));                                             \
            for (long r = 0; r < 8 && 8 * h + r < rows; r++) y[(8 * h + r) * ldy] = out[r];                   \
        }                                                                                                      \
    }
PANELS(panels_avx2, "avx2,fma,f16c", 0)
PANELS(panels_vnni, "avx2,fma,f16c,avx512f,avx512vl,avx512vnni", 1)
#undef PANELS

#define PANELS_NT(NAME, ROW, TARGET, TYPE)                                                                     \
    __attribute__((target(TARGET)))                                                                            \
    static void NAME(long m, long n0, long n1, long blocks, const panel_block *xp, const uint8_t *const *w,     \
                     float *y, long ldy) {                                                                     \
        const long panels = (m + 7) / 8;                                                                       \
        for (long p0 = 0; p0 < panels; p0 += 2)                                                                \
            for (long j = n0; j < n1; j++)                                                                     \
                ROW(TYPE, panels - p0 < 2 ? panels - p0 : 2, blocks, xp + p0 * blocks, w[j], y + 8 * p0 * ldy + j, ldy, m - 8 * p0); \
    }
#define PANELS_TYPES(SUFFIX, TARGET)                                                                           \
    PANELS_NT(panels_q4_0_##SUFFIX, panels_##SUFFIX##_row, TARGET, GFN_QUANT_Q4_0)                              \
    PANELS_NT(panels_q4_1_##SUFFIX, panels_##SUFFIX##_row, TARGET, GFN_QUANT_Q4_1)                              \
    PANELS_NT(panels_q8_0_##SUFFIX, panels_##SUFFIX##_row, TARGET, GFN_QUANT_Q8_0)
PANELS_TYPES(avx2, "avx2,fma,f16c")
PANELS_TYPES(vnni, "avx2,fma,f16c,avx512f,avx512vl,avx512vnni")
#undef PANELS_TYPES
#undef PANELS_NT

void gfn_qgemm_nt_q8_panels(int type, long m, long n0, long n1, long k, const void *panels, const void *const *w,
                            float *y, long ldy) {
    const uint8_t *const *wb = (const uint8_t *const *)w;
    const panel_block *xp = (const panel_block *)panels;
    const long blocks = k / block;
    if (!gfn_qgemm_q8_panels_takes(type)) return;
    if (!has_avx2_fma() || !use_f16c()) { panels_portable(type, m, n0, n1, blocks, xp, wb, y, ldy); return; }
    const int vnni = has_avx512_vnni();
    switch (type) {
    case GFN_QUANT_Q4_0: (vnni ? panels_q4_0_vnni : panels_q4_0_avx2)(m, n0, n1, blocks, xp, wb, y, ldy); break;
    case GFN_QUANT_Q4_1: (vnni ? panels_q4_1_vnni : panels_q4_1_avx2)(m, n0, n1, blocks, xp, wb, y, ldy); break;
    default: (vnni ? panels_q8_0_vnni : panels_q8_0_avx2)(m, n0, n1, blocks, xp, wb, y, ldy); break;
    }
}
