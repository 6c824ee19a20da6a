// Run-time selection of the kernel variant. The CPU is probed once; the result is cached.
// On targets other than x86 only the scalar and portable variants exist.
#include "kernels_internal.h"

#include <stdatomic.h>

// The float32 kernels and the level's name.
#define SK_F32_KERNELS(suffix, level_, name_) \
    .l2sq = sk_l2sq_##suffix, .dot = sk_dot_##suffix, .cosine = sk_cosine_##suffix, .level = level_, .name = name_

// One table per level, and at the x86 levels one per combination of the optional features the
// level can use (sk_feature): a table only ever holds functions whose target attributes the
// check in sk_detect covers.
static const sk_kernel_table sk_table_scalar = {
    SK_F32_KERNELS(scalar, SK_LEVEL_SCALAR, "scalar"),
    .l2sq_bf16 = sk_l2sq_bf16_scalar, .dot_bf16 = sk_dot_bf16_scalar,
    .l2sq_f16 = sk_l2sq_f16_scalar, .dot_f16 = sk_dot_f16_scalar,
    .l2sq_i8 = sk_l2sq_i8_scalar, .dot_i8 = sk_dot_i8_scalar,
    .f32_to_bf16 = sk_f32_to_bf16_scalar, .bf16_to_f32 = sk_bf16_to_f32_scalar,
    .f32_to_f16 = sk_f32_to_f16_scalar, .f16_to_f32 = sk_f16_to_f32_scalar,
    .features = 0, .variant = "scalar",
};

// The conversions are integer code the compiler vectorises in the scalar file already.
static const sk_kernel_table sk_table_portable = {
    SK_F32_KERNELS(portable, SK_LEVEL_PORTABLE, "portable"),
    .l2sq_bf16 = sk_l2sq_bf16_portable, .dot_bf16 = sk_dot_bf16_portable,
    .l2sq_f16 = sk_l2sq_f16_portable, .dot_f16 = sk_dot_f16_portable,
    .l2sq_i8 = sk_l2sq_i8_portable, .dot_i8 = sk_dot_i8_portable,
    .f32_to_bf16 = sk_f32_to_bf16_scalar, .bf16_to_f32 = sk_bf16_to_f32_scalar,
    .f32_to_f16 = sk_f32_to_f16_scalar, .f16_to_f32 = sk_f16_to_f32_scalar,
    .features = 0, .variant = "portable",
};

#if SK_HAVE_X86
// Indexed by whether F16C is used; without it, the float16 kernels are the portable ones.
static const sk_kernel_table sk_tables_avx2[2] = {
    {
        SK_F32_KERNELS(avx2, SK_LEVEL_AVX2, "avx2"),
        .l2sq_bf16 = sk_l2sq_bf16_avx2, .dot_bf16 = sk_dot_bf16_avx2,
        .l2sq_f16 = sk_l2sq_f16_portable, .dot_f16 = sk_dot_f16_portable,
        .l2sq_i8 = sk_l2sq_i8_avx2, .dot_i8 = sk_dot_i8_avx2,
        .f32_to_bf16 = sk_f32_to_bf16_scalar, .bf16_to_f32 = sk_bf16_to_f32_scalar,
        .f32_to_f16 = sk_f32_to_f16_scalar, .f16_to_f32 = sk_f16_to_f32_scalar,
        .features = 0, .variant = "avx2",
    },
    {
        SK_F32_KERNELS(avx2, SK_LEVEL_AVX2, "avx2"),
        .l2sq_bf16 = sk_l2sq_bf16_avx2, .dot_bf16 = sk_dot_bf16_avx2,
        .l2sq_f16 = sk_l2sq_f16_avx2, .dot_f16 = sk_dot_f16_avx2,
        .l2sq_i8 = sk_l2sq_i8_avx2, .dot_i8 = sk_dot_i8_avx2,
        .f32_to_bf16 = sk_f32_to_bf16_scalar, .bf16_to_f32 = sk_bf16_to_f32_scalar,
        .f32_to_f16 = sk_f32_to_f16_avx2, .f16_to_f32 = sk_f16_to_f32_avx2,
        .features = SK_FEATURE_F16C, .variant = "avx2+f16c",
    },
};

// Indexed by the AVX512_BF16 (bit 0) and AVX512_VNNI (bit 1) features used.
#define SK_AVX512_COMMON                                                              \
    SK_F32_KERNELS(avx512, SK_LEVEL_AVX512, "avx512"),                                \
    .l2sq_bf16 = sk_l2sq_bf16_avx512, .l2sq_f16 = sk_l2sq_f16_avx512,                 \
    .dot_f16 = sk_dot_f16_avx512, .f32_to_bf16 = sk_f32_to_bf16_scalar,               \
    .bf16_to_f32 = sk_bf16_to_f32_scalar, .f32_to_f16 = sk_f32_to_f16_avx512,         \
    .f16_to_f32 = sk_f16_to_f32_avx512

