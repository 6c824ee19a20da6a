// The AVX-512 variant (x86-64 only). Per-function target attributes, so the file builds
// without -mavx512f and its code only runs after dispatch.c has checked the CPU.
// Four independent __m512 accumulators (64 floats per iteration) hide the FMA latency;
// the last 1...15 floats are read with a zero-masked load, which never faults past `n`.
// The encoded kernels (after the float32 ones) decode codes into vectors of floats (bfloat16:
// a shift and a mask; float16: vcvtph2ps, part of AVX-512F/VL) and run the same FMA loops;
// the int8 kernels widen to 16 bits and use vpmaddwd. Where the CPU has them, AVX512_BF16
// (vdpbf16ps: 32 bfloat16 products per instruction) and AVX512_VNNI (vpdpbusd, vpdpwssd)
// variants replace the dot product of bfloat16 and both int8 kernels; dispatch.c picks them
// only after checking those features separately. Tails use zero-masked 8/16-bit loads (BW).
#include "kernels_internal.h"

#if SK_HAVE_X86

#include <immintrin.h>

#define SK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define SK_AVX512_INLINE \
    static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))

SK_AVX512_INLINE __mmask16 sk_avx512_mask(size_t r) {
    return (__mmask16)((1u << r) - 1u);
}

// Tree reduction: 16 -> 8 -> 4 -> 2 -> 1 lanes.
SK_AVX512_INLINE float sk_avx512_hsum(__m512 v) {
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
    return _mm_cvtss_f32(s1);
}

SK_AVX512_INLINE float sk_avx512_sum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
    return sk_avx512_hsum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

SK_AVX512 float sk_l2sq_avx512(const float *a, const float *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
        __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
        acc0 = _mm512_fmadd_ps(d0, d0, acc0);
        acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        acc2 = _mm512_fmadd_ps(d2, d2, acc2);
        acc3 = _mm512_fmadd_ps(d3, d3, acc3);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        acc0 = _mm512_fmadd_ps(d, d, acc0);
    }
    if (i < n) {
        __mmask16 m = sk_avx512_mask(n - i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        acc1 = _mm512_fmadd_ps(d, d, acc1);
    }
    return sk_avx512_sum4(acc0, acc1, acc2, acc3);
}

SK_AVX512 float sk_dot_avx512(const float *a, const float *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
        acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
        acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
    }
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    }
    if (i < n) {
        __mmask16 m = sk_avx512_mask(n - i);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
    }
    return sk_avx512_sum4(acc0, acc1, acc2, acc3);
}

