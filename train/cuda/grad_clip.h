// Global-norm gradient clipping on the GPU; CPU reference train/optim/grad_clip.h:
// ||g|| = sqrt(sum g^2) over every element, then g *= min(1, max_norm / (||g|| + 1e-6)).
// The sum of squares is two passes in double, each in a fixed order (per-block sums over
// a grid fixed by the count, then the blocks), so it is deterministic run to run.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace cairn::train::cuda {

// Returns the L2 norm (synchronises the stream: the result comes back to the host).
double global_norm(const float* grads, std::int64_t count, cudaStream_t stream);

// Scales grads in place when their norm exceeds max_norm (max_norm <= 0: never).
// Returns the norm before clipping.
double clip_grad_norm(float* grads, std::int64_t count, double max_norm, cudaStream_t stream);

}  // namespace cairn::train::cuda
