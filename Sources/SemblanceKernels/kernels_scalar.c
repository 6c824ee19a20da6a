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

// The encoded kernels' references: decode exactly (kernels_internal.h), then the same
// strictly sequential float32 loops as above. A product of two bfloat16 or two float16
// values is exact in float32 (8 × 8 and 11 × 11 significant bits), so each term is the
// exact one and only the additions (and the difference in l2sq) round.

float sk_l2sq_bf16_scalar(const uint16_t *a, const uint16_t *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = sk_bf16_decode(a[i]) - sk_bf16_decode(b[i]);
        sum += d * d;
    }
    return sum;
}

float sk_dot_bf16_scalar(const uint16_t *a, const uint16_t *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        sum += sk_bf16_decode(a[i]) * sk_bf16_decode(b[i]);
    }
    return sum;
}

float sk_l2sq_f16_scalar(const uint16_t *a, const uint16_t *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = sk_f16_decode(a[i]) - sk_f16_decode(b[i]);
        sum += d * d;
    }
    return sum;
}

float sk_dot_f16_scalar(const uint16_t *a, const uint16_t *b, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        sum += sk_f16_decode(a[i]) * sk_f16_decode(b[i]);
    }
    return sum;
}

// The int8 references sum exactly in 64 bits; the result is that sum modulo 2^32, which is
// what every variant's wrapping 32-bit lanes give too (and the exact sum within the limits
// in SemblanceKernels.h).

uint32_t sk_l2sq_i8_scalar(const int8_t *a, const int8_t *b, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t d = (int32_t)a[i] - (int32_t)b[i];
        sum += (uint64_t)(d * d);
    }
    return (uint32_t)sum;
}

int32_t sk_dot_i8_scalar(const int8_t *a, const int8_t *b, size_t n) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (int32_t)a[i] * (int32_t)b[i];
    }
    return (int32_t)(uint32_t)(uint64_t)sum;
}

void sk_f32_to_bf16_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = sk_bf16_encode(src[i]);
    }
}

void sk_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = sk_bf16_decode(src[i]);
    }
}

void sk_f32_to_f16_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = sk_f16_encode(src[i]);
    }
}

void sk_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i] = sk_f16_decode(src[i]);
    }
}