// Twelve accumulators (dot, |a|^2, |b|^2 times four) out of the 32 zmm registers.
SK_AVX512 float sk_cosine_avx512(const float *a, const float *b, size_t n) {
    __m512 dot0 = _mm512_setzero_ps(), dot1 = _mm512_setzero_ps();
    __m512 dot2 = _mm512_setzero_ps(), dot3 = _mm512_setzero_ps();
    __m512 na0 = _mm512_setzero_ps(), na1 = _mm512_setzero_ps();
    __m512 na2 = _mm512_setzero_ps(), na3 = _mm512_setzero_ps();
    __m512 nb0 = _mm512_setzero_ps(), nb1 = _mm512_setzero_ps();
    __m512 nb2 = _mm512_setzero_ps(), nb3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 x0 = _mm512_loadu_ps(a + i), y0 = _mm512_loadu_ps(b + i);
        __m512 x1 = _mm512_loadu_ps(a + i + 16), y1 = _mm512_loadu_ps(b + i + 16);
        __m512 x2 = _mm512_loadu_ps(a + i + 32), y2 = _mm512_loadu_ps(b + i + 32);
        __m512 x3 = _mm512_loadu_ps(a + i + 48), y3 = _mm512_loadu_ps(b + i + 48);
        dot0 = _mm512_fmadd_ps(x0, y0, dot0);
        na0 = _mm512_fmadd_ps(x0, x0, na0);
        nb0 = _mm512_fmadd_ps(y0, y0, nb0);
        dot1 = _mm512_fmadd_ps(x1, y1, dot1);
        na1 = _mm512_fmadd_ps(x1, x1, na1);
        nb1 = _mm512_fmadd_ps(y1, y1, nb1);
        dot2 = _mm512_fmadd_ps(x2, y2, dot2);
        na2 = _mm512_fmadd_ps(x2, x2, na2);
        nb2 = _mm512_fmadd_ps(y2, y2, nb2);
        dot3 = _mm512_fmadd_ps(x3, y3, dot3);
        na3 = _mm512_fmadd_ps(x3, x3, na3);
        nb3 = _mm512_fmadd_ps(y3, y3, nb3);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(a + i), y = _mm512_loadu_ps(b + i);
        dot0 = _mm512_fmadd_ps(x, y, dot0);
        na0 = _mm512_fmadd_ps(x, x, na0);
        nb0 = _mm512_fmadd_ps(y, y, nb0);
    }
    if (i < n) {
        __mmask16 m = sk_avx512_mask(n - i);
        __m512 x = _mm512_maskz_loadu_ps(m, a + i), y = _mm512_maskz_loadu_ps(m, b + i);
        dot1 = _mm512_fmadd_ps(x, y, dot1);
        na1 = _mm512_fmadd_ps(x, x, na1);
        nb1 = _mm512_fmadd_ps(y, y, nb1);
    }
    return sk_cosine_finish(sk_avx512_sum4(dot0, dot1, dot2, dot3),
                            sk_avx512_sum4(na0, na1, na2, na3),
                            sk_avx512_sum4(nb0, nb1, nb2, nb3));
}

// MARK: - Encoded kernels

#define SK_AVX512_BF16 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,avx512bf16")))
#define SK_AVX512_VNNI \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,avx512vnni")))

// 32 bfloat16 codes as two float vectors without any shuffle: the even codes shifted into the
// top half of their 32-bit lane, and the odd ones already there, with the even ones masked
// off. Code i of a and code i of b land in the same lane, which is all a sum of products
// needs; only the order of the additions changes.
SK_AVX512_INLINE __m512 sk_avx512_bf16_even(__m512i codes) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(codes, 16));
}

SK_AVX512_INLINE __m512 sk_avx512_bf16_odd(__m512i codes) {
    return _mm512_castsi512_ps(_mm512_and_si512(codes, _mm512_set1_epi32((int)0xffff0000u)));
}

SK_AVX512_INLINE __m512 sk_avx512_f16x16_load(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i_u *)p));
}

SK_AVX512_INLINE __m512 sk_avx512_f16x16_partial(const uint16_t *p, size_t r) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(sk_avx512_mask(r), p));
}

// float16 kernels in 256-bit vectors: the EVEX vcvtph2ps ymm (AVX-512F + VL, no F16C needed)
// and ymm FMAs. Measured on an AMD EPYC (Zen 4), where 512-bit operations are split in two:
// the zmm form of this loop took 47 ns at d = 768 and this one 37 ns (as the AVX2 + F16C
// loop), against 37 ns for float32. 32 codes (four accumulators) per iteration, then 8 at a
// time, then the last 1...7 with a zero-masked load.
SK_AVX512_INLINE __m256 sk_avx512_f16x8_load(const uint16_t *p) {
    return _mm256_maskz_cvtph_ps((__mmask8)0xff, _mm_loadu_si128((const __m128i_u *)p));
}

SK_AVX512_INLINE __m256 sk_avx512_f16x8_partial(const uint16_t *p, size_t r) {
    __mmask8 m = (__mmask8)((1u << r) - 1u);
    return _mm256_maskz_cvtph_ps((__mmask8)0xff, _mm_maskz_loadu_epi16(m, p));
}

SK_AVX512_INLINE float sk_avx512_hsum256(__m256 v) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
    return _mm_cvtss_f32(s1);
}

