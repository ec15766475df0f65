// Linear layer without bias, PyTorch's convention: W is [out, in], row-major.
//   forward:  y = x W^T            y[n, out] = sum_k x[n, k] W[out, k]
//   backward: dx = dy W            dx[n, in] = sum_o dy[n, o] W[o, in]
//             dW += dy^T x         dW[o, in] += sum_n dy[n, o] x[n, in]
// The products run through train/cpu/gemm.h (cache-blocked, threaded over output rows,
// with a summation order that does not depend on the thread count, so runs are bitwise
// reproducible).
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// x: [n, in]; W: [out, in]; y: [n, out] (must not alias x).
template <typename T>
void linear_forward(const T* x, const T* W, std::int64_t n, std::int64_t in,
                    std::int64_t out, T* y);

// dx: [n, in], overwritten; pass nullptr to skip it (the first layer's input needs none).
// dW: [out, in], accumulated (+=).
template <typename T>
void linear_backward(const T* dy, const T* x, const T* W, std::int64_t n, std::int64_t in,
                     std::int64_t out, T* dx, T* dW);

}  // namespace cairn::train::cpu
