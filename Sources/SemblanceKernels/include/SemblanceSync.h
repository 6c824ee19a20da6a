// Tiny spin locks over 32-bit words, for the per-node locks of a parallel graph build.
// C11 atomics, so ThreadSanitizer understands them; inlined into Swift callers.
#ifndef SEMBLANCE_SYNC_H
#define SEMBLANCE_SYNC_H

#include <stdint.h>
#include <sched.h>

/// Takes the lock at `word` (0 = free, 1 = held), spinning, then yielding the CPU.
static inline void sk_spin_lock(uint32_t *word) {
    unsigned spins = 0;
    while (__atomic_exchange_n(word, 1u, __ATOMIC_ACQUIRE) != 0u) {
        while (__atomic_load_n(word, __ATOMIC_RELAXED) != 0u) {
            if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();
            }
        }
    }
}

/// Releases the lock at `word`.
static inline void sk_spin_unlock(uint32_t *word) {
    __atomic_store_n(word, 0u, __ATOMIC_RELEASE);
}

/// Atomically adds `value` to `*counter` and returns the previous value.
static inline uint64_t sk_fetch_add(uint64_t *counter, uint64_t value) {
    return __atomic_fetch_add(counter, value, __ATOMIC_RELAXED);
}

#endif
