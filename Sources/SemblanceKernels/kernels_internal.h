// Per-variant kernel entry points, shared by the variant files and dispatch.c.
// Not part of the public interface: callers go through `sk_kernels` (SemblanceKernels.h).
#ifndef SEMBLANCE_KERNELS_INTERNAL_H
#define SEMBLANCE_KERNELS_INTERNAL_H

#include "SemblanceKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define SK_HAVE_X86 1
#else
#define SK_HAVE_X86 0
#endif

#define SK_HIDDEN __attribute__((visibility("hidden")))

/// The final step of every cosine variant, in double so neither the product of the squared
/// norms nor the division loses precision (or overflows): 1 - dot / sqrt(na * nb), and 1 when
/// either squared norm is 0.
SK_HIDDEN float sk_cosine_finish(float dot, float na, float nb);

SK_HIDDEN float sk_l2sq_scalar(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_scalar(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_scalar(const float *a, const float *b, size_t n);

// The encodings' scalar definitions, shared by every variant (inline, so loops over them vectorise).

/// bfloat16 → float32: the code becomes the top 16 bits.
static inline float sk_bf16_decode(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

/// float32 → bfloat16, round to nearest even; a NaN becomes quiet (it could otherwise round
/// to inf, or lose a payload that lives only in the low 16 bits).
static inline uint16_t sk_bf16_encode(float f) {
    uint32_t bits;
    __builtin_memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return (uint16_t)((bits >> 16) | 0x0040u);
    }
    // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry into the exponent
    // is the correct rounding up (to the next binade, or to inf above the largest finite).
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

/// float16 → float32, exactly: normals rebias the exponent (127 − 15); subnormals (and zero)
/// m · 2^−24 are computed as (2^−14 + m · 2^−24) − 2^−14, both operands normal floats and the
/// difference exact, so no float32 subnormal is involved and denormals-are-zero cannot change
/// it; exponent 31 is rebiased to 255, and a NaN is quieted with its payload (as vcvtph2ps
/// does). Written as selects, without branches, so loops over it vectorise.
static inline float sk_f16_decode(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t shifted = (uint32_t)(h & 0x7fffu) << 13;
    uint32_t exponent = shifted & 0x0f800000u;
    uint32_t bits = shifted + ((uint32_t)(127 - 15) << 23);
    uint32_t special = (bits + ((uint32_t)(128 - 16) << 23)) | (shifted > 0x0f800000u ? 0x00400000u : 0u);
    uint32_t renormal = bits + (1u << 23);
    float r;
    __builtin_memcpy(&r, &renormal, sizeof r);
    r -= 0x1p-14f;
    uint32_t small;
    __builtin_memcpy(&small, &r, sizeof small);
    bits = exponent == 0 ? small : exponent == 0x0f800000u ? special : bits;
    bits |= sign;
    float f;
    __builtin_memcpy(&f, &bits, sizeof f);
    return f;
}

/// float32 → float16, round to nearest even (also into the subnormal range); |x| ≥ 65520
/// becomes inf; a NaN becomes quiet, keeping the top 9 bits of its payload.
static inline uint16_t sk_f16_encode(float f) {
    uint32_t bits;
    __builtin_memcpy(&bits, &f, sizeof bits);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    uint32_t x = bits & 0x7fffffffu;
    if (x > 0x7f800000u) {  // NaN
        return (uint16_t)(sign | 0x7e00u | ((x >> 13) & 0x3ffu));
    }
    if (x >= 0x477ff000u) {  // ≥ 65520 (the midpoint between 65504 and 2^16, a tie to even: up), and inf
        return (uint16_t)(sign | 0x7c00u);
    }
    if (x >= 0x38800000u) {  // ≥ 2^−14: a normal half; the carry of rounding may reach the next binade
        x += ((uint32_t)(15 - 127) << 23) + 0xfffu + ((x >> 13) & 1u);
        return (uint16_t)(sign | (x >> 13));
    }
    uint32_t exponent = x >> 23;
    if (exponent < 102) {  // < 2^−25, below half the smallest subnormal (2^−24): ±0
        return sign;
    }
    // A subnormal half: the value is m · 2^(exponent − 150) with the implicit bit in m, and
    // the half's unit is 2^−24, so the code is m >> (126 − exponent), rounded to nearest even.
    // Rounding up from 0x3ff gives 0x400, the smallest normal, which is right.
    uint32_t m = (x & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - exponent;  // 14...24
    uint32_t code = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (code & 1u))) {
        code += 1;
    }
    return (uint16_t)(sign | code);
}

SK_HIDDEN float sk_l2sq_bf16_scalar(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_bf16_scalar(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_l2sq_f16_scalar(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_f16_scalar(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN uint32_t sk_l2sq_i8_scalar(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN int32_t sk_dot_i8_scalar(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN void sk_f32_to_bf16_scalar(const float *src, uint16_t *dst, size_t n);
SK_HIDDEN void sk_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);
SK_HIDDEN void sk_f32_to_f16_scalar(const float *src, uint16_t *dst, size_t n);
SK_HIDDEN void sk_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);

SK_HIDDEN float sk_l2sq_portable(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_portable(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_portable(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_l2sq_bf16_portable(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_bf16_portable(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_l2sq_f16_portable(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_f16_portable(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN uint32_t sk_l2sq_i8_portable(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN int32_t sk_dot_i8_portable(const int8_t *a, const int8_t *b, size_t n);

#if SK_HAVE_X86
SK_HIDDEN float sk_l2sq_avx2(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_avx2(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_avx2(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_l2sq_bf16_avx2(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_bf16_avx2(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN uint32_t sk_l2sq_i8_avx2(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN int32_t sk_dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n);
// These need F16C besides AVX2 + FMA (SK_FEATURE_F16C).
SK_HIDDEN float sk_l2sq_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN void sk_f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n);
SK_HIDDEN void sk_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);

SK_HIDDEN float sk_l2sq_avx512(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_avx512(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_avx512(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_l2sq_bf16_avx512(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_bf16_avx512(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_l2sq_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN float sk_dot_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n);
SK_HIDDEN uint32_t sk_l2sq_i8_avx512(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN int32_t sk_dot_i8_avx512(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN void sk_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n);
SK_HIDDEN void sk_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
// These need AVX512_BF16 (SK_FEATURE_AVX512_BF16).
SK_HIDDEN float sk_dot_bf16_avx512bf16(const uint16_t *a, const uint16_t *b, size_t n);
// These need AVX512_VNNI (SK_FEATURE_AVX512_VNNI).
SK_HIDDEN uint32_t sk_l2sq_i8_avx512vnni(const int8_t *a, const int8_t *b, size_t n);
SK_HIDDEN int32_t sk_dot_i8_avx512vnni(const int8_t *a, const int8_t *b, size_t n);
#endif

#endif
