// The AVX2 + FMA variant (x86-64 only). Per-function target attributes, so the file builds
// without -mavx2 and its code only runs after dispatch.c has checked the CPU.
// Four independent __m256 accumulators (32 floats per iteration) hide the FMA latency;
// the last 1...7 floats are read with a masked load, which never touches memory past `n`.
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

#endif
