#include "train/cuda/gemm.h"

#include <string>

#include "common/error.h"
#include "train/cuda/check.h"

namespace cairn::train::cuda {
namespace {

constexpr std::int64_t kWorkspaceBytes = 32 << 20;

// The largest power of two (up to 256) dividing the address: what the heuristic may
// assume about a buffer (its default assumption is 256).
int alignment_bytes(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  int align = 256;
  while (align > 1 && a % static_cast<std::uintptr_t>(align) != 0) align /= 2;
  return align;
}

cudaDataType_t data_type(OutType t) { return t == OutType::bfloat16 ? CUDA_R_16BF : CUDA_R_32F; }

}  // namespace

struct Blas::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  ~Plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

Blas::Blas() : workspace_(kWorkspaceBytes) { CAIRN_CUBLAS_CHECK(cublasLtCreate(&handle_)); }

Blas::~Blas() {
  plans_.clear();
  if (handle_) cublasLtDestroy(handle_);
}

const Blas::Plan& Blas::plan(const Key& key) {
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  const auto [op_a_i, op_b_i, M, N, K, lda, ldb, ldd, d_type_i, align_a, align_b, align_d] = key;
  const auto op_a = static_cast<cublasOperation_t>(op_a_i);
  const auto op_b = static_cast<cublasOperation_t>(op_b_i);
  const auto d_type = static_cast<cudaDataType_t>(d_type_i);
  auto p = std::make_unique<Plan>();
  CAIRN_CUBLAS_CHECK(cublasLtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  CAIRN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof(op_a)));
  CAIRN_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof(op_b)));
  // Layouts describe the matrices as stored: op(A) is M x K, so A is K x M when transposed.
  const bool ta = op_a != CUBLAS_OP_N, tb = op_b != CUBLAS_OP_N;
  CAIRN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16BF, static_cast<std::uint64_t>(ta ? K : M),
                                                static_cast<std::uint64_t>(ta ? M : K), lda));
  CAIRN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16BF, static_cast<std::uint64_t>(tb ? N : K),
                                                static_cast<std::uint64_t>(tb ? K : N), ldb));
  CAIRN_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->d, d_type, static_cast<std::uint64_t>(M),
                                                static_cast<std::uint64_t>(N), ldd));
  cublasLtMatmulPreference_t pref = nullptr;
  CAIRN_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  const std::uint64_t ws = kWorkspaceBytes;
  const std::uint32_t aa = static_cast<std::uint32_t>(align_a), ab = static_cast<std::uint32_t>(align_b),
                      ad = static_cast<std::uint32_t>(align_d);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasStatus_t status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &aa, sizeof(aa));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &ab, sizeof(ab));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &ad, sizeof(ad));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &ad, sizeof(ad));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasLtMatmulAlgoGetHeuristic(handle_, p->desc, p->a, p->b, p->d, p->d, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  CAIRN_CUBLAS_CHECK(status);
  if (found == 0)
    throw Error("cuBLASLt: no algorithm for a bf16 GEMM of M " + std::to_string(M) + ", N " +
                std::to_string(N) + ", K " + std::to_string(K) + " (leading dimensions " +
                std::to_string(lda) + ", " + std::to_string(ldb) + ", " + std::to_string(ldd) +
                "); is the GPU older than sm_80?");
  p->algo = result.algo;
  return *plans_.emplace(key, std::move(p)).first->second;
}

void Blas::matmul(cublasOperation_t op_a, cublasOperation_t op_b, std::int64_t M,
                  std::int64_t N, std::int64_t K, const bf16* A, std::int64_t lda,
                  const bf16* B, std::int64_t ldb, void* D, std::int64_t ldd, OutType d_type,
                  float beta, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  if (K == 0) throw Error("cuBLASLt: a GEMM with inner dimension 0 (M " + std::to_string(M) + ", N " + std::to_string(N) + ")");
  const Key key{static_cast<int>(op_a), static_cast<int>(op_b), M, N, K, lda, ldb, ldd,
                static_cast<int>(data_type(d_type)), alignment_bytes(A), alignment_bytes(B),
                alignment_bytes(D)};
  const Plan& p = plan(key);
  const float alpha = 1.f;
  CAIRN_CUBLAS_CHECK(cublasLtMatmul(handle_, p.desc, &alpha, A, p.a, B, p.b, &beta, D, p.d, D,
                                    p.d, &p.algo, workspace_.get(), workspace_.bytes(), stream));
}

void Blas::gemm_nt(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n,
                   std::int64_t k, void* C, OutType c_type, cudaStream_t stream) {
  // C^T[n, m] = B[n, k] A^T: B is stored (col-major) k x n, A k x m.
  matmul(CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, B, k, A, k, C, n, c_type, 0.f, stream);
}

void Blas::gemm_nn(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n,
                   std::int64_t k, void* C, OutType c_type, cudaStream_t stream) {
  // C^T[n, m] = B^T[n, k] A^T[k, m]: B stored n x k, A stored k x m, no transposes.
  matmul(CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, B, n, A, k, C, n, c_type, 0.f, stream);
}

void Blas::gemm_tn_acc(const bf16* A, const bf16* B, std::int64_t m, std::int64_t n,
                       std::int64_t k, float* C, cudaStream_t stream) {
  // C^T[n, m] += B^T[n, k] A[k, m]: B stored n x k; A stored m x k, transposed.
  matmul(CUBLAS_OP_N, CUBLAS_OP_T, n, m, k, B, n, A, m, C, n, OutType::float32, 1.f, stream);
}

}  // namespace cairn::train::cuda
