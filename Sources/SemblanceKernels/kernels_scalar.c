// The scalar reference: one accumulator, strictly sequential, no reassociation and no
// fused multiply-add, so its result is the same on every target and optimisation level.
#include "kernels_internal.h"

#include <math.h>

#pragma clang fp reassociate(off)
#pragma clang fp contract(off)

float sk_cosine_finish(float dot, float na, float nb) {
    if (na == 0.0f || nb == 0.0f) {
        return 1.0f;
    }
    return (float)(1.0 - (double)dot / sqrt((double)na * (double)nb));
}

float sk_l2sq_scalar(const float *a, const float *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

float sk_dot_scalar(const float *a, const float *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        sum += a[i] * b[i];
    }
    return sum;
}

float sk_cosine_scalar(const float *a, const float *b, size_t n) {
    float dot = 0.0f, na = 0.0f, nb = 0.0f;
    for (size_t i = 0; i < n; i++) {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    return sk_cosine_finish(dot, na, nb);
}
