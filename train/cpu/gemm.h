// Row-major CPU matrix products behind linear.h, in the three forms backprop needs.
// Every form is computed as rows of axpy updates (C[i,:] += a * B[p,:]) over contiguous
// rows, which the compiler vectorises without reassociating sums; work is split over
// output rows among threads, so each output's summation order is fixed and results are
// identical for any thread count.
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// C[m, n] = A[m, k] B[n, k]^T  (overwrites C)
template <typename T>
void gemm_nt(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k, T* C);

// C[m, n] = A[m, k] B[k, n]    (overwrites C)
template <typename T>
void gemm_nn(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k, T* C);

// C[m, n] += A[k, m]^T B[k, n] (accumulates into C)
template <typename T>
void gemm_tn_acc(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k,
                 T* C);

}  // namespace cairn::train::cpu
