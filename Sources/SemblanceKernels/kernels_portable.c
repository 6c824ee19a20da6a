// The portable variant: plain C that the compiler vectorises for the baseline target of
// whatever CPU builds it (SSE2 on x86-64, NEON on arm64). SK_LANES independent accumulators
// per sum, and reassociation allowed in this file only, let the vectoriser keep several
// vector registers of partial sums without needing any compiler flag.
#include "kernels_internal.h"

#pragma clang fp reassociate(on)

#define SK_LANES 16

// Pairwise (tree) sum of the SK_LANES partial sums.
static inline __attribute__((always_inline)) float sk_tree_sum(float acc[SK_LANES]) {
    for (size_t width = SK_LANES / 2; width > 0; width /= 2) {
        for (size_t j = 0; j < width; j++) {
            acc[j] += acc[j + width];
        }
    }
    return acc[0];
}

float sk_l2sq_portable(const float *a, const float *b, size_t n) {
    float acc[SK_LANES] = {0};
    size_t i = 0;
    for (; i + SK_LANES <= n; i += SK_LANES) {
        for (size_t j = 0; j < SK_LANES; j++) {
            float d = a[i + j] - b[i + j];
            acc[j] += d * d;
        }
    }
    for (size_t j = 0; i < n; i++, j++) {
        float d = a[i] - b[i];
        acc[j] += d * d;
    }
    return sk_tree_sum(acc);
}

float sk_dot_portable(const float *a, const float *b, size_t n) {
    float acc[SK_LANES] = {0};
    size_t i = 0;
    for (; i + SK_LANES <= n; i += SK_LANES) {
        for (size_t j = 0; j < SK_LANES; j++) {
            acc[j] += a[i + j] * b[i + j];
        }
    }
    for (size_t j = 0; i < n; i++, j++) {
        acc[j] += a[i] * b[i];
    }
    return sk_tree_sum(acc);
}

float sk_cosine_portable(const float *a, const float *b, size_t n) {
    float dot[SK_LANES] = {0}, na[SK_LANES] = {0}, nb[SK_LANES] = {0};
    size_t i = 0;
    for (; i + SK_LANES <= n; i += SK_LANES) {
        for (size_t j = 0; j < SK_LANES; j++) {
            float x = a[i + j], y = b[i + j];
            dot[j] += x * y;
            na[j] += x * x;
            nb[j] += y * y;
        }
    }
    for (size_t j = 0; i < n; i++, j++) {
        float x = a[i], y = b[i];
        dot[j] += x * y;
        na[j] += x * x;
        nb[j] += y * y;
    }
    return sk_cosine_finish(sk_tree_sum(dot), sk_tree_sum(na), sk_tree_sum(nb));
}

// The encoded kernels: the same SK_LANES-accumulator loops over codes decoded in-register
// (a shift for bfloat16, the branch-free-able bit manipulation of sk_f16_decode for float16).
// The decoders live in kernels_internal.h, before the reassociation pragma above applies, and
// are exact anyway, so only the order of the additions differs from the scalar reference.

#define SK_ENCODED_L2SQ(NAME, TYPE, DECODE)                          \
    float NAME(const TYPE *a, const TYPE *b, size_t n) {             \
        float acc[SK_LANES] = {0};                                   \
        size_t i = 0;                                                \
        for (; i + SK_LANES <= n; i += SK_LANES) {                   \
            for (size_t j = 0; j < SK_LANES; j++) {                  \
                float d = DECODE(a[i + j]) - DECODE(b[i + j]);       \
                acc[j] += d * d;                                     \
            }                                                        \
        }                                                            \
        for (size_t j = 0; i < n; i++, j++) {                        \
            float d = DECODE(a[i]) - DECODE(b[i]);                   \
            acc[j] += d * d;                                         \
        }                                                            \
        return sk_tree_sum(acc);                                     \
    }

#define SK_ENCODED_DOT(NAME, TYPE, DECODE)                           \
    float NAME(const TYPE *a, const TYPE *b, size_t n) {             \
        float acc[SK_LANES] = {0};                                   \
        size_t i = 0;                                                \
        for (; i + SK_LANES <= n; i += SK_LANES) {                   \
            for (size_t j = 0; j < SK_LANES; j++) {                  \
                acc[j] += DECODE(a[i + j]) * DECODE(b[i + j]);       \
            }                                                        \
        }                                                            \
        for (size_t j = 0; i < n; i++, j++) {                        \
            acc[j] += DECODE(a[i]) * DECODE(b[i]);                   \
        }                                                            \
        return sk_tree_sum(acc);                                     \
    }

SK_ENCODED_L2SQ(sk_l2sq_bf16_portable, uint16_t, sk_bf16_decode)
SK_ENCODED_DOT(sk_dot_bf16_portable, uint16_t, sk_bf16_decode)
SK_ENCODED_L2SQ(sk_l2sq_f16_portable, uint16_t, sk_f16_decode)
SK_ENCODED_DOT(sk_dot_f16_portable, uint16_t, sk_f16_decode)

// Integer sums reassociate freely, so one accumulator vectorises; uint32 wraps (the sum
// modulo 2^32, as documented) where int32 overflow would be undefined.

uint32_t sk_l2sq_i8_portable(const int8_t *a, const int8_t *b, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t d = (int32_t)a[i] - (int32_t)b[i];
        sum += (uint32_t)(d * d);
    }
    return sum;
}

int32_t sk_dot_i8_portable(const int8_t *a, const int8_t *b, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    }
    return (int32_t)sum;
}
