#include "train/cpu/gemm.h"

#include <algorithm>
#include <vector>

#include "train/cpu/parallel.h"

namespace cairn::train::cpu {
namespace {

// Register/L1 tile: MR rows of C by NB columns, updated by one row of B per step p.
constexpr std::int64_t kMR = 4;
constexpr std::int64_t kNB = 64;

// C[i0:i1, :] (=|+=) A[i0:i1, :k] B[:k, :n], where A's element (i, p) sits at
// A[i * a_row + p * a_col]: (k, 1) for a row-major A, (1, m) to read a row-major [k, m]
// matrix as its transpose without copying it. Written
// once, compiled twice: for the baseline x86-64 (SSE2) and with AVX2 enabled, picked at
// run time. No FMA: products and sums round separately on both paths, exactly as in
// the scalar loops, so the two paths give identical results.
template <typename T>
inline __attribute__((always_inline)) void nn_rows_body(const T* __restrict A, const T* __restrict B,
                                                        std::int64_t a_row, std::int64_t a_col, std::int64_t i0,
                                                        std::int64_t i1, std::int64_t n, std::int64_t k,
                                                        T* __restrict C, bool accumulate) {
  alignas(64) T tile[kMR][kNB];
  for (std::int64_t i = i0; i < i1; i += kMR) {
    const std::int64_t mr = std::min(kMR, i1 - i);
    for (std::int64_t j0 = 0; j0 < n; j0 += kNB) {
      const std::int64_t nb = std::min(kNB, n - j0);
      for (std::int64_t r = 0; r < mr; ++r)
        for (std::int64_t j = 0; j < nb; ++j)
          tile[r][j] = accumulate ? C[(i + r) * n + j0 + j] : T(0);
      if (mr == kMR && nb == kNB) {
        // Full tile: fixed trip counts let the compiler unroll and vectorise.
        for (std::int64_t p = 0; p < k; ++p) {
          const T* __restrict b = B + p * n + j0;
          const T* a = A + i * a_row + p * a_col;
          const T a0 = a[0], a1 = a[a_row], a2 = a[2 * a_row], a3 = a[3 * a_row];
          for (std::int64_t j = 0; j < kNB; ++j) {
            const T bj = b[j];
            tile[0][j] += a0 * bj;
            tile[1][j] += a1 * bj;
            tile[2][j] += a2 * bj;
            tile[3][j] += a3 * bj;
          }
        }
      } else {
        for (std::int64_t p = 0; p < k; ++p) {
          const T* __restrict b = B + p * n + j0;
          for (std::int64_t r = 0; r < mr; ++r) {
            const T a = A[(i + r) * a_row + p * a_col];
            for (std::int64_t j = 0; j < nb; ++j) tile[r][j] += a * b[j];
          }
        }
      }
      for (std::int64_t r = 0; r < mr; ++r)
        for (std::int64_t j = 0; j < nb; ++j) C[(i + r) * n + j0 + j] = tile[r][j];
    }
  }
}

template <typename T>
void nn_rows_baseline(const T* A, const T* B, std::int64_t a_row, std::int64_t a_col, std::int64_t i0,
                      std::int64_t i1, std::int64_t n, std::int64_t k, T* C, bool accumulate) {
  nn_rows_body(A, B, a_row, a_col, i0, i1, n, k, C, accumulate);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CAIRN_GEMM_AVX2 1
template <typename T>
__attribute__((target("avx2"))) void nn_rows_avx2(const T* A, const T* B, std::int64_t a_row,
                                                   std::int64_t a_col, std::int64_t i0, std::int64_t i1,
                                                   std::int64_t n, std::int64_t k, T* C, bool accumulate) {
  nn_rows_body(A, B, a_row, a_col, i0, i1, n, k, C, accumulate);
}
#endif

template <typename T>
void nn_rows(const T* A, const T* B, std::int64_t a_row, std::int64_t a_col, std::int64_t i0,
             std::int64_t i1, std::int64_t n, std::int64_t k, T* C, bool accumulate) {
#ifdef CAIRN_GEMM_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return nn_rows_avx2(A, B, a_row, a_col, i0, i1, n, k, C, accumulate);
#endif
  nn_rows_baseline(A, B, a_row, a_col, i0, i1, n, k, C, accumulate);
}

template <typename T>
void nn(const T* A, std::int64_t a_row, std::int64_t a_col, const T* B, std::int64_t m, std::int64_t n,
        std::int64_t k, T* C, bool accumulate) {
  // Threads take whole MR-row blocks, so a thread boundary never splits a tile.
  const std::int64_t blocks = (m + kMR - 1) / kMR;
  parallel_for(blocks, 2.0 * kMR * static_cast<double>(n) * static_cast<double>(k),
               [&](std::int64_t b0, std::int64_t b1) {
                 nn_rows(A, B, a_row, a_col, b0 * kMR, std::min(m, b1 * kMR), n, k, C, accumulate);
               });
}

// out[c, r] = in[r, c] for in of shape [rows, cols], blocked for cache reuse.
template <typename T>
void transpose(const T* in, std::int64_t rows, std::int64_t cols, T* out) {
  constexpr std::int64_t kB = 32;
  for (std::int64_t r0 = 0; r0 < rows; r0 += kB)
    for (std::int64_t c0 = 0; c0 < cols; c0 += kB)
      for (std::int64_t r = r0; r < std::min(rows, r0 + kB); ++r)
        for (std::int64_t c = c0; c < std::min(cols, c0 + kB); ++c) out[c * rows + r] = in[r * cols + c];
}

template <typename T>
std::vector<T>& scratch() {
  thread_local std::vector<T> buf;
  return buf;
}

}  // namespace

template <typename T>
void gemm_nn(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k, T* C) {
  nn(A, k, 1, B, m, n, k, C, false);
}

template <typename T>
void gemm_nt(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k, T* C) {
  auto& bt = scratch<T>();
  bt.resize(static_cast<std::size_t>(n * k));
  transpose(B, n, k, bt.data());  // B^T: [k, n]
  nn(A, k, 1, bt.data(), m, n, k, C, false);
}

template <typename T>
void gemm_tn_acc(const T* A, const T* B, std::int64_t m, std::int64_t n, std::int64_t k,
                 T* C) {
  nn(A, 1, m, B, m, n, k, C, true);  // A^T read in place: element (i, p) is A[p * m + i]
}

#define CAIRN_INSTANTIATE(T)                                                              \
  template void gemm_nn<T>(const T*, const T*, std::int64_t, std::int64_t, std::int64_t, T*); \
  template void gemm_nt<T>(const T*, const T*, std::int64_t, std::int64_t, std::int64_t, T*); \
  template void gemm_tn_acc<T>(const T*, const T*, std::int64_t, std::int64_t, std::int64_t, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
