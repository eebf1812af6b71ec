// Products with a weight matrix kept in GGUF's quantised blocks (see include/ckernels.h). Every row of w
// is read as chunks of 32 elements (a Q4_0/Q4_1/Q8_0 block, an eighth of a Q6_K block, 32 halves),
// which are dequantised into registers and multiplied there: the float32 matrix never exists. A chunk's
// values are bit for bit those of ModelFormats' Dequantizer (q·d, q·d + m without fusing, (d·scale)·q),
// so the products differ from dequantise-then-float32 only in summation order.
#include "ckernels.h"
#include "cpu_features.h"
#include "gemm_nt_decoded.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { chunk = 32 };

long gfn_quant_block_elements(int type) {
    switch (type) {
    case GFN_QUANT_F16: case GFN_QUANT_BF16: return 1;
    case GFN_QUANT_Q4_0: case GFN_QUANT_Q4_1: case GFN_QUANT_Q8_0: return 32;
    case GFN_QUANT_Q6_K: return 256;
    default: return 0;
    }
}

long gfn_quant_block_bytes(int type) {
    switch (type) {
    case GFN_QUANT_F16: case GFN_QUANT_BF16: return 2;
    case GFN_QUANT_Q4_0: return 18;
    case GFN_QUANT_Q4_1: return 20;
    case GFN_QUANT_Q8_0: return 34;
    case GFN_QUANT_Q6_K: return 210;
    default: return 0;
    }
}

static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

long gfn_quant_first_nonfinite(int type, const void *row, long columns) {
    const long per = gfn_quant_block_elements(type), bytes = gfn_quant_block_bytes(type);
    if (per == 0) return -1;
    // Where the block's float16 (bfloat16 for BF16) scales sit, and the exponent bits that mark inf/NaN.
    long offsets[2] = {0, -1};
    if (type == GFN_QUANT_Q4_1) offsets[1] = 2;
    if (type == GFN_QUANT_Q6_K) offsets[0] = 208;
    const uint16_t exponent = type == GFN_QUANT_BF16 ? 0x7F80 : 0x7C00;
    const uint8_t *p = (const uint8_t *)row;
    for (long b = 0; b < columns / per; b++, p += bytes) {
        for (int s = 0; s < 2 && offsets[s] >= 0; s++) {
            if ((load_u16(p + offsets[s]) & exponent) == exponent) return b * per;
        }
    }
    return -1;
}

static inline float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) bits = sign | 0x7F800000u | (mantissa << 13);
    else if (exponent != 0) bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    else if (mantissa == 0) bits = sign;
    else {  // subnormal half: normalise
        uint32_t e = 113, m = mantissa;
        while (!(m & 0x400)) { m <<= 1; e--; }
        bits = sign | (e << 23) | ((m & 0x3FF) << 13);
    }
    float f; memcpy(&f, &bits, 4); return f;
}

static inline float bf16_to_float(uint16_t h) { uint32_t bits = (uint32_t)h << 16; float f; memcpy(&f, &bits, 4); return f; }

// The start of chunk c of a row, and for Q6_K which eighth of its block.
static inline const uint8_t *chunk_base(int type, const uint8_t *row, long c) {
    switch (type) {
    case GFN_QUANT_Q4_0: return row + 18 * c;
    case GFN_QUANT_Q4_1: return row + 20 * c;
    case GFN_QUANT_Q8_0: return row + 34 * c;
    case GFN_QUANT_Q6_K: return row + 210 * (c / 8);
    default: return row + 2 * chunk * c;  // F16, BF16
    }
}

