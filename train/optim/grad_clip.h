// Global-norm gradient clipping (Pascanu et al. 2013): with ||g|| the L2 norm over all
// parameters, g *= min(1, max_norm / (||g|| + 1e-6)).
#pragma once

#include <cstdint>

namespace cairn::train {

// L2 norm of count values, summed in double in a fixed order (bitwise reproducible).
double global_norm(const float* grads, std::int64_t count);

// Scales grads in place if their norm exceeds max_norm (max_norm <= 0: no clipping).
// Returns the norm before clipping.
double clip_grad_norm(float* grads, std::int64_t count, double max_norm);

// The scaling step of clip_grad_norm with the norm already known (a sharded run sums
// the squares over every rank's shard first).
void scale_to_norm(float* grads, std::int64_t count, double norm, double max_norm);

}  // namespace cairn::train