SK_AVX512_INLINE float sk_avx512_sum4_256(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    return sk_avx512_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

SK_AVX512 float sk_l2sq_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(sk_avx512_f16x8_load(a + i), sk_avx512_f16x8_load(b + i));
        __m256 d1 = _mm256_sub_ps(sk_avx512_f16x8_load(a + i + 8), sk_avx512_f16x8_load(b + i + 8));
        __m256 d2 = _mm256_sub_ps(sk_avx512_f16x8_load(a + i + 16), sk_avx512_f16x8_load(b + i + 16));
        __m256 d3 = _mm256_sub_ps(sk_avx512_f16x8_load(a + i + 24), sk_avx512_f16x8_load(b + i + 24));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        acc2 = _mm256_fmadd_ps(d2, d2, acc2);
        acc3 = _mm256_fmadd_ps(d3, d3, acc3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(sk_avx512_f16x8_load(a + i), sk_avx512_f16x8_load(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    if (i < n) {
        __m256 d = _mm256_sub_ps(sk_avx512_f16x8_partial(a + i, n - i), sk_avx512_f16x8_partial(b + i, n - i));
        acc1 = _mm256_fmadd_ps(d, d, acc1);
    }
    return sk_avx512_sum4_256(acc0, acc1, acc2, acc3);
}

SK_AVX512 float sk_dot_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(sk_avx512_f16x8_load(a + i), sk_avx512_f16x8_load(b + i), acc0);
        acc1 = _mm256_fmadd_ps(sk_avx512_f16x8_load(a + i + 8), sk_avx512_f16x8_load(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(sk_avx512_f16x8_load(a + i + 16), sk_avx512_f16x8_load(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(sk_avx512_f16x8_load(a + i + 24), sk_avx512_f16x8_load(b + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(sk_avx512_f16x8_load(a + i), sk_avx512_f16x8_load(b + i), acc0);
    }
    if (i < n) {
        acc1 = _mm256_fmadd_ps(sk_avx512_f16x8_partial(a + i, n - i), sk_avx512_f16x8_partial(b + i, n - i), acc1);
    }
    return sk_avx512_sum4_256(acc0, acc1, acc2, acc3);
}

// bfloat16: 64 codes (two vectors, each split into even and odd) per iteration; the last
// 1...31 codes with a zero-masked load.
SK_AVX512 float sk_l2sq_bf16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i x0 = _mm512_loadu_si512(a + i), y0 = _mm512_loadu_si512(b + i);
        __m512i x1 = _mm512_loadu_si512(a + i + 32), y1 = _mm512_loadu_si512(b + i + 32);
        __m512 d0 = _mm512_sub_ps(sk_avx512_bf16_even(x0), sk_avx512_bf16_even(y0));
        __m512 d1 = _mm512_sub_ps(sk_avx512_bf16_odd(x0), sk_avx512_bf16_odd(y0));
        __m512 d2 = _mm512_sub_ps(sk_avx512_bf16_even(x1), sk_avx512_bf16_even(y1));
        __m512 d3 = _mm512_sub_ps(sk_avx512_bf16_odd(x1), sk_avx512_bf16_odd(y1));
        acc0 = _mm512_fmadd_ps(d0, d0, acc0);
        acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        acc2 = _mm512_fmadd_ps(d2, d2, acc2);
        acc3 = _mm512_fmadd_ps(d3, d3, acc3);
    }
    for (; i < n; i += 32) {  // at most two more: one whole vector, then a masked one
        size_t r = n - i;
        __mmask32 m = r >= 32 ? ~(__mmask32)0 : (__mmask32)((1u << r) - 1u);
        __m512i x = _mm512_maskz_loadu_epi16(m, a + i), y = _mm512_maskz_loadu_epi16(m, b + i);
        __m512 d0 = _mm512_sub_ps(sk_avx512_bf16_even(x), sk_avx512_bf16_even(y));
        __m512 d1 = _mm512_sub_ps(sk_avx512_bf16_odd(x), sk_avx512_bf16_odd(y));
        acc0 = _mm512_fmadd_ps(d0, d0, acc0);
        acc1 = _mm512_fmadd_ps(d1, d1, acc1);
    }
    return sk_avx512_sum4(acc0, acc1, acc2, acc3);
}

SK_AVX512 float sk_dot_bf16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i x0 = _mm512_loadu_si512(a + i), y0 = _mm512_loadu_si512(b + i);
        __m512i x1 = _mm512_loadu_si512(a + i + 32), y1 = _mm512_loadu_si512(b + i + 32);
        acc0 = _mm512_fmadd_ps(sk_avx512_bf16_even(x0), sk_avx512_bf16_even(y0), acc0);
        acc1 = _mm512_fmadd_ps(sk_avx512_bf16_odd(x0), sk_avx512_bf16_odd(y0), acc1);
        acc2 = _mm512_fmadd_ps(sk_avx512_bf16_even(x1), sk_avx512_bf16_even(y1), acc2);
        acc3 = _mm512_fmadd_ps(sk_avx512_bf16_odd(x1), sk_avx512_bf16_odd(y1), acc3);
    }
    for (; i < n; i += 32) {  // at most two more: one whole vector, then a masked one
        size_t r = n - i;
        __mmask32 m = r >= 32 ? ~(__mmask32)0 : (__mmask32)((1u << r) - 1u);
        __m512i x = _mm512_maskz_loadu_epi16(m, a + i), y = _mm512_maskz_loadu_epi16(m, b + i);
        acc0 = _mm512_fmadd_ps(sk_avx512_bf16_even(x), sk_avx512_bf16_even(y), acc0);
        acc1 = _mm512_fmadd_ps(sk_avx512_bf16_odd(x), sk_avx512_bf16_odd(y), acc1);
    }
    return sk_avx512_sum4(acc0, acc1, acc2, acc3);
}

// vdpbf16ps: each float32 lane adds the two products of its pair of bfloat16 codes, so one
// instruction takes 32 codes of each vector and needs no conversion. It treats subnormal
// inputs as zero and flushes subnormal results (whatever MXCSR says); the header states it.
// l2sq stays on the convert-and-FMA loop above: the difference form is more accurate than
// the expansion a·a + b·b − 2a·b that vdpbf16ps would need.
SK_AVX512_BF16 float sk_dot_bf16_avx512bf16(const uint16_t *a, const uint16_t *b, size_t n) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(a + i), (__m512bh)_mm512_loadu_si512(b + i));
        acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_loadu_si512(a + i + 32), (__m512bh)_mm512_loadu_si512(b + i + 32));
        acc2 = _mm512_dpbf16_ps(acc2, (__m512bh)_mm512_loadu_si512(a + i + 64), (__m512bh)_mm512_loadu_si512(b + i + 64));
        acc3 = _mm512_dpbf16_ps(acc3, (__m512bh)_mm512_loadu_si512(a + i + 96), (__m512bh)_mm512_loadu_si512(b + i + 96));
    }
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(a + i), (__m512bh)_mm512_loadu_si512(b + i));
    }
    if (i < n) {
        __mmask32 m = (__mmask32)((1u << (n - i)) - 1u);  // n - i < 32
        acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_maskz_loadu_epi16(m, a + i),
                                (__m512bh)_mm512_maskz_loadu_epi16(m, b + i));
    }
    return sk_avx512_sum4(acc0, acc1, acc2, acc3);
}

