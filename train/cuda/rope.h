// Rotary position embedding on interleaved pairs, on the GPU; the CPU reference and the
// math are train/cpu/rope.h (pair p of a head at position t turns by t theta^(-2p/hd)).
// The cos/sin table is the CPU's make_rope_table<float>, uploaded once, so both sides
// rotate by the same rounded angles. bf16 in and out, f32 arithmetic.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cpu/rope.h"
#include "train/cuda/bf16.h"
#include "train/cuda/device_buffer.h"

namespace cairn::train::cuda {

struct DeviceRopeTable {
  std::int64_t seq_len = 0;
  std::int64_t head_dim = 0;
  DeviceBuffer<float> cos;  // [seq_len, head_dim/2]
  DeviceBuffer<float> sin;
};
DeviceRopeTable upload_rope_table(const cpu::RopeTable<float>& table);

// x, y: [n, heads, head_dim], n a multiple of table.seq_len (row i at t = i % seq_len);
// y may alias x.
void rope_forward(const bf16* x, std::int64_t n, std::int64_t heads,
                  const DeviceRopeTable& table, bf16* y, cudaStream_t stream);
// The inverse rotation; dx may alias dy.
void rope_backward(const bf16* dy, std::int64_t n, std::int64_t heads,
                   const DeviceRopeTable& table, bf16* dx, cudaStream_t stream);

}  // namespace cairn::train::cuda
