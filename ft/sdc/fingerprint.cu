// The GPU fingerprint (fingerprint_cuda.h), beside its CPU reference mixed_fingerprint()
// in fingerprint.cpp. Each thread folds a grid-stride run of float4s into registers (the
// mixed hash and the word sum mod 2^64/2^32 are exact in any order; the double sums
// follow the fixed grid), one block reduction writes a partial per block, and one block
// adds the partials in block order.
#include "ft/sdc/fingerprint_cuda.h"

#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "common/error.h"
#include "ft/sdc/mixed_hash.h"

namespace cairn::ft {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1024;  // the second pass is one block of this many threads
constexpr unsigned kFull = 0xffffffffu;

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess)
    throw Error(std::string("sdc: CUDA call ") + call + " failed: " + cudaGetErrorString(status));
}

struct Partial {
  unsigned long long hash, words, nonfinite;
  double sum, abs_sum;
};

// The element's word sum, NaN/Inf count and float sums; the hash goes by pairs (mix_pair).
__device__ __forceinline__ void fold(Partial& p, float v) {
  const std::uint32_t w = __float_as_uint(v);
  p.words += w;
  p.nonfinite += ((w >> 23) & 0xffu) == 0xffu;
  const double d = v;
  p.sum += d;
  p.abs_sum += fabs(d);
}

// Every lane ends with the block's sums; `s` holds 32 Partials of shared memory.
__device__ Partial block_reduce(Partial p, Partial* s) {
  for (int o = 16; o > 0; o >>= 1) {
    p.hash += __shfl_xor_sync(kFull, p.hash, o);
    p.words += __shfl_xor_sync(kFull, p.words, o);
    p.nonfinite += __shfl_xor_sync(kFull, p.nonfinite, o);
    p.sum += __shfl_xor_sync(kFull, p.sum, o);
    p.abs_sum += __shfl_xor_sync(kFull, p.abs_sum, o);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();
  if (lane == 0) s[warp] = p;
  __syncthreads();
  p = lane < warps ? s[lane] : Partial{0, 0, 0, 0.0, 0.0};
  for (int o = 16; o > 0; o >>= 1) {
    p.hash += __shfl_xor_sync(kFull, p.hash, o);
    p.words += __shfl_xor_sync(kFull, p.words, o);
    p.nonfinite += __shfl_xor_sync(kFull, p.nonfinite, o);
    p.sum += __shfl_xor_sync(kFull, p.sum, o);
    p.abs_sum += __shfl_xor_sync(kFull, p.abs_sum, o);
  }
  return p;
}

__global__ void fingerprint_kernel(const float* x, std::uint64_t n, Partial* partial) {
  __shared__ Partial s[32];
  Partial p{0, 0, 0, 0.0, 0.0};
  const std::uint64_t quads = n / 4, stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const float4* x4 = reinterpret_cast<const float4*>(x);  // cudaMalloc'd: 256-byte aligned
  std::uint64_t q = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  // Quad q holds pairs 2q and 2q+1: pk = 2q K, advanced by 2 stride K per step.
  std::uint64_t pk = 2 * q * kPairIndexMul;
  const std::uint64_t pk_step = 2 * stride * kPairIndexMul;
  for (; q < quads; q += stride, pk += pk_step) {
    const float4 v = x4[q];
    p.hash += mix_pair(pk, __float_as_uint(v.x), __float_as_uint(v.y));
    p.hash += mix_pair(pk + kPairIndexMul, __float_as_uint(v.z), __float_as_uint(v.w));
    fold(p, v.x);
    fold(p, v.y);
    fold(p, v.z);
    fold(p, v.w);
  }
  // The last n % 4 elements: one thread, a pair or two (the last padded with a zero word).
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    const std::uint64_t first = 4 * quads, rest = n - first;
    std::uint32_t w[4] = {0, 0, 0, 0};
    for (std::uint64_t i = 0; i < rest; ++i) {
      w[i] = __float_as_uint(x[first + i]);
      fold(p, x[first + i]);
    }
    if (rest > 0) p.hash += mix_pair(2 * quads * kPairIndexMul, w[0], w[1]);
    if (rest > 2) p.hash += mix_pair((2 * quads + 1) * kPairIndexMul, w[2], w[3]);
  }
  p = block_reduce(p, s);
  if (threadIdx.x == 0) partial[blockIdx.x] = p;
}

