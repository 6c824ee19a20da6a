// The AVX-512 variant (x86-64 only). Per-function target attributes, so the file builds
// without -mavx512f and its code only runs after dispatch.c has checked the CPU.
// Four independent __m512 accumulators (64 floats per iteration) hide the FMA latency;
// the last 1...15 floats are read with a zero-masked load, which never faults past `n`.
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

#endif