// MARK: int8

// Tree reduction of 16 int32 lanes, wrapping (the sums are exact modulo 2^32).
SK_AVX512_INLINE uint32_t sk_avx512_hsum_epi32(__m512i v) {
    __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
    __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    __m128i s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 1));
    return (uint32_t)_mm_cvtsi128_si32(s1);
}

// Σ a·b over 32 int8 codes: sign-extend to 16 bits, vpmaddwd into 16 int32 lanes.
SK_AVX512_INLINE __m512i sk_avx512_i8_dot32(__m256i x, __m256i y) {
    return _mm512_madd_epi16(_mm512_cvtepi8_epi16(x), _mm512_cvtepi8_epi16(y));
}

SK_AVX512_INLINE __m512i sk_avx512_i8_dot32_load(const int8_t *a, const int8_t *b) {
    return sk_avx512_i8_dot32(_mm256_loadu_si256((const __m256i_u *)a), _mm256_loadu_si256((const __m256i_u *)b));
}

SK_AVX512 int32_t sk_dot_i8_avx512(const int8_t *a, const int8_t *b, size_t n) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        acc0 = _mm512_add_epi32(acc0, sk_avx512_i8_dot32_load(a + i, b + i));
        acc1 = _mm512_add_epi32(acc1, sk_avx512_i8_dot32_load(a + i + 32, b + i + 32));
        acc2 = _mm512_add_epi32(acc2, sk_avx512_i8_dot32_load(a + i + 64, b + i + 64));
        acc3 = _mm512_add_epi32(acc3, sk_avx512_i8_dot32_load(a + i + 96, b + i + 96));
    }
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_add_epi32(acc0, sk_avx512_i8_dot32_load(a + i, b + i));
    }
    if (i < n) {
        __mmask32 m = (__mmask32)((1u << (n - i)) - 1u);  // n - i < 32
        acc1 = _mm512_add_epi32(acc1, sk_avx512_i8_dot32(_mm256_maskz_loadu_epi8(m, a + i),
                                                         _mm256_maskz_loadu_epi8(m, b + i)));
    }
    __m512i acc = _mm512_add_epi32(_mm512_add_epi32(acc0, acc1), _mm512_add_epi32(acc2, acc3));
    return (int32_t)sk_avx512_hsum_epi32(acc);
}

