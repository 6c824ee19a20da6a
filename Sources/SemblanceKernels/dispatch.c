// Run-time selection of the kernel variant. The CPU is probed once; the result is cached.
// On targets other than x86 only the scalar and portable variants exist.
#include "kernels_internal.h"

#include <stdatomic.h>

static const sk_kernel_table sk_tables[] = {
    {sk_l2sq_scalar, sk_dot_scalar, sk_cosine_scalar, SK_LEVEL_SCALAR, "scalar"},
    {sk_l2sq_portable, sk_dot_portable, sk_cosine_portable, SK_LEVEL_PORTABLE, "portable"},
#if SK_HAVE_X86
    {sk_l2sq_avx2, sk_dot_avx2, sk_cosine_avx2, SK_LEVEL_AVX2, "avx2"},
    {sk_l2sq_avx512, sk_dot_avx512, sk_cosine_avx512, SK_LEVEL_AVX512, "avx512"},
#endif
};

#define SK_TABLE_COUNT ((int)(sizeof(sk_tables) / sizeof(sk_tables[0])))

static int sk_detect_level(void) {
#if SK_HAVE_X86
    // __builtin_cpu_supports reports AVX/AVX-512 only where the OS also saves the
    // ymm/zmm state (XGETBV), so a supported level is one that can really run.
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (avx512) {
        return SK_LEVEL_AVX512;
    }
    if (avx2) {
        return SK_LEVEL_AVX2;
    }
#endif
    return SK_LEVEL_PORTABLE;
}

// -1 until the first call; the probe is idempotent, so racing first calls are harmless.
static _Atomic int sk_cached_level = -1;

int sk_best_level(void) {
    int level = atomic_load_explicit(&sk_cached_level, memory_order_relaxed);
    if (level < 0) {
        level = sk_detect_level();
        atomic_store_explicit(&sk_cached_level, level, memory_order_relaxed);
    }
    return level;
}

int sk_level_supported(int level) {
    return level >= SK_LEVEL_SCALAR && level <= sk_best_level();
}

sk_kernel_table sk_kernels(int level) {
    int best = sk_best_level();
    if (level > best) {
        level = best;
    }
    if (level < SK_LEVEL_SCALAR) {
        level = SK_LEVEL_SCALAR;
    }
    if (level >= SK_TABLE_COUNT) {  // cannot happen: best is always a level with a table
        level = SK_TABLE_COUNT - 1;
    }
    return sk_tables[level];
}
