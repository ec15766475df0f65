// Token embedding on the GPU; the CPU reference is train/cpu/embedding.h.
//   forward:  y[i, :] = table[tokens[i], :]       (f32 master rows into the f32 stream)
//   backward: dtable[t, :] += dy[i, :] for every row i with tokens[i] == t
// Backward needs no atomics: the host groups the rows by token (TokenRows), and one
// thread per (token, column) adds that token's rows in row order, the CPU's order, so
// the result is deterministic and matches the reference bitwise.
#pragma once

#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

#include "train/cuda/device_buffer.h"

namespace cairn::train::cuda {

// Rows of a batch grouped by token, on the device. build() checks every id against the
// vocabulary on the host (cairn::Error naming the row) before anything reaches the GPU.
class TokenRows {
 public:
  explicit TokenRows(std::int64_t max_rows);
  void build(const std::int32_t* host_tokens, std::int64_t n, std::int64_t vocab);

  std::int64_t distinct() const { return distinct_; }
  const std::int32_t* tokens() const { return tokens_.get(); }   // [distinct], ascending
  const std::int32_t* offsets() const { return offsets_.get(); } // [distinct + 1]
  const std::int32_t* rows() const { return rows_.get(); }       // [n], grouped by token

 private:
  std::int64_t max_rows_;
  std::int64_t distinct_ = 0;
  std::vector<std::int32_t> host_tokens_, host_offsets_, host_rows_;
  DeviceBuffer<std::int32_t> tokens_, offsets_, rows_;
};

// tokens: [n] device ids (already checked); table: [vocab, d]; y: [n, d].
void embedding_forward(const std::int32_t* tokens, std::int64_t n, const float* table,
                       std::int64_t d, float* y, cudaStream_t stream);

// dy: [n, d]; dtable: [vocab, d], accumulated (+=).
void embedding_backward(const TokenRows& rows, const float* dy, std::int64_t d, float* dtable,
                        cudaStream_t stream);

}  // namespace cairn::train::cuda