// Portable: chunk c of a row as 32 floats.
static void dequantize_chunk(int type, const uint8_t *row, long c, float *y) {
    const uint8_t *p = chunk_base(type, row, c);
    switch (type) {
    case GFN_QUANT_Q4_0: {
        const float d = half_to_float(load_u16(p));
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((p[2 + j] & 0x0F) - 8) * d;
            y[j + 16] = (float)((p[2 + j] >> 4) - 8) * d;
        }
        break;
    }
    case GFN_QUANT_Q4_1: {
        const float d = half_to_float(load_u16(p)), m = half_to_float(load_u16(p + 2));
        for (int j = 0; j < 16; j++) {
            float a = (float)(p[4 + j] & 0x0F) * d, b = (float)(p[4 + j] >> 4) * d;
            y[j] = a + m;
            y[j + 16] = b + m;
        }
        break;
    }
    case GFN_QUANT_Q8_0: {
        const float d = half_to_float(load_u16(p));
        for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)p[2 + j] * d;
        break;
    }
    case GFN_QUANT_Q6_K: {
        const int e = (int)(c % 8), n = e / 4, g = e % 4;
        const uint8_t *ql = p + 64 * n + (g & 1) * 32, *qh = p + 128 + 32 * n;
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * n);
        const float d = half_to_float(load_u16(p + 208));
        for (int l = 0; l < 32; l++) {
            const int low = g >= 2 ? ql[l] >> 4 : ql[l] & 0x0F;
            const int q = (low | (((qh[l] >> (2 * g)) & 3) << 4)) - 32;
            const float s = d * (float)sc[l / 16 + 2 * g];
            y[l] = s * (float)q;
        }
        break;
    }
    case GFN_QUANT_F16:
        for (int j = 0; j < 32; j++) y[j] = half_to_float(load_u16(p + 2 * j));
        break;
    case GFN_QUANT_BF16:
        for (int j = 0; j < 32; j++) y[j] = bf16_to_float(load_u16(p + 2 * j));
        break;
    }
}

static inline float element(int type, const uint8_t *row, long i) {
    return type == GFN_QUANT_F16 ? half_to_float(load_u16(row + 2 * i)) : bf16_to_float(load_u16(row + 2 * i));
}

// A half's value through F16C (exact, as half_to_float).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline float half_to_float_f16c(const uint8_t *p) { return _cvtsh_ss(load_u16(p)); }

// AVX2: chunk c of a row in four vectors of 8.
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void dequantize_chunk_avx2(int type, const uint8_t *row, long c, __m256 v[4]) {
    const uint8_t *p = chunk_base(type, row, c);
    switch (type) {
    case GFN_QUANT_Q4_0: case GFN_QUANT_Q4_1: {
        const int has_min = type == GFN_QUANT_Q4_1;
        const __m256 d = _mm256_set1_ps(half_to_float_f16c(p));
        const __m128i q = _mm_loadu_si128((const __m128i *)(p + (has_min ? 4 : 2)));
        const __m128i mask = _mm_set1_epi8(0x0F);
        const __m128i lo = _mm_and_si128(q, mask), hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
        __m256i n[4] = {_mm256_cvtepu8_epi32(lo), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)),
                        _mm256_cvtepu8_epi32(hi), _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))};
        if (has_min) {
            const __m256 m = _mm256_set1_ps(half_to_float_f16c(p + 2));
            for (int i = 0; i < 4; i++) v[i] = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(n[i]), d), m);
        } else {
            const __m256i eight = _mm256_set1_epi32(8);
            for (int i = 0; i < 4; i++) v[i] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(n[i], eight)), d);
        }
        break;
    }
    case GFN_QUANT_Q8_0: {
        const __m256 d = _mm256_set1_ps(half_to_float_f16c(p));
        for (int i = 0; i < 4; i++)
            v[i] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 2 + 8 * i)))), d);
        break;
    }
    case GFN_QUANT_Q6_K: {
        const int e = (int)(c % 8), n = e / 4, g = e % 4;
        const uint8_t *ql = p + 64 * n + (g & 1) * 32, *qh = p + 128 + 32 * n;
        const int8_t *sc = (const int8_t *)(p + 192 + 8 * n);
        const float d = half_to_float_f16c(p + 208);
        const __m256i mask = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
        __m256i low = _mm256_loadu_si256((const __m256i *)ql);
        if (g >= 2) low = _mm256_srli_epi16(low, 4);
        low = _mm256_and_si256(low, mask);
        __m256i high = _mm256_and_si256(_mm256_srl_epi16(_mm256_loadu_si256((const __m256i *)qh), _mm_cvtsi32_si128(2 * g)), three);
        const __m256i q = _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
        const __m128i q0 = _mm256_castsi256_si128(q), q1 = _mm256_extracti128_si256(q, 1);
        const __m256i n4[4] = {_mm256_cvtepu8_epi32(q0), _mm256_cvtepu8_epi32(_mm_srli_si128(q0, 8)),
                               _mm256_cvtepu8_epi32(q1), _mm256_cvtepu8_epi32(_mm_srli_si128(q1, 8))};
        const __m256i bias = _mm256_set1_epi32(32);
        const __m256 s0 = _mm256_set1_ps(d * (float)sc[2 * g]), s1 = _mm256_set1_ps(d * (float)sc[2 * g + 1]);
        for (int i = 0; i < 4; i++) v[i] = _mm256_mul_ps(i < 2 ? s0 : s1, _mm256_cvtepi32_ps(_mm256_sub_epi32(n4[i], bias)));
        break;
    }
    case GFN_QUANT_F16:
        for (int i = 0; i < 4; i++) v[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * i)));
        break;
    default:  // BF16
        for (int i = 0; i < 4; i++)
            v[i] = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 16 * i))), 16));
        break;
    }
}

