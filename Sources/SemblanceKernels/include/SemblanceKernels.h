// Distance kernels for Semblance: float32 squared L2, inner product and cosine.
//
// Every kernel exists in several variants (scalar reference, portable, AVX2+FMA, AVX-512);
// the best one for the running CPU is chosen once, at run time, through `sk_kernels`.
// The ISA-specific variants use per-function `__attribute__((target(...)))`, so the
// package needs no compiler flags and stays usable as a dependency.
#ifndef SEMBLANCE_KERNELS_H
#define SEMBLANCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "SemblanceSync.h"

#ifdef __cplusplus
extern "C" {
#endif

/// A distance over two float32 vectors of `n` components. Pointers need no alignment.
typedef float (*sk_f32_fn)(const float *a, const float *b, size_t n);

/// Kernel variants, in increasing order of speed.
typedef enum {
    SK_LEVEL_SCALAR = 0,    ///< plain sequential loop: the reference every other variant is tested against
    SK_LEVEL_PORTABLE = 1,  ///< auto-vectorised for the baseline target of any CPU (SSE2, NEON)
    SK_LEVEL_AVX2 = 2,      ///< x86-64 AVX2 + FMA
    SK_LEVEL_AVX512 = 3,    ///< x86-64 AVX-512 F/BW/VL/DQ
} sk_level;

/// The kernels of one variant.
typedef struct {
    sk_f32_fn l2sq;    ///< sum of (a[i] - b[i])^2
    sk_f32_fn dot;     ///< sum of a[i] * b[i] (the raw inner product, not negated)
    sk_f32_fn cosine;  ///< 1 - dot / sqrt(|a|^2 |b|^2); 1 when either vector is zero
    int level;         ///< the sk_level of this table
    const char *name;  ///< "scalar", "portable", "avx2", "avx512"
} sk_kernel_table;

/// The fastest level the running CPU supports (detected once, cached).
int sk_best_level(void);

/// Whether the running CPU can run `level`.
int sk_level_supported(int level);

/// The kernels of `level`. A level the CPU does not support returns the best supported one
/// below it, never code that would fault.
sk_kernel_table sk_kernels(int level);

/// CRC-32C (Castagnoli) of `count` bytes, continuing from `crc` (0 to start): hardware
/// (SSE 4.2) where available, else a table-driven loop. crc32c("123456789") == 0xE3069283.
uint32_t sk_crc32c_update(uint32_t crc, const void *data, size_t count);

/// The table-driven CRC-32C, for testing the hardware path against.
uint32_t sk_crc32c_software(uint32_t crc, const void *data, size_t count);

/// Hints the CPU to bring `bytes` starting at `p` into cache. Inlined into Swift callers.
static inline void sk_prefetch(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t off = 0; off < bytes; off += 64) {
        __builtin_prefetch(c + off, 0, 3);
    }
}

#ifdef __cplusplus
}
#endif

#endif