static const sk_kernel_table sk_tables_avx512[4] = {
    {
        SK_AVX512_COMMON,
        .dot_bf16 = sk_dot_bf16_avx512, .l2sq_i8 = sk_l2sq_i8_avx512, .dot_i8 = sk_dot_i8_avx512,
        .features = 0, .variant = "avx512",
    },
    {
        SK_AVX512_COMMON,
        .dot_bf16 = sk_dot_bf16_avx512bf16, .l2sq_i8 = sk_l2sq_i8_avx512, .dot_i8 = sk_dot_i8_avx512,
        .features = SK_FEATURE_AVX512_BF16, .variant = "avx512+bf16",
    },
    {
        SK_AVX512_COMMON,
        .dot_bf16 = sk_dot_bf16_avx512, .l2sq_i8 = sk_l2sq_i8_avx512vnni, .dot_i8 = sk_dot_i8_avx512vnni,
        .features = SK_FEATURE_AVX512_VNNI, .variant = "avx512+vnni",
    },
    {
        SK_AVX512_COMMON,
        .dot_bf16 = sk_dot_bf16_avx512bf16, .l2sq_i8 = sk_l2sq_i8_avx512vnni, .dot_i8 = sk_dot_i8_avx512vnni,
        .features = SK_FEATURE_AVX512_BF16 | SK_FEATURE_AVX512_VNNI, .variant = "avx512+bf16+vnni",
    },
};
#endif

// The probe's result: the best level in the low byte, the sk_feature bits above it.
static int sk_detect(void) {
#if SK_HAVE_X86
    // __builtin_cpu_supports reports AVX/AVX-512 only where the OS also saves the
    // ymm/zmm state (XGETBV), so a supported level is one that can really run.
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    unsigned features = 0;
    if (__builtin_cpu_supports("f16c")) {
        features |= SK_FEATURE_F16C;
    }
    if (__builtin_cpu_supports("avx512bf16")) {
        features |= SK_FEATURE_AVX512_BF16;
    }
    if (__builtin_cpu_supports("avx512vnni")) {
        features |= SK_FEATURE_AVX512_VNNI;
    }
    int level = avx512 ? SK_LEVEL_AVX512 : avx2 ? SK_LEVEL_AVX2 : SK_LEVEL_PORTABLE;
    return level | (int)(features << 8);
#else
    return SK_LEVEL_PORTABLE;
#endif
}

// -1 until the first call; the probe is idempotent, so racing first calls are harmless.
static _Atomic int sk_cached_cpu = -1;

static int sk_cpu(void) {
    int cpu = atomic_load_explicit(&sk_cached_cpu, memory_order_relaxed);
    if (cpu < 0) {
        cpu = sk_detect();
        atomic_store_explicit(&sk_cached_cpu, cpu, memory_order_relaxed);
    }
    return cpu;
}

int sk_best_level(void) {
    return sk_cpu() & 0xff;
}

unsigned sk_cpu_features(void) {
    return (unsigned)sk_cpu() >> 8;
}

int sk_level_supported(int level) {
    return level >= SK_LEVEL_SCALAR && level <= sk_best_level();
}

static const sk_kernel_table *sk_table(int level, unsigned features) {
    int best = sk_best_level();
    if (level > best) {
        level = best;
    }
    features &= sk_cpu_features();
#if !SK_HAVE_X86
    (void)features;  // no level here has optional features
#endif
    switch (level) {
#if SK_HAVE_X86
    case SK_LEVEL_AVX512:
        return &sk_tables_avx512[((features & SK_FEATURE_AVX512_BF16) ? 1 : 0) |
                                 ((features & SK_FEATURE_AVX512_VNNI) ? 2 : 0)];
    case SK_LEVEL_AVX2:
        return &sk_tables_avx2[(features & SK_FEATURE_F16C) ? 1 : 0];
#endif
    case SK_LEVEL_PORTABLE:
        return &sk_table_portable;
    default:  // below scalar (above the best cannot happen: it was clamped)
        return &sk_table_scalar;
    }
}

sk_kernel_table sk_kernels(int level) {
    return *sk_table(level, ~0u);
}

sk_kernel_table sk_kernels_using(int level, unsigned features) {
    return *sk_table(level, features);
}

void sk_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    sk_table(SK_LEVEL_AVX512, ~0u)->f32_to_bf16(src, dst, n);
}

void sk_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    sk_table(SK_LEVEL_AVX512, ~0u)->bf16_to_f32(src, dst, n);
}

void sk_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    sk_table(SK_LEVEL_AVX512, ~0u)->f32_to_f16(src, dst, n);
}

void sk_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
    sk_table(SK_LEVEL_AVX512, ~0u)->f16_to_f32(src, dst, n);
}
