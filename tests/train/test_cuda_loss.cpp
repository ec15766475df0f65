// Cross-entropy with bf16 logits and f32 log-softmax on the GPU against
// train/cpu/cross_entropy.h: per-row logsumexp, the mean loss over counted targets
// (ignored rows left out), and the logit gradient written over the logits.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/cpu/cross_entropy.h"
#include "train/cuda/cross_entropy.h"

namespace cairn::train::test {
namespace {

using CudaCrossEntropy = CudaTest;

TEST_F(CudaCrossEntropy, LossAndGradientMatchTheReference) {
  const std::int64_t n = 29, vocab = 1031;
  const auto logits = round_bf16(random(n * vocab, 3.0));
  std::vector<std::int32_t> targets(n);
  for (auto& t : targets) t = random_int(0, static_cast<std::int32_t>(vocab) - 1);
  targets[3] = targets[17] = -1;  // ignored rows
  const std::int64_t counted = cpu::count_targets(targets.data(), n, vocab);
  ASSERT_EQ(counted, n - 2);

  auto d_logits = to_device_bf16(logits);
  auto d_targets = to_device(targets);
  auto d_lse = poisoned<float>(n);
  auto d_row_loss = poisoned<float>(n);
  auto d_loss = poisoned<float>(1);
  cuda::cross_entropy_forward(d_logits.get(), d_targets.get(), n, vocab, counted, d_lse.get(), d_row_loss.get(),
                              d_loss.get(), nullptr);
  std::vector<float> lse(n);
  const float loss = cpu::cross_entropy_forward(logits.data(), targets.data(), n, vocab, lse.data());
  EXPECT_LE(rel_error(host_f32(d_lse), lse), kF32Tolerance);
  EXPECT_LE(rel_error(host_f32(d_loss), {loss}), kF32Tolerance);

  // Backward in place over the logits, as the model runs it.
  const float dloss = 0.75f;
  cuda::cross_entropy_backward(d_logits.get(), d_targets.get(), d_lse.get(), n, vocab, counted, dloss,
                               d_logits.get(), nullptr);
  std::vector<float> dlogits(n * vocab);
  cpu::cross_entropy_backward(logits.data(), targets.data(), lse.data(), n, vocab, dloss, dlogits.data());
  const auto gpu_dlogits = host_f32(d_logits);
  EXPECT_LE(rel_error(gpu_dlogits, dlogits), kBf16Tolerance);
  for (std::int64_t v = 0; v < vocab; ++v) ASSERT_EQ(gpu_dlogits[3 * vocab + v], 0.f) << "ignored row 3";
}

TEST_F(CudaCrossEntropy, EveryTargetIgnoredGivesZeroLoss) {
  const std::int64_t n = 4, vocab = 7;
  const auto logits = round_bf16(random(n * vocab));
  const std::vector<std::int32_t> targets(n, -1);
  auto d_logits = to_device_bf16(logits);
  auto d_targets = to_device(targets);
  auto d_lse = poisoned<float>(n);
  auto d_row_loss = poisoned<float>(n);
  auto d_loss = poisoned<float>(1);
  cuda::cross_entropy_forward(d_logits.get(), d_targets.get(), n, vocab, 0, d_lse.get(), d_row_loss.get(),
                              d_loss.get(), nullptr);
  EXPECT_EQ(host_f32(d_loss)[0], 0.f);
}

}  // namespace
}  // namespace cairn::train::test
