// Row-major matrix products on the GPU through cuBLASLt, the three forms of the CPU
// reference train/cpu/gemm.h: bf16 operands, f32 accumulation and scaling, output bf16
// or f32. cuBLAS is column-major, so each row-major product is issued as its transpose
// (a row-major [r, c] matrix is a column-major [c, r] one):
//   C = A B^T   ->  C^T = B A^T       C = A B  ->  C^T = B^T A^T
//   C += A^T B  ->  C^T += B^T A
// Plans (descriptors and the heuristic's algorithm) are cached per shape, leading
// dimensions and pointer alignment; the workspace is 32 MiB (Hopper's recommendation).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "train/cuda/bf16.h"
#include "train/cuda/device_buffer.h"

namespace cairn::train::cuda {

enum class OutType { bfloat16, float32 };

class Blas {
 public:
  Blas();
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // C[m, n] = A[m, k] B[n, k]^T, overwrites C.
  void gemm_nt(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n, std::int64_t k,
               void* C, OutType c_type, cudaStream_t stream);
  // C[m, n] = A[m, k] B[k, n], overwrites C.
  void gemm_nn(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n, std::int64_t k,
               void* C, OutType c_type, cudaStream_t stream);
  // C[m, n] += A[k, m]^T B[k, n], f32 C (gradient accumulation).
  void gemm_tn_acc(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n,
                   std::int64_t k, float* C, cudaStream_t stream);

 private:
  struct Plan;
  using Key = std::tuple<int, int, std::int64_t, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, std::int64_t, int, int, int, int>;
  // Column-major D[M, N] = op(A) op(B) + beta D.
  void matmul(cublasOperation_t op_a, cublasOperation_t op_b, std::int64_t M, std::int64_t N,
              std::int64_t K, const bf16* A, std::int64_t lda, const bf16* B, std::int64_t ldb,
              void* D, std::int64_t ldd, OutType d_type, float beta, cudaStream_t stream);
  const Plan& plan(const Key& key);

  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer<unsigned char> workspace_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace cairn::train::cuda
