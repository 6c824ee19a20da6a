// The AVX2 + FMA variant (x86-64 only). Per-function target attributes, so the file builds
// without -mavx2 and its code only runs after dispatch.c has checked the CPU.
// Four independent __m256 accumulators (32 floats per iteration) hide the FMA latency;
// the last 1...7 floats are read with a masked load, which never touches memory past `n`.
// The encoded kernels (after the float32 ones) decode codes into __m256 (bfloat16: a shift and
// a mask; float16: vcvtph2ps, F16C) and then run the same FMA loops; the int8 dot multiplies
// with vpsignb + vpmaddubsw and adds pairs with vpmaddwd, l2sq widens |a − b| to 16 bits for
// vpmaddwd. AVX2 has no 8- or 16-bit masked load, so their last partial vector is copied
// into a zeroed local buffer first.
#include "kernels_internal.h"

#if SK_HAVE_X86

#include <immintrin.h>

#define SK_AVX2 __attribute__((target("avx2,fma")))
#define SK_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

// 8 all-ones lanes followed by 8 zero lanes: loading 8 lanes at (8 - r) gives a mask of r lanes.
static const int32_t sk_avx2_tail_mask[16] = {
    -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0,
};

SK_AVX2_INLINE __m256i sk_avx2_mask(size_t r) {
    return _mm256_loadu_si256((const __m256i_u *)(sk_avx2_tail_mask + 8 - r));
}

// Tree reduction: 8 -> 4 -> 2 -> 1 lanes.
SK_AVX2_INLINE float sk_avx2_hsum(__m256 v) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
    return _mm_cvtss_f32(s1);
}

SK_AVX2_INLINE float sk_avx2_sum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    return sk_avx2_hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

SK_AVX2 float sk_l2sq_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        acc2 = _mm256_fmadd_ps(d2, d2, acc2);
        acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    if (i < n) {
        __m256i m = sk_avx2_mask(n - i);
        __m256 d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
        acc1 = _mm256_fmadd_ps(d, d, acc1);
    }
    return sk_avx2_sum4(acc0, acc1, acc2, acc3);
}

SK_AVX2 float sk_dot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    }
    if (i < n) {
        __m256i m = sk_avx2_mask(n - i);
        acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc1);
    }
    return sk_avx2_sum4(acc0, acc1, acc2, acc3);
}

// Twelve accumulators (dot, |a|^2, |b|^2 times four) plus the loads fit the 16 ymm registers.
SK_AVX2 float sk_cosine_avx2(const float *a, const float *b, size_t n) {
    __m256 dot0 = _mm256_setzero_ps(), dot1 = _mm256_setzero_ps();
    __m256 dot2 = _mm256_setzero_ps(), dot3 = _mm256_setzero_ps();
    __m256 na0 = _mm256_setzero_ps(), na1 = _mm256_setzero_ps();
    __m256 na2 = _mm256_setzero_ps(), na3 = _mm256_setzero_ps();
    __m256 nb0 = _mm256_setzero_ps(), nb1 = _mm256_setzero_ps();
    __m256 nb2 = _mm256_setzero_ps(), nb3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 x0 = _mm256_loadu_ps(a + i), y0 = _mm256_loadu_ps(b + i);
        __m256 x1 = _mm256_loadu_ps(a + i + 8), y1 = _mm256_loadu_ps(b + i + 8);
        dot0 = _mm256_fmadd_ps(x0, y0, dot0);
        na0 = _mm256_fmadd_ps(x0, x0, na0);
        nb0 = _mm256_fmadd_ps(y0, y0, nb0);
        dot1 = _mm256_fmadd_ps(x1, y1, dot1);
        na1 = _mm256_fmadd_ps(x1, x1, na1);
        nb1 = _mm256_fmadd_ps(y1, y1, nb1);
        __m256 x2 = _mm256_loadu_ps(a + i + 16), y2 = _mm256_loadu_ps(b + i + 16);
        __m256 x3 = _mm256_loadu_ps(a + i + 24), y3 = _mm256_loadu_ps(b + i + 24);
        dot2 = _mm256_fmadd_ps(x2, y2, dot2);
        na2 = _mm256_fmadd_ps(x2, x2, na2);
        nb2 = _mm256_fmadd_ps(y2, y2, nb2);
        dot3 = _mm256_fmadd_ps(x3, y3, dot3);
        na3 = _mm256_fmadd_ps(x3, x3, na3);
        nb3 = _mm256_fmadd_ps(y3, y3, nb3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(a + i), y = _mm256_loadu_ps(b + i);
        dot0 = _mm256_fmadd_ps(x, y, dot0);
        na0 = _mm256_fmadd_ps(x, x, na0);
        nb0 = _mm256_fmadd_ps(y, y, nb0);
    }
    if (i < n) {
        __m256i m = sk_avx2_mask(n - i);
        __m256 x = _mm256_maskload_ps(a + i, m), y = _mm256_maskload_ps(b + i, m);
        dot1 = _mm256_fmadd_ps(x, y, dot1);
        na1 = _mm256_fmadd_ps(x, x, na1);
        nb1 = _mm256_fmadd_ps(y, y, nb1);
    }
    return sk_cosine_finish(sk_avx2_sum4(dot0, dot1, dot2, dot3),
                            sk_avx2_sum4(na0, na1, na2, na3),
                            sk_avx2_sum4(nb0, nb1, nb2, nb3));
}