// |a − b| over 64 int8 codes as unsigned bytes (max − min), and its two halves zero-extended
// to 16 bits (unpack with zero: the lane order does not matter to a sum).
SK_AVX512_INLINE __m512i sk_avx512_i8_absdiff(__m512i x, __m512i y) {
    return _mm512_sub_epi8(_mm512_max_epi8(x, y), _mm512_min_epi8(x, y));
}

SK_AVX512_INLINE __m512i sk_avx512_i8_l2sq64(__m512i x, __m512i y, __m512i acc) {
    __m512i d = sk_avx512_i8_absdiff(x, y);
    __m512i lo = _mm512_unpacklo_epi8(d, _mm512_setzero_si512());
    __m512i hi = _mm512_unpackhi_epi8(d, _mm512_setzero_si512());
    return _mm512_add_epi32(acc, _mm512_add_epi32(_mm512_madd_epi16(lo, lo), _mm512_madd_epi16(hi, hi)));
}

SK_AVX512_INLINE __mmask64 sk_avx512_mask64(size_t r) {  // r < 64
    return (__mmask64)((1ull << r) - 1ull);
}

SK_AVX512 uint32_t sk_l2sq_i8_avx512(const int8_t *a, const int8_t *b, size_t n) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        acc0 = sk_avx512_i8_l2sq64(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i), acc0);
        acc1 = sk_avx512_i8_l2sq64(_mm512_loadu_si512(a + i + 64), _mm512_loadu_si512(b + i + 64), acc1);
    }
    if (i + 64 <= n) {
        acc0 = sk_avx512_i8_l2sq64(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i), acc0);
        i += 64;
    }
    if (i < n) {
        __mmask64 m = sk_avx512_mask64(n - i);
        acc1 = sk_avx512_i8_l2sq64(_mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i), acc1);
    }
    return sk_avx512_hsum_epi32(_mm512_add_epi32(acc0, acc1));
}

