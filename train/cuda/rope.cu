#include "train/cuda/rope.h"

#include <string>

#include "common/error.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

// One thread per (row, head, pair); sign -1 rotates by -angle (the transpose).
__global__ void rope_kernel(const bf16* x, std::int64_t n, std::int64_t heads,
                            std::int64_t seq_len, std::int64_t half, const float* cos_t,
                            const float* sin_t, float sign, bf16* y) {
  const std::int64_t pairs = n * heads * half;
  for (std::int64_t e = detail::global_thread(); e < pairs; e += detail::grid_threads()) {
    const std::int64_t p = e % half;
    const std::int64_t row = e / (heads * half);  // token index i
    const std::int64_t t = row % seq_len;
    const float c = cos_t[t * half + p], s = sign * sin_t[t * half + p];
    const float x1 = __bfloat162float(x[2 * e]), x2 = __bfloat162float(x[2 * e + 1]);
    y[2 * e] = __float2bfloat16_rn(x1 * c - x2 * s);
    y[2 * e + 1] = __float2bfloat16_rn(x1 * s + x2 * c);
  }
}

void rotate(const bf16* x, std::int64_t n, std::int64_t heads, const DeviceRopeTable& table,
            float sign, bf16* y, cudaStream_t stream) {
  if (table.seq_len <= 0 || n % table.seq_len != 0)
    throw Error("rope: " + std::to_string(n) + " rows are not whole sequences of " +
                std::to_string(table.seq_len));
  const std::int64_t half = table.head_dim / 2, pairs = n * heads * half;
  if (pairs == 0) return;
  rope_kernel<<<detail::elementwise_blocks(pairs, 256), 256, 0, stream>>>(
      x, n, heads, table.seq_len, half, table.cos.get(), table.sin.get(), sign, y);
  check_launch("rope_kernel");
}

}  // namespace

DeviceRopeTable upload_rope_table(const cpu::RopeTable<float>& table) {
  DeviceRopeTable t;
  t.seq_len = table.seq_len;
  t.head_dim = table.head_dim;
  t.cos = DeviceBuffer<float>(static_cast<std::int64_t>(table.cos.size()));
  t.sin = DeviceBuffer<float>(static_cast<std::int64_t>(table.sin.size()));
  t.cos.upload(table.cos);
  t.sin.upload(table.sin);
  return t;
}

void rope_forward(const bf16* x, std::int64_t n, std::int64_t heads,
                  const DeviceRopeTable& table, bf16* y, cudaStream_t stream) {
  rotate(x, n, heads, table, 1.f, y, stream);
}

void rope_backward(const bf16* dy, std::int64_t n, std::int64_t heads,
                   const DeviceRopeTable& table, bf16* dx, cudaStream_t stream) {
  rotate(dy, n, heads, table, -1.f, dx, stream);
}

}  // namespace cairn::train::cuda