// AVX-512: a Q4_0, Q4_1 or Q8_0 block in two vectors of 16. Q4's sixteen possible values are computed once
// per block, exactly as the AVX2 path computes each element (q·d, then + m, not fused; Q4_0 (q − 8)·d), and
// looked up by nibble (vpermps), which halves the work of decoding a block; the values are the AVX2 decoder's.
__attribute__((target("avx512f,fma,f16c"), always_inline))
static inline void dequantize_block_avx512(int type, const uint8_t *p, __m512 *z0, __m512 *z1) {
    const __m512 d = _mm512_set1_ps(half_to_float_f16c(p));
    if (type == GFN_QUANT_Q8_0) {
        *z0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 2)))), d);
        *z1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 18)))), d);
        return;
    }
    const int has_min = type == GFN_QUANT_Q4_1;
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 table;
    if (has_min) table = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(iota), d), _mm512_set1_ps(half_to_float_f16c(p + 2)));
    else table = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(iota, _mm512_set1_epi32(8))), d);
    const __m128i q = _mm_loadu_si128((const __m128i *)(p + (has_min ? 4 : 2)));
    const __m128i mask = _mm_set1_epi8(0x0F);
    *z0 = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_and_si128(q, mask)), table);
    *z1 = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), mask)), table);
}

static int use_avx2(void) {
    static int f16c = -1;
    if (!has_avx2_fma()) return 0;
    if (f16c < 0) { __builtin_cpu_init(); f16c = __builtin_cpu_supports("f16c"); }
    return f16c;
}

// The elements past the last whole chunk (only F16 and BF16 rows have them).
static inline long whole_chunks(long k) { return k / chunk; }

// Portable: row[c0 ..< c1) as floats into out.
static void decode_range(int type, const uint8_t *row, long c0, long c1, float *out) {
    long i = c0;
    float buffer[chunk];
    for (; i + chunk <= c1; i += chunk) {
        dequantize_chunk(type, row, i / chunk, buffer);
        memcpy(out + (i - c0), buffer, sizeof buffer);
    }
    for (; i < c1; i++) out[i - c0] = element(type, row, i);
}

// AVX2: the same, a chunk at a time through registers.
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void decode_range_avx2(int type, const uint8_t *row, long c0, long c1, float *out) {
    long i = c0;
    for (; i + chunk <= c1; i += chunk) {
        __m256 v[4];
        dequantize_chunk_avx2(type, row, i / chunk, v);
        for (int e = 0; e < 4; e++) _mm256_storeu_ps(out + (i - c0) + 8 * e, v[e]);
    }
    for (; i < c1; i++) out[i - c0] = element(type, row, i);
}

// Row j's bytes holding elements [c0, c1), touched so that they are in cache when decoded next.
static inline void prefetch_range(int type, const uint8_t *row, long c0, long c1) {
    const uint8_t *a = chunk_base(type, row, c0 / chunk), *b = chunk_base(type, row, (c1 + chunk - 1) / chunk);
    for (; a < b; a += 64) __builtin_prefetch(a, 0, 3);
}

