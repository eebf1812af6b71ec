// The switches behind has_avx2_fma() and has_avx512_vnni() that make kernels take a lesser path (see cpu_features.h).
#include "ckernels.h"
#include "cpu_features.h"

int gfn_portable_kernels_only = 0;

void gfn_use_portable_kernels(int on) { gfn_portable_kernels_only = on != 0; }

int gfn_kernels_use_avx2(void) { return has_avx2_fma(); }

int gfn_vnni_kernels_off = 0;

void gfn_use_vnni_kernels(int on) { gfn_vnni_kernels_off = on == 0; }

int gfn_kernels_use_vnni(void) { return has_avx512_vnni(); }

int gfn_avx512_kernels_off = 0;

void gfn_use_avx512_kernels(int on) { gfn_avx512_kernels_off = on == 0; }
