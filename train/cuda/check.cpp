#include "train/cuda/check.h"

#include <string>

#include "common/error.h"

namespace cairn::train::cuda {

void check_cuda(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  throw Error(std::string("CUDA call ") + call + " failed: " + cudaGetErrorString(status) +
              " (" + cudaGetErrorName(status) + ")");
}

void check_cublas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(std::string("cuBLASLt call ") + call + " failed: " +
              cublasLtGetStatusString(status) + " (" + cublasLtGetStatusName(status) + ")");
}

void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess) return;
  throw Error(std::string("CUDA kernel ") + kernel + " failed to launch: " +
              cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")");
}

}  // namespace cairn::train::cuda