// MARK: - Encoded kernels

#define SK_AVX2_F16C __attribute__((target("avx2,fma,f16c")))
#define SK_AVX2_F16C_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

// The first `bytes` (< 32) bytes at p, zero-padded to 32: the masked load of 8- and 16-bit codes.
SK_AVX2_INLINE __m256i sk_avx2_load_partial(const void *p, size_t bytes) {
    uint8_t buffer[32] = {0};
    __builtin_memcpy(buffer, p, bytes);
    return _mm256_loadu_si256((const __m256i_u *)buffer);
}

// Tree reduction of 8 int32 lanes, wrapping (the sums are exact modulo 2^32).
SK_AVX2_INLINE uint32_t sk_avx2_hsum_epi32(__m256i v) {
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 1));
    return (uint32_t)_mm_cvtsi128_si32(s1);
}

// 16 bfloat16 codes as two float vectors without any shuffle: the even codes shifted into the
// top half of their 32-bit lane, and the odd ones already there, with the even ones masked
// off. Code i of a and code i of b land in the same lane, which is all a sum of products
// needs; only the order of the additions changes.
SK_AVX2_INLINE __m256 sk_avx2_bf16_even(__m256i codes) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(codes, 16));
}

SK_AVX2_INLINE __m256 sk_avx2_bf16_odd(__m256i codes) {
    return _mm256_castsi256_ps(_mm256_and_si256(codes, _mm256_set1_epi32((int)0xffff0000u)));
}

SK_AVX2_F16C_INLINE __m256 sk_avx2_f16x8_load(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i_u *)p));
}

SK_AVX2_F16C_INLINE __m256 sk_avx2_f16x8_partial(const uint16_t *p, size_t r) {
    return _mm256_cvtph_ps(_mm256_castsi256_si128(sk_avx2_load_partial(p, 2 * r)));
}

// The float32 l2sq and dot loops over float16 codes, 32 codes (four accumulators) per iteration.
#define SK_AVX2_ENCODED_L2SQ(NAME, ATTR, LOAD, PARTIAL)                                \
    ATTR float NAME(const uint16_t *a, const uint16_t *b, size_t n) {                  \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                 \
        __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();                 \
        size_t i = 0;                                                                  \
        for (; i + 32 <= n; i += 32) {                                                 \
            __m256 d0 = _mm256_sub_ps(LOAD(a + i), LOAD(b + i));                       \
            __m256 d1 = _mm256_sub_ps(LOAD(a + i + 8), LOAD(b + i + 8));               \
            __m256 d2 = _mm256_sub_ps(LOAD(a + i + 16), LOAD(b + i + 16));             \
            __m256 d3 = _mm256_sub_ps(LOAD(a + i + 24), LOAD(b + i + 24));             \
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);                                      \
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);                                      \
            acc2 = _mm256_fmadd_ps(d2, d2, acc2);                                      \
            acc3 = _mm256_fmadd_ps(d3, d3, acc3);                                      \
        }                                                                              \
        for (; i + 8 <= n; i += 8) {                                                   \
            __m256 d = _mm256_sub_ps(LOAD(a + i), LOAD(b + i));                        \
            acc0 = _mm256_fmadd_ps(d, d, acc0);                                        \
        }                                                                              \
        if (i < n) {                                                                   \
            __m256 d = _mm256_sub_ps(PARTIAL(a + i, n - i), PARTIAL(b + i, n - i));    \
            acc1 = _mm256_fmadd_ps(d, d, acc1);                                        \
        }                                                                              \
        return sk_avx2_sum4(acc0, acc1, acc2, acc3);                                   \
    }

