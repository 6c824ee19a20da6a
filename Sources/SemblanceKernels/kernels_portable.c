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
