#ifndef GFN_CPU_FEATURES_H
#define GFN_CPU_FEATURES_H

// Set by gfn_use_portable_kernels (cpu_features.c): tests run the portable C paths on an AVX2 machine.
extern int gfn_portable_kernels_only;

// Whether this CPU runs the AVX2+FMA kernels (asked once; the answer does not change).
static inline int has_avx2_fma(void) {
    static int cached = -1;
    if (gfn_portable_kernels_only) return 0;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

// Set by gfn_use_vnni_kernels(0) (cpu_features.c): tests run the AVX2 integer kernels on a VNNI machine.
extern int gfn_vnni_kernels_off;

// Whether this CPU runs 256-bit vpdpbusd (AVX-512 VNNI with VL) besides AVX2+FMA, and no one turned it off.
static inline int has_avx512_vnni(void) {
    static int cached = -1;
    if (gfn_vnni_kernels_off || !has_avx2_fma()) return 0;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512f");
    }
    return cached;
}

// Set by gfn_use_avx512_kernels(0) (cpu_features.c): tests run the AVX2 (or OpenBLAS) paths on an AVX-512 machine.
extern int gfn_avx512_kernels_off;

// Whether this CPU runs the AVX-512F kernels (gemm_blocked.c, the few-row Q4/Q8 products), unless the
// portable paths were asked for or these turned off.
static inline int has_avx512f(void) {
    static int cached = -1;
    if (gfn_portable_kernels_only || gfn_avx512_kernels_off || !has_avx2_fma()) return 0;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f");
    }
    return cached;
}

#endif
