// Error checks for CUDA runtime and cuBLASLt calls. A failure throws cairn::Error whose
// message names the call as written in the source and the library's reason, e.g.
//   CUDA call cudaMalloc(&ptr, bytes) failed: out of memory (cudaErrorMemoryAllocation)
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

namespace cairn::train::cuda {

void check_cuda(cudaError_t status, const char* call);
void check_cublas(cublasStatus_t status, const char* call);

// After a kernel launch: reports a bad launch configuration (and, once the stream has
// run, an earlier asynchronous fault) naming the kernel.
void check_launch(const char* kernel);

}  // namespace cairn::train::cuda

#define CAIRN_CUDA_CHECK(call) ::cairn::train::cuda::check_cuda((call), #call)
#define CAIRN_CUBLAS_CHECK(call) ::cairn::train::cuda::check_cublas((call), #call)
