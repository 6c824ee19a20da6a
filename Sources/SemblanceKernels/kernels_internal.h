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

SK_HIDDEN float sk_l2sq_portable(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_portable(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_portable(const float *a, const float *b, size_t n);

#if SK_HAVE_X86
SK_HIDDEN float sk_l2sq_avx2(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_avx2(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_avx2(const float *a, const float *b, size_t n);

SK_HIDDEN float sk_l2sq_avx512(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_dot_avx512(const float *a, const float *b, size_t n);
SK_HIDDEN float sk_cosine_avx512(const float *a, const float *b, size_t n);
#endif

#endif