// AVX-512: Q4_0, Q4_1 and Q8_0 blocks decoded two 16-wide vectors at a time (the same values as the AVX2 decoders).
__attribute__((target("avx512f,fma,f16c"), always_inline))
static inline void decode_range_avx512(int type, const uint8_t *row, long c0, long c1, float *out) {
    long i = c0;
    for (; i + chunk <= c1; i += chunk) {
        __m512 z0, z1;
        dequantize_block_avx512(type, chunk_base(type, row, i / chunk), &z0, &z1);
        _mm512_storeu_ps(out + (i - c0), z0);
        _mm512_storeu_ps(out + (i - c0) + 16, z1);
    }
    for (; i < c1; i++) out[i - c0] = element(type, row, i);
}

// One instance per type and instruction set (W: nothing for AVX2, 512 for AVX-512), so that the type's decoding is
// inlined without a switch per chunk: tile{W}_{type} fills a tile of rows, rows{W}_{type} a panel kernel's group.
#define DECODERS(W, TARGET, DECODE, SUFFIX, TYPE)                                                              \
    __attribute__((target(TARGET)))                                                                            \
    static void tile##W##_##SUFFIX(const uint8_t *const *w, long j0, long j1, long c0, long c1, float *out, long ldo) { \
        for (long j = j0; j < j1; j++) DECODE(TYPE, w[j], c0, c1, out + (j - j0) * ldo);                       \
    }                                                                                                          \
    __attribute__((target(TARGET)))                                                                            \
    static void rows##W##_##SUFFIX(const void *ctx, long o, int g, long k0, long kb, float *buf, long ldb, long prefetch) { \
        const uint8_t *const *w = (const uint8_t *const *)ctx;                                                 \
        for (int i = 0; i < g; i++) {                                                                          \
            if (i < prefetch) prefetch_range(TYPE, w[o + g + i], k0, k0 + kb);                                  \
            DECODE(TYPE, w[o + i], k0, k0 + kb, buf + i * ldb);                                                \
        }                                                                                                      \
    }
DECODERS(, "avx2,fma,f16c", decode_range_avx2, q4_0, GFN_QUANT_Q4_0)
DECODERS(, "avx2,fma,f16c", decode_range_avx2, q4_1, GFN_QUANT_Q4_1)
DECODERS(, "avx2,fma,f16c", decode_range_avx2, q8_0, GFN_QUANT_Q8_0)
DECODERS(, "avx2,fma,f16c", decode_range_avx2, q6_k, GFN_QUANT_Q6_K)
DECODERS(, "avx2,fma,f16c", decode_range_avx2, f16, GFN_QUANT_F16)
DECODERS(, "avx2,fma,f16c", decode_range_avx2, bf16, GFN_QUANT_BF16)
DECODERS(512, "avx512f,fma,f16c", decode_range_avx512, q4_0, GFN_QUANT_Q4_0)
DECODERS(512, "avx512f,fma,f16c", decode_range_avx512, q4_1, GFN_QUANT_Q4_1)
DECODERS(512, "avx512f,fma,f16c", decode_range_avx512, q8_0, GFN_QUANT_Q8_0)
#undef DECODERS

void gfn_quant_dequantize_tile(int type, const void *const *w, long j0, long j1, long c0, long c1,
                               float *out, long ldo) {
    const uint8_t *const *wb = (const uint8_t *const *)w;
    if (!use_avx2()) {
        for (long j = j0; j < j1; j++) decode_range(type, wb[j], c0, c1, out + (j - j0) * ldo);
        return;
    }
    switch (type) {
    case GFN_QUANT_Q4_0: (has_avx512f() ? tile512_q4_0 : tile_q4_0)(wb, j0, j1, c0, c1, out, ldo); break;
    case GFN_QUANT_Q4_1: (has_avx512f() ? tile512_q4_1 : tile_q4_1)(wb, j0, j1, c0, c1, out, ldo); break;
    case GFN_QUANT_Q8_0: (has_avx512f() ? tile512_q8_0 : tile_q8_0)(wb, j0, j1, c0, c1, out, ldo); break;
    case GFN_QUANT_Q6_K: tile_q6_k(wb, j0, j1, c0, c1, out, ldo); break;
    case GFN_QUANT_F16: tile_f16(wb, j0, j1, c0, c1, out, ldo); break;
    case GFN_QUANT_BF16: tile_bf16(wb, j0, j1, c0, c1, out, ldo); break;
    }
}

