// glibc's malloc returns freed memory at the top of its heap to the OS once more than M_TRIM_THRESHOLD is free,
// and serves blocks above M_MMAP_THRESHOLD from fresh mappings; both thresholds follow the sizes freed so far
// unless set. A training step frees and reallocates the same tensors every step, so whether its memory came
// back as faulted-in pages depended on which sizes happened to be freed first: measured on SmolLM2's LoRA step,
// ~5,900 page faults a step (about 23 MB zeroed by the kernel again) with CKernels' blocked GEMM, none before
// it. Fixed thresholds make it no step's business: blocks up to 32 MB come from the heap, and up to 256 MB of
// free heap stays mapped (Tensors' StoragePool keeps freed buffers of 1 MiB and more anyway). Unless the user
// set either threshold or any glibc tunable, this runs before main.
#include <malloc.h>
#include <stdlib.h>

__attribute__((constructor))
static void gfn_keep_freed_memory(void) {
    if (getenv("MALLOC_MMAP_THRESHOLD_") || getenv("MALLOC_TRIM_THRESHOLD_") || getenv("GLIBC_TUNABLES")) return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
