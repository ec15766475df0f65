#include "train/cuda/embedding.h"

#include <string>

#include "common/error.h"
#include "train/cuda/detail/kernel_util.cuh"

namespace cairn::train::cuda {
namespace {

__global__ void embedding_forward_kernel(const std::int32_t* tokens, std::int64_t n,
                                         const float* table, std::int64_t d, float* y) {
  for (std::int64_t e = detail::global_thread(); e < n * d; e += detail::grid_threads()) {
    const std::int64_t i = e / d, j = e % d;
    y[e] = table[static_cast<std::int64_t>(tokens[i]) * d + j];
  }
}

// grid.x: distinct tokens; grid.y * blockDim.x covers the columns.
__global__ void embedding_backward_kernel(const std::int32_t* tokens,
                                          const std::int32_t* offsets,
                                          const std::int32_t* rows, const float* dy,
                                          std::int64_t d, float* dtable) {
  const std::int64_t j = static_cast<std::int64_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (j >= d) return;
  const std::int64_t u = blockIdx.x;
  float* out = dtable + static_cast<std::int64_t>(tokens[u]) * d + j;
  float acc = *out;
  for (std::int32_t r = offsets[u]; r < offsets[u + 1]; ++r)
    acc += dy[static_cast<std::int64_t>(rows[r]) * d + j];
  *out = acc;
}

}  // namespace

TokenRows::TokenRows(std::int64_t max_rows)
    : max_rows_(max_rows), tokens_(max_rows), offsets_(max_rows + 1), rows_(max_rows) {}

void TokenRows::build(const std::int32_t* host_tokens, std::int64_t n, std::int64_t vocab) {
  if (n > max_rows_)
    throw Error("embedding: " + std::to_string(n) + " rows exceed the " +
                std::to_string(max_rows_) + " this index was made for");
  // Counting sort by token: stable, so each token's rows stay in ascending order.
  std::vector<std::int32_t> count(static_cast<std::size_t>(vocab) + 1, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t t = host_tokens[i];
    if (t < 0 || t >= vocab)
      throw Error("embedding: token " + std::to_string(t) + " at row " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(vocab) +
                  ") (data made for another vocabulary?)");
    ++count[static_cast<std::size_t>(t) + 1];
  }
  host_tokens_.clear();
  host_offsets_.assign(1, 0);
  for (std::int64_t t = 0; t < vocab; ++t) {
    const std::int32_t c = count[static_cast<std::size_t>(t) + 1];
    count[static_cast<std::size_t>(t) + 1] = count[static_cast<std::size_t>(t)] + c;  // prefix
    if (c > 0) {
      host_tokens_.push_back(static_cast<std::int32_t>(t));
      host_offsets_.push_back(host_offsets_.back() + c);
    }
  }
  host_rows_.assign(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < n; ++i)
    host_rows_[static_cast<std::size_t>(count[static_cast<std::size_t>(host_tokens[i])]++)] =
        static_cast<std::int32_t>(i);
  distinct_ = static_cast<std::int64_t>(host_tokens_.size());
  tokens_.upload(host_tokens_.data(), distinct_);
  offsets_.upload(host_offsets_.data(), distinct_ + 1);
  rows_.upload(host_rows_.data(), n);
}

void embedding_forward(const std::int32_t* tokens, std::int64_t n, const float* table,
                       std::int64_t d, float* y, cudaStream_t stream) {
  if (n * d == 0) return;
  embedding_forward_kernel<<<detail::elementwise_blocks(n * d, 256), 256, 0, stream>>>(
      tokens, n, table, d, y);
  check_launch("embedding_forward_kernel");
}

void embedding_backward(const TokenRows& rows, const float* dy, std::int64_t d, float* dtable,
                        cudaStream_t stream) {
  if (rows.distinct() == 0 || d == 0) return;
  const dim3 grid(static_cast<unsigned>(rows.distinct()), static_cast<unsigned>((d + 255) / 256));
  embedding_backward_kernel<<<grid, 256, 0, stream>>>(rows.tokens(), rows.offsets(), rows.rows(),
                                                      dy, d, dtable);
  check_launch("embedding_backward_kernel");
}

}  // namespace cairn::train::cuda
