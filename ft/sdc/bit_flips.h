// Injected bit flips (ft/inject, `--inject bitflip:rank=R,step=S,where=W,bit=B[,element=E]`)
// turned into the checked reduction's taps (checked_reduction.h). Each flip is transient:
// it fires on the reduction's first attempt only, as a particle strike or a marginal
// link would, so a retry meets clean hardware. Where W puts it:
//   gradient  rank R's send buffer, element E, after its fingerprints were taken
//   transit   element E of the chunk rank R sent, as its owner received it, before the
//             owner verifies it (R may own that chunk itself: the local copy)
//   reduced   rank R's reduced gradients, element E, before their last verification
// E defaults to an element picked from the step (picked_element): the same on every rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ft/inject/fault_spec.h"
#include "ft/sdc/checked_reduction.h"

namespace cairn::ft {

// Flips bit `bit` (0-31) of x's IEEE-754 representation.
void flip_bit(float& x, int bit);

// A gradient element picked from the step when a bitflip names none (splitmix64 of it).
std::size_t picked_element(std::int64_t step, std::size_t n);

class BitFlipPlan {
 public:
  // `flips`: the job's bit_flip faults that fire in this start (any rank), `rank`: this one's.
  BitFlipPlan(std::vector<FaultSpec> flips, int rank);
  bool empty() const { return flips_.empty(); }
  // cairn::Error naming --inject unless every element a flip names is below n.
  void check_elements(std::size_t n) const;
  // The taps of step `step` for gradients of n elements (empty when no flip fires then).
  ReductionTaps taps(std::int64_t step, std::size_t n) const;

 private:
  std::vector<FaultSpec> flips_;
  int rank_;
};

}  // namespace cairn::ft