// vpdpbusd multiplies unsigned bytes by signed ones: with a + 128 (a XOR 0x80) as the unsigned
// operand it sums (a + 128)·b = a·b + 128·b, so Σ a·b = Σ (a + 128)·b − 128·Σ b, with Σ b from
// vpdpbusd against a vector of ones. Every step wraps modulo 2^32, so the result is exact
// wherever the true sum fits (the header's limit). Zero-masked tail bytes give (0 + 128)·0.
SK_AVX512_VNNI int32_t sk_dot_i8_avx512vnni(const int8_t *a, const int8_t *b, size_t n) {
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i sumb0 = _mm512_setzero_si512(), sumb1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512i y0 = _mm512_loadu_si512(b + i), y1 = _mm512_loadu_si512(b + i + 64);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(_mm512_loadu_si512(a + i), bias), y0);
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_xor_si512(_mm512_loadu_si512(a + i + 64), bias), y1);
        sumb0 = _mm512_dpbusd_epi32(sumb0, ones, y0);
        sumb1 = _mm512_dpbusd_epi32(sumb1, ones, y1);
    }
    if (i + 64 <= n) {
        __m512i y = _mm512_loadu_si512(b + i);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_xor_si512(_mm512_loadu_si512(a + i), bias), y);
        sumb0 = _mm512_dpbusd_epi32(sumb0, ones, y);
        i += 64;
    }
    if (i < n) {
        __mmask64 m = sk_avx512_mask64(n - i);
        __m512i y = _mm512_maskz_loadu_epi8(m, b + i);
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a + i), bias), y);
        sumb1 = _mm512_dpbusd_epi32(sumb1, ones, y);
    }
    uint32_t biased = sk_avx512_hsum_epi32(_mm512_add_epi32(acc0, acc1));
    uint32_t sumb = sk_avx512_hsum_epi32(_mm512_add_epi32(sumb0, sumb1));
    return (int32_t)(biased - 128u * sumb);
}

// The BW loop with vpdpwssd fusing the vpmaddwd and the add.
SK_AVX512_VNNI uint32_t sk_l2sq_i8_avx512vnni(const int8_t *a, const int8_t *b, size_t n) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    const __m512i zero = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512i d0 = sk_avx512_i8_absdiff(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
        __m512i d1 = sk_avx512_i8_absdiff(_mm512_loadu_si512(a + i + 64), _mm512_loadu_si512(b + i + 64));
        __m512i lo0 = _mm512_unpacklo_epi8(d0, zero), hi0 = _mm512_unpackhi_epi8(d0, zero);
        __m512i lo1 = _mm512_unpacklo_epi8(d1, zero), hi1 = _mm512_unpackhi_epi8(d1, zero);
        acc0 = _mm512_dpwssd_epi32(acc0, lo0, lo0);
        acc1 = _mm512_dpwssd_epi32(acc1, hi0, hi0);
        acc2 = _mm512_dpwssd_epi32(acc2, lo1, lo1);
        acc3 = _mm512_dpwssd_epi32(acc3, hi1, hi1);
    }
    for (; i < n; i += 64) {  // at most two more: one whole vector, then a masked one
        size_t r = n - i;
        __mmask64 m = r >= 64 ? ~(__mmask64)0 : sk_avx512_mask64(r);
        __m512i d = sk_avx512_i8_absdiff(_mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i));
        __m512i lo = _mm512_unpacklo_epi8(d, zero), hi = _mm512_unpackhi_epi8(d, zero);
        acc0 = _mm512_dpwssd_epi32(acc0, lo, lo);
        acc1 = _mm512_dpwssd_epi32(acc1, hi, hi);
    }
    __m512i acc = _mm512_add_epi32(_mm512_add_epi32(acc0, acc1), _mm512_add_epi32(acc2, acc3));
    return sk_avx512_hsum_epi32(acc);
}

// float16 conversions, 16 values per instruction; the tail with masked loads and stores.
SK_AVX512 void sk_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i codes = _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_si256((__m256i_u *)(dst + i), codes);
    }
    if (i < n) {
        __mmask16 m = sk_avx512_mask(n - i);
        __m256i codes = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_mask_storeu_epi16(dst + i, m, codes);
    }
}

SK_AVX512 void sk_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(dst + i, sk_avx512_f16x16_load(src + i));
    }
    if (i < n) {
        __mmask16 m = sk_avx512_mask(n - i);
        _mm512_mask_storeu_ps(dst + i, m, sk_avx512_f16x16_partial(src + i, n - i));
    }
}

#endif