static void nt_portable(int type, long m, long n0, long n1, long k, const float *x, long ldx,
                        const uint8_t *const *w, float *y, long ldy) {
    const long chunks = whole_chunks(k);
    float v[chunk];
    for (long j = n0; j < n1; j++) {
        const uint8_t *row = w[j];
        for (long r = 0; r < m; r++) y[r * ldy + j] = 0;
        for (long c = 0; c < chunks; c++) {
            dequantize_chunk(type, row, c, v);
            for (long r = 0; r < m; r++) {
                const float *xr = x + r * ldx + c * chunk;
                float s = y[r * ldy + j];
                for (int i = 0; i < chunk; i++) s = fmaf(v[i], xr[i], s);
                y[r * ldy + j] = s;
            }
        }
        for (long i = chunks * chunk; i < k; i++) {
            const float e = element(type, row, i);
            for (long r = 0; r < m; r++) y[r * ldy + j] = fmaf(e, x[r * ldx + i], y[r * ldy + j]);
        }
    }
}

__attribute__((target("avx2,fma,f16c"), always_inline))
static inline float hsum(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Up to 4 rows of x against one row of w: each chunk is dequantised once into registers and serves every row.
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void nt_row_avx2(int type, long rows, long k, const float *x, long ldx, const uint8_t *row, float *y, long ldy) {
    __m256 acc[4][2];
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    const long chunks = whole_chunks(k);
    for (long c = 0; c < chunks; c++) {
        __m256 v[4];
        dequantize_chunk_avx2(type, row, c, v);
        for (int r = 0; r < 4; r++) {
            if (r >= rows) break;
            const float *xr = x + r * ldx + c * chunk;
            acc[r][0] = _mm256_fmadd_ps(v[0], _mm256_loadu_ps(xr), acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(v[1], _mm256_loadu_ps(xr + 8), acc[r][1]);
            acc[r][0] = _mm256_fmadd_ps(v[2], _mm256_loadu_ps(xr + 16), acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(v[3], _mm256_loadu_ps(xr + 24), acc[r][1]);
        }
    }
    for (int r = 0; r < 4 && r < rows; r++) {
        float s = hsum(_mm256_add_ps(acc[r][0], acc[r][1]));
        for (long i = chunks * chunk; i < k; i++) s = fmaf(element(type, row, i), x[r * ldx + i], s);
        y[r * ldy] = s;
    }
}

// One instance per type and instruction set: every weight row of [n0, n1) against the rows of x, 4 at a time.
#define NT_ROWS(NAME, TARGET, ROW_KERNEL, TYPE)                                                              \
    __attribute__((target(TARGET)))                                                                            \
    static void NAME(long m, long n0, long n1, long k, const float *x, long ldx, const uint8_t *const *w,       \
                     float *y, long ldy) {                                                                     \
        for (long j = n0; j < n1; j++)                                                                         \
            for (long r0 = 0; r0 < m; r0 += 4)                                                                 \
                ROW_KERNEL(TYPE, m - r0 < 4 ? m - r0 : 4, k, x + r0 * ldx, ldx, w[j], y + r0 * ldy + j, ldy);   \
    }
#define NT_AVX2(NAME, TYPE) NT_ROWS(NAME, "avx2,fma,f16c", nt_row_avx2, TYPE)
NT_AVX2(nt_q4_0, GFN_QUANT_Q4_0)
NT_AVX2(nt_q4_1, GFN_QUANT_Q4_1)
NT_AVX2(nt_q8_0, GFN_QUANT_Q8_0)
NT_AVX2(nt_q6_k, GFN_QUANT_Q6_K)
NT_AVX2(nt_f16, GFN_QUANT_F16)
NT_AVX2(nt_bf16, GFN_QUANT_BF16)

// 1–4 rows with AVX-512: each output's sum runs in the AVX2 kernel's order (its two 8-lane accumulators are this
// one's two halves), so both give the same bits (QuantizedLinearTests compares them).
__attribute__((target("avx512f,fma,f16c"), always_inline))
static inline void nt_row_avx512(int type, long rows, long k, const float *x, long ldx, const uint8_t *row, float *y, long ldy) {
    __m512 acc[4];
    for (int r = 0; r < 4; r++) acc[r] = _mm512_setzero_ps();
    const long chunks = whole_chunks(k);
    for (long c = 0; c < chunks; c++) {
        __m512 z0, z1;
        dequantize_block_avx512(type, chunk_base(type, row, c), &z0, &z1);
        for (int r = 0; r < 4; r++) {
            if (r >= rows) break;
            const float *xr = x + r * ldx + c * chunk;
            acc[r] = _mm512_fmadd_ps(z0, _mm512_loadu_ps(xr), acc[r]);
            acc[r] = _mm512_fmadd_ps(z1, _mm512_loadu_ps(xr + 16), acc[r]);
        }
    }
    for (int r = 0; r < 4 && r < rows; r++) {
        __m256 halves = _mm256_add_ps(_mm512_castps512_ps256(acc[r]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[r]), 1)));
        y[r * ldy] = hsum(halves);
    }
}

#define NT_AVX512(NAME, TYPE) NT_ROWS(NAME, "avx512f,fma,f16c", nt_row_avx512, TYPE)
NT_AVX512(nt512_q4_0, GFN_QUANT_Q4_0)
NT_AVX512(nt512_q4_1, GFN_QUANT_Q4_1)
NT_AVX512(nt512_q8_0, GFN_QUANT_Q8_0)
#undef NT_AVX512
#undef NT_AVX2
#undef NT_ROWS

void gfn_qgemm_nt(int type, long m, long n0, long n1, long k, const float *x, long ldx,
                  const void *const *w, float *y, long ldy) {
    const uint8_t *const *wb = (const uint8_t *const *)w;
    if (!use_avx2()) { nt_portable(type, m, n0, n1, k, x, ldx, wb, y, ldy); return; }
    switch (type) {
    case GFN_QUANT_Q4_0: if (has_avx512f()) { nt512_q4_0(m, n0, n1, k, x, ldx, wb, y, ldy); break; } nt_q4_0(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    case GFN_QUANT_Q4_1: if (has_avx512f()) { nt512_q4_1(m, n0, n1, k, x, ldx, wb, y, ldy); break; } nt_q4_1(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    case GFN_QUANT_Q8_0: if (has_avx512f()) { nt512_q8_0(m, n0, n1, k, x, ldx, wb, y, ldy); break; } nt_q8_0(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    case GFN_QUANT_Q6_K: nt_q6_k(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    case GFN_QUANT_F16: nt_f16(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    case GFN_QUANT_BF16: nt_bf16(m, n0, n1, k, x, ldx, wb, y, ldy); break;
    }
}

// Portable panel path: each output one fmaf chain over k from zero, as gemm_nt.c's portable code, over a
// decoded row (so the bits equal gfn_gemm_nt_packed's on the dequantised matrix).
static void nt_packed_portable(int type, long m, long n0, long n1, long k, const float *xp, const uint8_t *const *w,
                               float *y, long ldy) {
    float *row = malloc(sizeof(float) * (size_t)k);
    if (!row) return;
    for (long o = n0; o < n1; o++) {
        decode_range(type, w[o], 0, k, row);
        for (long r = 0; r < m; r++) {
            const float *xr = xp + r / 16 * 16 * k + r % 16;
            float acc = 0;
            for (long p = 0; p < k; p++) acc = fmaf(row[p], xr[p * 16], acc);
            y[r * ldy + o] = 1.0f * acc;
        }
    }
    free(row);
}

void gfn_qgemm_nt_packed(int type, long m, long n0, long n1, long k, const float *xp, const void *const *w,
                         float *y, long ldy) {
    if (m <= 4) { gfn_qgemm_nt(type, m, n0, n1, k, xp, k, w, y, ldy); return; }
    const uint8_t *const *wb = (const uint8_t *const *)w;
    if (!use_avx2()) { nt_packed_portable(type, m, n0, n1, k, xp, wb, y, ldy); return; }
    gfn_nt_row_decoder decode = NULL;
    switch (type) {
    case GFN_QUANT_Q4_0: decode = has_avx512f() ? rows512_q4_0 : rows_q4_0; break;
    case GFN_QUANT_Q4_1: decode = has_avx512f() ? rows512_q4_1 : rows_q4_1; break;
    case GFN_QUANT_Q8_0: decode = has_avx512f() ? rows512_q8_0 : rows_q8_0; break;
    case GFN_QUANT_Q6_K: decode = rows_q6_k; break;
    case GFN_QUANT_F16: decode = rows_f16; break;
    case GFN_QUANT_BF16: decode = rows_bf16; break;
    default: return;
    }
    gfn_gemm_nt_packed_decoded(m, n0, n1, k, 1, xp, decode, wb, y, ldy);
}

static void nn_portable(int type, long m, long n, long c0, long c1, const float *g, long ldg,
                        const uint8_t *const *w, float *dx, long lddx) {
    for (long r = 0; r < m; r++)
        for (long i = c0; i < c1; i++) dx[r * lddx + i] = 0;
    float v[chunk];
    for (long j = 0; j < n; j++) {
        const uint8_t *row = w[j];
        long i = c0;
        for (; i + chunk <= c1; i += chunk) {
            dequantize_chunk(type, row, i / chunk, v);
            for (long r = 0; r < m; r++) {
                const float gj = g[r * ldg + j];
                float *d = dx + r * lddx + i;
                for (int e = 0; e < chunk; e++) d[e] = fmaf(gj, v[e], d[e]);
            }
        }
        for (; i < c1; i++) {
            const float e = element(type, row, i);
            for (long r = 0; r < m; r++) dx[r * lddx + i] = fmaf(g[r * ldg + j], e, dx[r * lddx + i]);
        }
    }
}

// One chunk of columns at a time, all rows of w into it: the output tile (rows × 32) stays in L1.
#define NN_AVX2(NAME, TYPE)                                                                                  \
    __attribute__((target("avx2,fma,f16c")))                                                                   \
    static void NAME(long m, long n, long c0, long c1, const float *g, long ldg, const uint8_t *const *w,      \
                     float *dx, long lddx) {                                                   \
        long i = c0;                                                                                           \
        for (; i + chunk <= c1; i += chunk) {                                                                  \
            for (long r = 0; r < m; r++) memset(dx + r * lddx + i, 0, chunk * sizeof(float));                 \
            for (long j = 0; j < n; j++) {                                                                     \
                __m256 v[4];                                                                                   \
                dequantize_chunk_avx2(TYPE, w[j], i / chunk, v);                                  \
                for (long r = 0; r < m; r++) {                                                                 \
                    const __m256 gj = _mm256_set1_ps(g[r * ldg + j]);                                          \
                    float *d = dx + r * lddx + i;                                                              \
                    for (int e = 0; e < 4; e++)                                                                \
                        _mm256_storeu_ps(d + 8 * e, _mm256_fmadd_ps(gj, v[e], _mm256_loadu_ps(d + 8 * e)));    \
                }                                                                                              \
            }                                                                                                  \
        }                                                                                                      \
        if (i < c1) nn_portable(TYPE, m, n, i, c1, g, ldg, w, dx, lddx);                            \
    }
NN_AVX2(nn_q4_0, GFN_QUANT_Q4_0)
NN_AVX2(nn_q4_1, GFN_QUANT_Q4_1)
NN_AVX2(nn_q8_0, GFN_QUANT_Q8_0)
NN_AVX2(nn_q6_k, GFN_QUANT_Q6_K)
NN_AVX2(nn_f16, GFN_QUANT_F16)
NN_AVX2(nn_bf16, GFN_QUANT_BF16)

void gfn_qgemm_nn(int type, long m, long n, long c0, long c1, const float *g, long ldg,
                  const void *const *w, float *dx, long lddx) {
    const uint8_t *const *wb = (const uint8_t *const *)w;
    if (!use_avx2()) { nn_portable(type, m, n, c0, c1, g, ldg, wb, dx, lddx); return; }
    switch (type) {
    case GFN_QUANT_Q4_0: nn_q4_0(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    case GFN_QUANT_Q4_1: nn_q4_1(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    case GFN_QUANT_Q8_0: nn_q8_0(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    case GFN_QUANT_Q6_K: nn_q6_k(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    case GFN_QUANT_F16: nn_f16(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    case GFN_QUANT_BF16: nn_bf16(m, n, c0, c1, g, ldg, wb, dx, lddx); break;
    }
}
