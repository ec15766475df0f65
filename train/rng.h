// Counter-based randomness: a value is a pure function of (seed, stream, index), so no
// generator state has to be saved, split across threads, or replayed on resume.
// SplitMix64 (Steele, Lea & Flood 2014) as the mixing function.
#pragma once

#include <cmath>
#include <cstdint>

namespace cairn::train {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t hash3(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ index);
}

// Uniform in (0, 1): the top 53 bits, offset by half a unit so log() never sees 0.
inline double uniform01(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// Standard normal by Box-Muller from two independent counters.
inline double normal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const double u1 = uniform01(hash3(seed, stream, 2 * index));
  const double u2 = uniform01(hash3(seed, stream, 2 * index + 1));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace cairn::train
