// The switch behind has_avx2_fma() that makes every kernel take its portable path (see cpu_features.h).
#include "ckernels.h"
#include "cpu_features.h"

int gfn_portable_kernels_only = 0;

void gfn_use_portable_kernels(int on) { gfn_portable_kernels_only = on != 0; }

int gfn_kernels_use_avx2(void) { return has_avx2_fma(); }
