// AdamW and global-norm clipping on the GPU against train/optim/: one AdamW step over
// the tiny model's layout (per-entry weight decay, padding untouched, the bf16 working
// copy refreshed), the two-pass global norm, and clipping above and below the limit.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/config.h"
#include "train/cuda/adamw.h"
#include "train/cuda/grad_clip.h"
#include "train/optim/adamw.h"
#include "train/optim/grad_clip.h"
#include "train/parameter_layout.h"

namespace cairn::train::test {
namespace {

using CudaOptim = CudaTest;

TEST_F(CudaOptim, AdamwStepMatchesTheReference) {
  const ParameterLayout layout(preset("tiny-xielu"));
  const std::int64_t n = layout.total_elements();
  auto params = random(n), m = random(n, 0.01), v = random(n, 1e-4);
  for (auto& e : v) e = e * e;  // second moments are non-negative
  const auto grads = random(n, 0.1);
  AdamWHyper h;
  h.lr = 3e-3;
  h.weight_decay = 0.1;
  const std::int64_t step = 3;
  auto d_params = to_device(params), d_m = to_device(m), d_v = to_device(v);
  auto d_grads = to_device(grads);
  auto d_bf16 = poisoned<bf16>(n);
  cuda::adamw_step(layout, d_params.get(), d_grads.get(), d_m.get(), d_v.get(), h, step, d_bf16.get(), nullptr);
  const auto before = params;
  adamw_step(layout, params.data(), grads.data(), m.data(), v.data(), h, step);
  const auto gpu_params = host_f32(d_params);
  EXPECT_LE(rel_error(gpu_params, params), 1e-6);
  EXPECT_LE(rel_error(host_f32(d_m), m), 1e-6);
  EXPECT_LE(rel_error(host_f32(d_v), v), 1e-6);
  // Padding between tensors is left as it was; every parameter's bf16 copy is written.
  const auto copy = host_f32(d_bf16);
  const auto rounded = round_bf16(gpu_params);
  std::vector<bool> in_tensor(static_cast<std::size_t>(n), false);
  for (const auto& e : layout.entries())
    for (std::int64_t i = e.offset; i < e.offset + e.numel(); ++i) in_tensor[static_cast<std::size_t>(i)] = true;
  std::int64_t padding = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (in_tensor[u]) {
      ASSERT_EQ(copy[u], rounded[u]) << "element " << i;
    } else {
      ++padding;
      ASSERT_EQ(gpu_params[u], before[u]) << "padding element " << i << " changed";
    }
  }
  EXPECT_GT(padding, 0) << "tiny-xielu's layout has padding (its scalars) to check";
}

TEST_F(CudaOptim, GlobalNormAndClippingMatchTheReference) {
  const std::int64_t n = 300007;  // more than the 1024 x 256 threads of the first pass
  auto grads = random(n, 0.01);
  auto d_grads = to_device(grads);
  const double norm = global_norm(grads.data(), n);
  EXPECT_NEAR(cuda::global_norm(d_grads.get(), n, nullptr), norm, 1e-10 * norm);

  // Above the limit: scaled to it.
  const double gpu_norm = cuda::clip_grad_norm(d_grads.get(), n, norm / 3, nullptr);
  EXPECT_NEAR(gpu_norm, norm, 1e-10 * norm);
  clip_grad_norm(grads.data(), n, norm / 3);
  const auto clipped = host_f32(d_grads);
  EXPECT_LE(rel_error(clipped, grads), 1e-6);
  EXPECT_NEAR(global_norm(clipped.data(), n), norm / 3, 1e-5 * norm);

  // Below the limit, and with clipping off: untouched.
  cuda::clip_grad_norm(d_grads.get(), n, norm, nullptr);
  cuda::clip_grad_norm(d_grads.get(), n, 0.0, nullptr);
  EXPECT_EQ(host_f32(d_grads), clipped);
}

}  // namespace
}  // namespace cairn::train::test
