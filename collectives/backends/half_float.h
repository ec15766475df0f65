// IEEE binary16 (f16) and bfloat16 (bf16) <-> f32 conversions for the host reductions.
// Branch-free so that GCC vectorises the loops that call them.
//
// f16 follows Marat Dukhan's FP16 library (github.com/Maratyszcza/FP16, MIT): the
// exponent is re-biased by a float multiplication, which turns subnormals, infinities and
// rounding into ordinary float arithmetic. Rounding is to nearest, ties to even, as the
// f32 -> f16 hardware conversions (F16C, CUDA __float2half_rn) do.
//
// A reduction of two f16 (or bf16) values computed in f32 and rounded once is correctly
// rounded: f32 carries 24 >= 2*11 + 2 significand bits, so the double rounding is
// innocuous (Figueroa, "When is double rounding innocuous?", SIGNUM 1995).
#pragma once

#include <bit>
#include <cstdint>

namespace cairn::coll {

// c ? a : b through a mask: GCC if-converts this where it leaves a ternary as a branch.
inline std::uint32_t select_bits(bool c, std::uint32_t a, std::uint32_t b) {
  const std::uint32_t m = 0u - std::uint32_t(c);
  return (a & m) | (b & ~m);
}

inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t w = std::uint32_t{h} << 16;
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t two_w = w + w;
  // Normal numbers: shift the exponent and mantissa into place, then scale by 2^-112 to
  // re-bias the exponent (15 -> 127); f16 inf/NaN land on f32 inf/NaN through the
  // exponent offset 0xE0 << 23.
  constexpr std::uint32_t exp_offset = 0xE0u << 23;
  const float normalized =
      std::bit_cast<float>((two_w >> 4) + exp_offset) * std::bit_cast<float>(0x7800000u);
  // Subnormals: place the mantissa under the exponent of 0.5 and subtract 0.5.
  constexpr std::uint32_t magic_mask = 126u << 23;
  const float denormalized = std::bit_cast<float>((two_w >> 17) | magic_mask) - 0.5f;
  constexpr std::uint32_t denormalized_cutoff = 1u << 27;
  return std::bit_cast<float>(sign | select_bits(two_w < denormalized_cutoff, std::bit_cast<std::uint32_t>(denormalized),
                                                 std::bit_cast<std::uint32_t>(normalized)));
}

inline std::uint16_t f32_to_f16(float f) {
  // Scaling by 2^112 then 2^-110 makes the float unit round the mantissa to 10 bits
  // (ties to even) and saturates overflow to infinity.
  const float scale_to_inf = std::bit_cast<float>(0x77800000u);   // 2^112
  const float scale_to_zero = std::bit_cast<float>(0x08800000u);  // 2^-110
  const std::uint32_t w = std::bit_cast<std::uint32_t>(f);
  const float abs_f = std::bit_cast<float>(w & 0x7FFFFFFFu);
  float base = (abs_f * scale_to_inf) * scale_to_zero;
  const std::uint32_t shl1_w = w + w;
  const std::uint32_t sign = w & 0x80000000u;
  const std::uint32_t exp_w = shl1_w & 0xFF000000u;
  const std::uint32_t bias = select_bits(exp_w < 0x71000000u, 0x71000000u, exp_w);
  base = std::bit_cast<float>((bias >> 1) + 0x07800000u) + base;
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(base);
  const std::uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const std::uint32_t mantissa_bits = bits & 0x00000FFFu;
  const std::uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<std::uint16_t>((sign >> 16) | select_bits(shl1_w > 0xFF000000u, 0x7E00u, nonsign));
}

inline float bf16_to_f32(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t{h} << 16); }

inline std::uint16_t f32_to_bf16(float f) {
  const std::uint32_t w = std::bit_cast<std::uint32_t>(f);
  // Round to nearest even on the 16 bits dropped; a NaN stays a (quiet) NaN.
  const std::uint32_t rounded = (w + 0x7FFFu + ((w >> 16) & 1u)) >> 16;
  const bool is_nan = (w & 0x7FFFFFFFu) > 0x7F800000u;
  return static_cast<std::uint16_t>(select_bits(is_nan, (w >> 16) | 0x40u, rounded));
}

}  // namespace cairn::coll
