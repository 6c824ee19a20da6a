// Distance kernels for Semblance: float32 squared L2, inner product and cosine, and the same
// distances over compact encodings (bfloat16, IEEE float16, int8) with their conversions.
//
// Every kernel exists in several variants (scalar reference, portable, AVX2+FMA, AVX-512);
// the best one for the running CPU is chosen once, at run time, through `sk_kernels`.
// The ISA-specific variants use per-function `__attribute__((target(...)))`, so the
// package needs no compiler flags and stays usable as a dependency.
#ifndef SEMBLANCE_KERNELS_H
#define SEMBLANCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "SemblanceSync.h"

#ifdef __cplusplus
extern "C" {
#endif

/// A distance over two float32 vectors of `n` components. Pointers need no alignment.
typedef float (*sk_f32_fn)(const float *a, const float *b, size_t n);

/// A distance over two vectors of `n` 16-bit codes (bfloat16 or IEEE float16, both operands
/// in the same encoding), summed in float32. Pointers need only the alignment of `uint16_t`.
typedef float (*sk_u16_fn)(const uint16_t *a, const uint16_t *b, size_t n);

/// Σ a[i]·b[i] over two vectors of `n` int8 codes in −127...127 (the codes Semblance
/// writes; a −128 is outside the domain, where the AVX2 variant's result is wrong), exact in
/// int32 for n ≤ 133,144 (the worst case, 133,144 × 127², is 2^31 − 4,072); beyond that
/// every variant returns the same value, the exact sum modulo 2^32 (as int32). Pointers
/// need no alignment.
typedef int32_t (*sk_i8_fn)(const int8_t *a, const int8_t *b, size_t n);

/// Σ (a[i] − b[i])² over two vectors of `n` int8 codes, exact in uint32 for n ≤ 66,051
/// (66,051 × 255² = 2^32 − 1,021); beyond that every variant returns the exact sum modulo
/// 2^32. Pointers need no alignment.
typedef uint32_t (*sk_i8_l2sq_fn)(const int8_t *a, const int8_t *b, size_t n);

/// Encodes `n` float32 values as 16-bit codes (`dst` may not overlap `src`).
typedef void (*sk_encode16_fn)(const float *src, uint16_t *dst, size_t n);

/// Decodes `n` 16-bit codes to float32 (`dst` may not overlap `src`).
typedef void (*sk_decode16_fn)(const uint16_t *src, float *dst, size_t n);

/// Kernel variants, in increasing order of speed.
typedef enum {
    SK_LEVEL_SCALAR = 0,    ///< plain sequential loop: the reference every other variant is tested against
    SK_LEVEL_PORTABLE = 1,  ///< auto-vectorised for the baseline target of any CPU (SSE2, NEON)
    SK_LEVEL_AVX2 = 2,      ///< x86-64 AVX2 + FMA (+ F16C for the float16 kernels where present)
    SK_LEVEL_AVX512 = 3,    ///< x86-64 AVX-512 F/BW/VL/DQ (+ BF16, VNNI where present)
} sk_level;

/// Optional x86 extensions that the encoded kernels of a level use when the CPU has them.
/// A level's table never depends on one the CPU lacks: without it the level uses a
/// slower path that needs only the level's base instruction set.
typedef enum {
    SK_FEATURE_F16C = 1,         ///< AVX2 level: float16 kernels and conversions with vcvtph2ps/vcvtps2ph
    SK_FEATURE_AVX512_BF16 = 2,  ///< AVX-512 level: bfloat16 dot product with vdpbf16ps
    SK_FEATURE_AVX512_VNNI = 4,  ///< AVX-512 level: int8 kernels with vpdpbusd/vpdpwssd
} sk_feature;

/// The kernels of one variant.
///
/// Encodings (both operands of a kernel in the same encoding):
/// - bfloat16: the top 16 bits of an IEEE float32 (`uint16_t`);
/// - float16: IEEE 754 binary16 (`uint16_t`), subnormals included;
/// - int8: `int8_t` codes, −128...127 (−127...127 for `dot_i8`; scales are the caller's
///   business).
/// Every float kernel decodes exactly and sums in float32; the products of two bfloat16 or
/// two float16 values are exact in float32, so variants differ only in the order (and
/// fusion) of the additions, except `dot_bf16` with AVX512_BF16 (vdpbf16ps), which treats
/// subnormal bfloat16 inputs (|x| < 2^−126) as zero and flushes subnormal float32 partial
/// sums to zero. The int8 kernels are exact (see `sk_i8_fn`, `sk_i8_l2sq_fn`) and equal in
/// every variant.
typedef struct {
    sk_f32_fn l2sq;    ///< sum of (a[i] - b[i])^2
    sk_f32_fn dot;     ///< sum of a[i] * b[i] (the raw inner product, not negated)
    sk_f32_fn cosine;  ///< 1 - dot / sqrt(|a|^2 |b|^2); 1 when either vector is zero
    int level;         ///< the sk_level of this table
    const char *name;  ///< "scalar", "portable", "avx2", "avx512"
    sk_u16_fn l2sq_bf16;          ///< Σ (a[i] − b[i])² over bfloat16 codes, float32 differences
    sk_u16_fn dot_bf16;           ///< Σ a[i]·b[i] over bfloat16 codes
    sk_u16_fn l2sq_f16;           ///< Σ (a[i] − b[i])² over float16 codes, float32 differences
    sk_u16_fn dot_f16;            ///< Σ a[i]·b[i] over float16 codes
    sk_i8_l2sq_fn l2sq_i8;        ///< Σ (a[i] − b[i])² over int8 codes, exact (uint32)
    sk_i8_fn dot_i8;              ///< Σ a[i]·b[i] over int8 codes, exact (int32)
    sk_encode16_fn f32_to_bf16;   ///< round to nearest even; NaN stays NaN (quiet); ±inf kept
    sk_decode16_fn bf16_to_f32;   ///< exact: the code shifted into the top 16 bits
    sk_encode16_fn f32_to_f16;    ///< round to nearest even, subnormal results, ≥ 65520 → inf, NaN → quiet NaN
    sk_decode16_fn f16_to_f32;    ///< exact, subnormals included; NaN → quiet NaN with its payload
    unsigned features;            ///< the sk_feature bits this table's kernels use
    const char *variant;          ///< name with the features: e.g. "avx2+f16c", "avx512+bf16+vnni"
} sk_kernel_table;

/// The fastest level the running CPU supports (detected once, cached).
int sk_best_level(void);

/// Whether the running CPU can run `level`.
int sk_level_supported(int level);

/// The kernels of `level`. A level the CPU does not support returns the best supported one
/// below it, never code that would fault.
sk_kernel_table sk_kernels(int level);

/// The sk_feature extensions the running CPU has, as bits (detected once, cached). A level's
/// table uses those of them that it can (see `sk_feature`).
unsigned sk_cpu_features(void);

/// The kernels of `level` (clamped as by `sk_kernels`) using at most the optional features in
/// `features` that the CPU also has: `sk_kernels(level)` is `sk_kernels_using(level, ~0u)`.
/// For tests and benchmarks of the paths a CPU without those extensions takes.
sk_kernel_table sk_kernels_using(int level, unsigned features);

/// Encoding conversions with the best variant for the running CPU. Every variant gives the
/// same bits as the scalar one (tested). `dst` may not overlap `src`.
/// float32 → bfloat16: round to nearest, ties to even; ±inf stay ±inf; a NaN becomes a quiet
/// NaN (the top 16 bits with the quiet bit set); values above the largest bfloat16 round to
/// ±inf; subnormals round like normals (bfloat16 has float32's exponent range).
void sk_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
/// bfloat16 → float32: exact (the code becomes the top 16 bits; NaNs are not altered).
void sk_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
/// float32 → float16: round to nearest, ties to even, also into the subnormal range (the
/// smallest, 2^−24, is 0x0001); |x| ≥ 65520 becomes ±inf; a NaN becomes a quiet NaN keeping
/// the top 9 bits of its payload; the sign of zero is kept.
void sk_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/// float16 → float32: exact, subnormals included; ±inf stay ±inf; a NaN becomes a quiet NaN
/// with the same payload (as vcvtph2ps does).
void sk_f16_to_f32(const uint16_t *src, float *dst, size_t n);

/// CRC-32C (Castagnoli) of `count` bytes, continuing from `crc` (0 to start): hardware
/// (SSE 4.2) where available, else a table-driven loop. crc32c("123456789") == 0xE3069283.
uint32_t sk_crc32c_update(uint32_t crc, const void *data, size_t count);

/// The table-driven CRC-32C, for testing the hardware path against.
uint32_t sk_crc32c_software(uint32_t crc, const void *data, size_t count);

/// Hints the CPU to bring `bytes` starting at `p` into cache. Inlined into Swift callers.
static inline void sk_prefetch(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t off = 0; off < bytes; off += 64) {
        __builtin_prefetch(c + off, 0, 3);
    }
}

#ifdef __cplusplus
}
#endif

#endif