#define SK_AVX2_ENCODED_DOT(NAME, ATTR, LOAD, PARTIAL)                                 \
    ATTR float NAME(const uint16_t *a, const uint16_t *b, size_t n) {                  \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                 \
        __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();                 \
        size_t i = 0;                                                                  \
        for (; i + 32 <= n; i += 32) {                                                 \
            acc0 = _mm256_fmadd_ps(LOAD(a + i), LOAD(b + i), acc0);                    \
            acc1 = _mm256_fmadd_ps(LOAD(a + i + 8), LOAD(b + i + 8), acc1);            \
            acc2 = _mm256_fmadd_ps(LOAD(a + i + 16), LOAD(b + i + 16), acc2);          \
            acc3 = _mm256_fmadd_ps(LOAD(a + i + 24), LOAD(b + i + 24), acc3);          \
        }                                                                              \
        for (; i + 8 <= n; i += 8) {                                                   \
            acc0 = _mm256_fmadd_ps(LOAD(a + i), LOAD(b + i), acc0);                    \
        }                                                                              \
        if (i < n) {                                                                   \
            acc1 = _mm256_fmadd_ps(PARTIAL(a + i, n - i), PARTIAL(b + i, n - i), acc1); \
        }                                                                              \
        return sk_avx2_sum4(acc0, acc1, acc2, acc3);                                   \
    }

SK_AVX2_ENCODED_L2SQ(sk_l2sq_f16_avx2, SK_AVX2_F16C, sk_avx2_f16x8_load, sk_avx2_f16x8_partial)
SK_AVX2_ENCODED_DOT(sk_dot_f16_avx2, SK_AVX2_F16C, sk_avx2_f16x8_load, sk_avx2_f16x8_partial)

// bfloat16: 32 codes (two vectors, each split into even and odd) per iteration, then 16 at a
// time, then the last 1...15 from a zero-padded copy.
SK_AVX2 float sk_l2sq_bf16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x0 = _mm256_loadu_si256((const __m256i_u *)(a + i));
        __m256i y0 = _mm256_loadu_si256((const __m256i_u *)(b + i));
        __m256i x1 = _mm256_loadu_si256((const __m256i_u *)(a + i + 16));
        __m256i y1 = _mm256_loadu_si256((const __m256i_u *)(b + i + 16));
        __m256 d0 = _mm256_sub_ps(sk_avx2_bf16_even(x0), sk_avx2_bf16_even(y0));
        __m256 d1 = _mm256_sub_ps(sk_avx2_bf16_odd(x0), sk_avx2_bf16_odd(y0));
        __m256 d2 = _mm256_sub_ps(sk_avx2_bf16_even(x1), sk_avx2_bf16_even(y1));
        __m256 d3 = _mm256_sub_ps(sk_avx2_bf16_odd(x1), sk_avx2_bf16_odd(y1));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        acc2 = _mm256_fmadd_ps(d2, d2, acc2);
        acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    }
    for (; i < n; i += 16) {  // at most two more: one whole vector, then a partial one
        size_t r = n - i;
        __m256i x = r >= 16 ? _mm256_loadu_si256((const __m256i_u *)(a + i)) : sk_avx2_load_partial(a + i, 2 * r);
        __m256i y = r >= 16 ? _mm256_loadu_si256((const __m256i_u *)(b + i)) : sk_avx2_load_partial(b + i, 2 * r);
        __m256 d0 = _mm256_sub_ps(sk_avx2_bf16_even(x), sk_avx2_bf16_even(y));
        __m256 d1 = _mm256_sub_ps(sk_avx2_bf16_odd(x), sk_avx2_bf16_odd(y));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    return sk_avx2_sum4(acc0, acc1, acc2, acc3);
}

SK_AVX2 float sk_dot_bf16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x0 = _mm256_loadu_si256((const __m256i_u *)(a + i));
        __m256i y0 = _mm256_loadu_si256((const __m256i_u *)(b + i));
        __m256i x1 = _mm256_loadu_si256((const __m256i_u *)(a + i + 16));
        __m256i y1 = _mm256_loadu_si256((const __m256i_u *)(b + i + 16));
        acc0 = _mm256_fmadd_ps(sk_avx2_bf16_even(x0), sk_avx2_bf16_even(y0), acc0);
        acc1 = _mm256_fmadd_ps(sk_avx2_bf16_odd(x0), sk_avx2_bf16_odd(y0), acc1);
        acc2 = _mm256_fmadd_ps(sk_avx2_bf16_even(x1), sk_avx2_bf16_even(y1), acc2);
        acc3 = _mm256_fmadd_ps(sk_avx2_bf16_odd(x1), sk_avx2_bf16_odd(y1), acc3);
    }
    for (; i < n; i += 16) {  // at most two more: one whole vector, then a partial one
        size_t r = n - i;
        __m256i x = r >= 16 ? _mm256_loadu_si256((const __m256i_u *)(a + i)) : sk_avx2_load_partial(a + i, 2 * r);
        __m256i y = r >= 16 ? _mm256_loadu_si256((const __m256i_u *)(b + i)) : sk_avx2_load_partial(b + i, 2 * r);
        acc0 = _mm256_fmadd_ps(sk_avx2_bf16_even(x), sk_avx2_bf16_even(y), acc0);
        acc1 = _mm256_fmadd_ps(sk_avx2_bf16_odd(x), sk_avx2_bf16_odd(y), acc1);
    }
    return sk_avx2_sum4(acc0, acc1, acc2, acc3);
}

