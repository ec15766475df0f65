// Residual connection: y = x + f(x). Forward adds the branch output into the stream;
// backward hands the stream gradient to both the skip path and the branch, so the
// branch's input gradient is added into the stream gradient.
//   forward:  y = x + r
//   backward: dx = dy, dr = dy     (here: stream_grad += branch_input_grad)
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// y = x + r elementwise over count values; y may alias x or r.
template <typename T>
void residual_add_forward(const T* x, const T* r, std::int64_t count, T* y);

// dstream += dbranch: where the gradient through a branch rejoins the residual stream.
template <typename T>
void residual_add_backward(const T* dbranch, std::int64_t count, T* dstream);

}  // namespace cairn::train::cpu
