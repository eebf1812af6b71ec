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

#endif