// Σ a·b over 32 int8 codes in −127...127, into 8 int32 lanes: vpmaddubsw multiplies |x|
// (unsigned) by y with x's sign (vpsignb), adding pairs into int16 (at most 2 · 127² =
// 32,258, no saturation; a −128 would saturate), and vpmaddwd by ones adds pairs of those.
// Half the instructions of sign-extending both operands to 16 bits.
SK_AVX2_INLINE __m256i sk_avx2_i8_dot32(__m256i x, __m256i y) {
    __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

SK_AVX2_INLINE __m256i sk_avx2_i8_dot32_load(const int8_t *a, const int8_t *b) {
    return sk_avx2_i8_dot32(_mm256_loadu_si256((const __m256i_u *)a), _mm256_loadu_si256((const __m256i_u *)b));
}

SK_AVX2 int32_t sk_dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        acc0 = _mm256_add_epi32(acc0, sk_avx2_i8_dot32_load(a + i, b + i));
        acc1 = _mm256_add_epi32(acc1, sk_avx2_i8_dot32_load(a + i + 32, b + i + 32));
    }
    if (i + 32 <= n) {
        acc0 = _mm256_add_epi32(acc0, sk_avx2_i8_dot32_load(a + i, b + i));
        i += 32;
    }
    if (i < n) {
        acc1 = _mm256_add_epi32(acc1, sk_avx2_i8_dot32(sk_avx2_load_partial(a + i, n - i),
                                                       sk_avx2_load_partial(b + i, n - i)));
    }
    return (int32_t)sk_avx2_hsum_epi32(_mm256_add_epi32(acc0, acc1));
}

// Σ (a − b)² over 32 int8 codes: |a − b| = max − min fits an unsigned byte; zero-extended to
// 16 bits (unpack with zero: the lane order does not matter to a sum) and squared with
// vpmaddwd, at most 2 · 255² per int32 lane.
SK_AVX2_INLINE __m256i sk_avx2_i8_l2sq32(__m256i x, __m256i y, __m256i acc) {
    __m256i d = _mm256_sub_epi8(_mm256_max_epi8(x, y), _mm256_min_epi8(x, y));
    __m256i lo = _mm256_unpacklo_epi8(d, _mm256_setzero_si256());
    __m256i hi = _mm256_unpackhi_epi8(d, _mm256_setzero_si256());
    return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(lo, lo), _mm256_madd_epi16(hi, hi)));
}

SK_AVX2 uint32_t sk_l2sq_i8_avx2(const int8_t *a, const int8_t *b, size_t n) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        acc0 = sk_avx2_i8_l2sq32(_mm256_loadu_si256((const __m256i_u *)(a + i)),
                                 _mm256_loadu_si256((const __m256i_u *)(b + i)), acc0);
        acc1 = sk_avx2_i8_l2sq32(_mm256_loadu_si256((const __m256i_u *)(a + i + 32)),
                                 _mm256_loadu_si256((const __m256i_u *)(b + i + 32)), acc1);
    }
    if (i + 32 <= n) {
        acc0 = sk_avx2_i8_l2sq32(_mm256_loadu_si256((const __m256i_u *)(a + i)),
                                 _mm256_loadu_si256((const __m256i_u *)(b + i)), acc0);
        i += 32;
    }
    if (i < n) {
        acc1 = sk_avx2_i8_l2sq32(sk_avx2_load_partial(a + i, n - i), sk_avx2_load_partial(b + i, n - i), acc1);
    }
    return sk_avx2_hsum_epi32(_mm256_add_epi32(acc0, acc1));
}

// float16 conversions with F16C, 8 values per instruction; the last 1...7 go through the
// scalar functions, which give the same bits (tested).
SK_AVX2_F16C void sk_f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i codes = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i_u *)(dst + i), codes);
    }
    for (; i < n; i++) {
        dst[i] = sk_f16_encode(src[i]);
    }
}

SK_AVX2_F16C void sk_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, sk_avx2_f16x8_load(src + i));
    }
    for (; i < n; i++) {
        dst[i] = sk_f16_decode(src[i]);
    }
}

#endif
