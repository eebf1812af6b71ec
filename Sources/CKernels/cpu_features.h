#ifndef GFN_CPU_FEATURES_H
#define GFN_CPU_FEATURES_H

// Whether this CPU runs the AVX2+FMA kernels (asked once; the answer does not change).
static inline int has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

#endif
