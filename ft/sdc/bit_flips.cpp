#include "ft/sdc/bit_flips.h"

#include <cstring>
#include <string>

#include "common/error.h"

namespace cairn::ft {

void flip_bit(float& x, int bit) {
  std::uint32_t w;
  std::memcpy(&w, &x, sizeof w);
  w ^= std::uint32_t{1} << bit;
  std::memcpy(&x, &w, sizeof w);
}

std::size_t picked_element(std::int64_t step, std::size_t n) {
  std::uint64_t z = static_cast<std::uint64_t>(step) + 0x9e3779b97f4a7c15ULL;  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return n == 0 ? 0 : static_cast<std::size_t>(z % n);
}

BitFlipPlan::BitFlipPlan(std::vector<FaultSpec> flips, int rank) : flips_(std::move(flips)), rank_(rank) {}

void BitFlipPlan::check_elements(std::size_t n) const {
  for (const FaultSpec& f : flips_)
    if (f.element && static_cast<std::uint64_t>(*f.element) >= n)
      throw Error("--inject " + f.text + ": element " + std::to_string(*f.element) + " is beyond the gradients' " +
                  std::to_string(n) + " elements; give an element below " + std::to_string(n));
}

ReductionTaps BitFlipPlan::taps(std::int64_t step, std::size_t n) const {
  struct Flip {
    FlipSite where;
    int rank, bit;
    std::size_t element;
  };
  std::vector<Flip> now;
  for (const FaultSpec& f : flips_)
    if (f.step == step)
      now.push_back({f.where, f.rank, f.bit, f.element ? static_cast<std::size_t>(*f.element) : picked_element(step, n)});
  ReductionTaps t;
  if (now.empty()) return t;
  const int me = rank_;
  t.gradient = [now, me](int attempt, float* send, std::size_t) {
    if (attempt != 0) return;
    for (const Flip& f : now)
      if (f.where == FlipSite::gradient && f.rank == me) flip_bit(send[f.element], f.bit);
  };
  t.transit = [now](int attempt, int sender, float* chunk, std::size_t first, std::size_t count) {
    if (attempt != 0) return;
    for (const Flip& f : now)
      if (f.where == FlipSite::transit && f.rank == sender && f.element >= first && f.element < first + count)
        flip_bit(chunk[f.element - first], f.bit);
  };
  t.reduced = [now, me](int attempt, float* reduced, std::size_t) {
    if (attempt != 0) return;
    for (const Flip& f : now)
      if (f.where == FlipSite::reduced && f.rank == me) flip_bit(reduced[f.element], f.bit);
  };
  return t;
}

}  // namespace cairn::ft
