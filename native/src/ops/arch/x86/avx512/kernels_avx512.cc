// The avx512 path's element-wise kernel families (activations, norms, softmax, flash attention's
// tile, Winograd's transforms, f16/bf16 conversions), from the generic sources in ../simd/ on
// 16-float vectors; the GEMM kernel sets are in gemm_avx512.cc.
#include "../simd/simd_avx512.h"

#define SDN_SIMD_PATH avx512
#define SDN_SIMD_TYPE Avx512
#include "../simd/path_kernels.inc"

namespace sdn::x86::avx512 {

// f32 -> bf16, round to nearest even with integer operations (vcvtneps2bf16 would flush denormals,
// which the specification f32_to_bf16 in core/half.h does not).
void convert_f32_to_bf16(const float * src, uint16_t * dst, int64_t n) {
    int64_t i = 0;
    const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF), inf = _mm512_set1_epi32(0x7F800000);
    for (; i < n; i += 16) {
        const __mmask16 m = static_cast<__mmask16>(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        const __m512i x = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, src + i));
        // (x + 0x7FFF + ((x >> 16) & 1)) >> 16; NaN: (x >> 16) | 0x40 (stays a quiet NaN).
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
        const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(x, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
        const __m512i nan = _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40));
        const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, abs_mask), inf);
        _mm256_mask_storeu_epi16(dst + i, m, _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, is_nan, nan)));
    }
}

} // namespace sdn::x86::avx512
