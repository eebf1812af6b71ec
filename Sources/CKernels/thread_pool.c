// A fork-join pool for the kernels' parallel loops. Dispatch's concurrentPerform wakes its worker
// threads from sleep on every call; on this project's 2-core VMs a worker took ~40 µs to join, so a
// loop of two 84 µs chunks ran in 126–131 µs instead of 84 (measured in C against libdispatch), and
// a LoRA training step runs ~1,450 such loops, a decoding step ~130. Here each worker spins on its
// own mailbox for a while after a job (GFN_POOL_SPIN_US, default 1000 µs) and only then sleeps on a
// futex, as OpenMP runtimes do. The caller always takes part, claims chunks like the workers, and
// takes back any posting a worker has not started, so a sleeping worker never delays a job.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

enum { IDLE = 0, POSTED = 1, RUNNING = 2, DONE = 3 };
#define MAX_WORKERS 63

struct job {
    gfn_pool_task task;
    void *context;
    long count;
    _Atomic long next;
};

// One mailbox per worker, each on its own cache line: the caller writes `job` then sets POSTED; the
// worker moves POSTED → RUNNING (or the caller takes it back, POSTED → IDLE), and RUNNING → DONE.
struct mailbox {
    _Atomic int state;
    _Atomic int sleeping;
    struct job *_Atomic job;
} __attribute__((aligned(64)));

static struct mailbox boxes[MAX_WORKERS];
static _Atomic int busy;                  // one job at a time; a nested or concurrent call runs inline
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int started_workers;
static long spin_ns = -1;

static long futex(_Atomic int *word, int op, int value) {
    return syscall(SYS_futex, (int *)word, op, value, NULL, NULL, 0);
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_chunks(struct job *j) {
    for (;;) {
        long i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (i >= j->count) return;
        j->task(j->context, i);
    }
}

static void *worker_main(void *arg) {
    struct mailbox *box = arg;
    for (;;) {
        // Spin for a job, then sleep until one is posted.
        long until = now_ns() + spin_ns;
        int spins = 0;
        while (atomic_load_explicit(&box->state, memory_order_acquire) != POSTED) {
            cpu_relax();
            if (++spins < 64) continue;
            spins = 0;
            if (now_ns() < until) continue;
            atomic_store(&box->sleeping, 1);
            // Re-checked after announcing the sleep: the poster wakes only announced sleepers.
            for (int seen; (seen = atomic_load(&box->state)) != POSTED;) futex(&box->state, FUTEX_WAIT_PRIVATE, seen);
            atomic_store(&box->sleeping, 0);
        }
        int expected = POSTED;
        if (!atomic_compare_exchange_strong(&box->state, &expected, RUNNING)) continue;  // taken back
        run_chunks(atomic_load_explicit(&box->job, memory_order_relaxed));
        atomic_store_explicit(&box->state, DONE, memory_order_release);
    }
    return NULL;
}

// A forked child has none of the parent's threads: it starts its own when it first needs them.
static void forget_workers_in_child(void) {
    atomic_store(&started_workers, 0);
    atomic_store(&busy, 0);
    for (int w = 0; w < MAX_WORKERS; w++) {
        atomic_store(&boxes[w].state, IDLE);
        atomic_store(&boxes[w].sleeping, 0);
    }
}

static void start_workers(int wanted) {
    static int registered;
    pthread_mutex_lock(&start_lock);
    if (!registered) {
        pthread_atfork(NULL, NULL, forget_workers_in_child);
        registered = 1;
    }
    if (spin_ns < 0) {
        const char *s = getenv("GFN_POOL_SPIN_US");
        long us = s ? strtol(s, NULL, 10) : 1000;
        spin_ns = (us < 0 ? 0 : us > 1000000 ? 1000000 : us) * 1000L;
    }
    int have = atomic_load(&started_workers);
    for (int w = have; w < wanted; w++) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8 << 20);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker_main, &boxes[w]);
        pthread_attr_destroy(&attr);
        if (failed) break;  // fewer helpers; the caller runs what they would have
        have = w + 1;
    }
    atomic_store(&started_workers, have);
    pthread_mutex_unlock(&start_lock);
}

void gfn_pool_run(long count, int threads, gfn_pool_task task, void *context) {
    if (count <= 0) return;
    int helpers = threads - 1;
    if (helpers > MAX_WORKERS) helpers = MAX_WORKERS;
    if (helpers > count - 1) helpers = (int)(count - 1);
    int free_pool = 0;
    if (helpers > 0 && atomic_compare_exchange_strong(&busy, &free_pool, 1)) {
        if (atomic_load(&started_workers) < helpers) start_workers(helpers);
        if (atomic_load(&started_workers) < helpers) helpers = atomic_load(&started_workers);
        struct job j = { task, context, count, 0 };
        for (int w = 0; w < helpers; w++) {
            atomic_store_explicit(&boxes[w].job, &j, memory_order_relaxed);
            atomic_store(&boxes[w].state, POSTED);
            if (atomic_load(&boxes[w].sleeping)) futex(&boxes[w].state, FUTEX_WAKE_PRIVATE, 1);
        }
        run_chunks(&j);
        for (int w = 0; w < helpers; w++) {
            int expected = POSTED;
            if (!atomic_compare_exchange_strong(&boxes[w].state, &expected, IDLE)) {
                // A worker preempted mid-chunk (more threads than cores) gets the core back by yielding.
                for (long spins = 1; atomic_load_explicit(&boxes[w].state, memory_order_acquire) != DONE; spins++) {
                    if (spins % 4096 == 0) sched_yield(); else cpu_relax();
                }
                atomic_store_explicit(&boxes[w].state, IDLE, memory_order_relaxed);
            }
        }
        atomic_store_explicit(&busy, 0, memory_order_release);
        return;
    }
    for (long i = 0; i < count; i++) task(context, i);
}

int gfn_pool_workers(void) { return atomic_load(&started_workers); }
