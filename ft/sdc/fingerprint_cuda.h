// The fingerprint on the GPU (CAIRN_CUDA builds only): fingerprint.cu's kernel beside its
// CPU reference mixed_fingerprint() (fingerprint.h), which it matches exactly in the
// hash, the word sum and the NaN/Inf count, and in the float sums to rounding (a fixed
// grid per count: the same order, so the same bits, run to run). One read of the data,
// float4 loads, everything in registers until one block reduction and a second tiny pass.
#pragma once

#include <cstddef>

#include "ft/sdc/fingerprint.h"

namespace cairn::ft {

// d_x: n floats in device memory; stream: a cudaStream_t (nullptr: the default stream).
// Waits for the result (it comes back to the host).
Fingerprint device_fingerprint(const float* d_x, std::size_t n, void* stream = nullptr);

// The yardstick the kernel is held to (issue 19: >= 90 % of the device's read bandwidth):
// a kernel that only reads the same n floats with the same grid and loads and folds them
// into one word. Waits; returns the folded word so the reads cannot be dropped.
unsigned device_read_only(const float* d_x, std::size_t n, void* stream = nullptr);

}  // namespace cairn::ft
