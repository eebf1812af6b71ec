// OpenBLAS's worker threads spin for 2^28 cycles (~0.1 s) after every threaded sgemm before they sleep
// (OPENBLAS_THREAD_TIMEOUT, read once when the library loads). Our own kernels run on Dispatch's
// threads between sgemm calls, so a spinning OpenBLAS worker takes a core from them and they from it:
// measured on 2 cores, a 64-token forward pass 233 → 185 ms and a LoRA training step 3.85 → 3.26 s
// with the workers sleeping at once (timeout 4, i.e. 16 cycles). Unless the user chose a timeout,
// this sets that one before main runs: OpenBLAS re-reads its environment and restarts its thread pool
// (the same shutdown it does across fork(); the pool starts again with the next threaded call).
#include <stdlib.h>
#include "ckernels.h"

// Exported by threaded OpenBLAS builds (driver/others/openblas_env.c and blas_server.c) but in no public
// header; weak, so that a single-threaded OpenBLAS without them still links (and has no workers to tame).
extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));
extern int openblas_thread_timeout(void) __attribute__((weak));

__attribute__((constructor))
static void gfn_blas_sleeping_workers(void) {
    if (!openblas_read_env || !blas_thread_shutdown_) return;
    if (getenv("OPENBLAS_THREAD_TIMEOUT") != NULL) return;
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    openblas_read_env();
    blas_thread_shutdown_();
}

int gfn_blas_thread_timeout(void) { return openblas_thread_timeout ? openblas_thread_timeout() : -1; }