__global__ void sum_partials_kernel(const Partial* partial, unsigned blocks, Partial* out) {
  __shared__ Partial s[32];
  Partial p = threadIdx.x < blocks ? partial[threadIdx.x] : Partial{0, 0, 0, 0.0, 0.0};
  p = block_reduce(p, s);
  if (threadIdx.x == 0) *out = p;
}

__global__ void read_only_kernel(const float* x, std::uint64_t n, unsigned* out) {
  unsigned acc = 0;
  const std::uint64_t quads = n / 4, stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const float4* x4 = reinterpret_cast<const float4*>(x);
  for (std::uint64_t q = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; q < quads; q += stride) {
    const float4 v = x4[q];
    acc ^= __float_as_uint(v.x) ^ __float_as_uint(v.y) ^ __float_as_uint(v.z) ^ __float_as_uint(v.w);
  }
  for (int o = 16; o > 0; o >>= 1) acc ^= __shfl_xor_sync(kFull, acc, o);
  if (threadIdx.x % 32 == 0) atomicXor(out, acc);
}

// The grid is fixed by the count (so the double sums' order is too): enough blocks to
// fill the device at any count, at most kMaxBlocks.
unsigned blocks_for(std::uint64_t n) {
  const std::uint64_t b = (n / 4 + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

}  // namespace

Fingerprint device_fingerprint(const float* d_x, std::size_t n, void* stream_ptr) {
  const auto stream = static_cast<cudaStream_t>(stream_ptr);
  if (reinterpret_cast<std::uintptr_t>(d_x) % 16 != 0)
    throw Error("sdc: device_fingerprint needs a 16-byte aligned buffer (float4 loads); give a cudaMalloc'd one");
  const unsigned blocks = blocks_for(n);
  Partial* scratch = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&scratch), (blocks + 1) * sizeof(Partial), stream), "cudaMallocAsync");
  fingerprint_kernel<<<blocks, kThreads, 0, stream>>>(d_x, n, scratch);
  check(cudaGetLastError(), "fingerprint_kernel<<<>>>");
  sum_partials_kernel<<<1, kMaxBlocks, 0, stream>>>(scratch, blocks, scratch + blocks);
  check(cudaGetLastError(), "sum_partials_kernel<<<>>>");
  Partial out{};
  check(cudaMemcpyAsync(&out, scratch + blocks, sizeof out, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
  check(cudaFreeAsync(scratch, stream), "cudaFreeAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  Fingerprint f;
  f.xxh3 = out.hash;
  f.word_sum = static_cast<std::uint32_t>(out.words);  // mod 2^32, as the CPU's
  f.nonfinite = out.nonfinite;
  f.sum = out.sum;
  f.abs_sum = out.abs_sum;
  return f;
}

unsigned device_read_only(const float* d_x, std::size_t n, void* stream_ptr) {
  const auto stream = static_cast<cudaStream_t>(stream_ptr);
  unsigned* d_out = nullptr;
  check(cudaMallocAsync(reinterpret_cast<void**>(&d_out), sizeof(unsigned), stream), "cudaMallocAsync");
  check(cudaMemsetAsync(d_out, 0, sizeof(unsigned), stream), "cudaMemsetAsync");
  read_only_kernel<<<blocks_for(n), kThreads, 0, stream>>>(d_x, n, d_out);
  check(cudaGetLastError(), "read_only_kernel<<<>>>");
  unsigned out = 0;
  check(cudaMemcpyAsync(&out, d_out, sizeof out, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
  check(cudaFreeAsync(d_out, stream), "cudaFreeAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return out;
}

}  // namespace cairn::ft
