// Interposes the C allocator's entry points in the test executable (which the dynamic
// linker prefers over libc's) and forwards them to glibc's own implementations.
#define _GNU_SOURCE
#include "AllocationCounter.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_bool counting;
static atomic_long allocations;
static atomic_size_t largest;

static void count(size_t size) {
    if (!atomic_load_explicit(&counting, memory_order_relaxed)) return;
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    size_t seen = atomic_load_explicit(&largest, memory_order_relaxed);
    while (size > seen && !atomic_compare_exchange_weak(&largest, &seen, size)) {}
}

void *malloc(size_t size) { count(size); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(n * size); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(size); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count(size);
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return ENOMEM;
    *out = p;
    return 0;
}

void allocation_counter_start(void) {
    atomic_store(&allocations, 0);
    atomic_store(&largest, 0);
    atomic_store(&counting, true);
}

void allocation_counter_stop(void) { atomic_store(&counting, false); }
long allocation_counter_count(void) { return atomic_load(&allocations); }
size_t allocation_counter_largest(void) { return atomic_load(&largest); }
