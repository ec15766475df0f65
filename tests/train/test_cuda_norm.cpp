// RMSNorm (f32 residual stream in, bf16 out; f32 gradient) and QK-norm (bf16 heads) on
// the GPU against train/cpu/rmsnorm.h and train/cpu/qk_norm.h.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/cpu/qk_norm.h"
#include "train/cpu/rmsnorm.h"
#include "train/cuda/qk_norm.h"
#include "train/cuda/rmsnorm.h"

namespace cairn::train::test {
namespace {

using CudaNorm = CudaTest;

std::vector<float> gains(CudaTest& t, std::int64_t d) {
  auto w = t.random(d, 0.2);
  for (auto& e : w) e += 1.0f;
  return w;
}

TEST_F(CudaNorm, RmsnormOnTheResidualStreamMatchesTheReference) {
  const std::int64_t n = 37, d = 203;
  const float eps = 1e-5f;
  const auto x = random(n * d, 3.0);
  const auto w = gains(*this, d);
  auto d_x = to_device(x);
  auto d_w = to_device(w);
  auto d_y = poisoned<bf16>(n * d);
  auto d_rstd = poisoned<float>(n);
  cuda::rmsnorm_forward<float>(d_x.get(), d_w.get(), n, d, eps, d_y.get(), d_rstd.get(), nullptr);
  std::vector<float> y(n * d), rstd(n);
  cpu::rmsnorm_forward(x.data(), w.data(), n, d, eps, y.data(), rstd.data());
  EXPECT_LE(rel_error(host_f32(d_y), y), kBf16Tolerance);
  const auto gpu_rstd = host_f32(d_rstd);
  EXPECT_LE(rel_error(gpu_rstd, rstd), kF32Tolerance);

  const auto dy = round_bf16(random(n * d));
  auto dw = random(d);  // accumulated into
  auto d_dy = to_device_bf16(dy);
  auto d_dw = to_device(dw);
  auto d_dx = poisoned<float>(n * d);
  cuda::rmsnorm_backward<float>(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), n, d, d_dx.get(), d_dw.get(),
                                nullptr);
  std::vector<float> dx(n * d);
  cpu::rmsnorm_backward(dy.data(), x.data(), w.data(), rstd.data(), n, d, dx.data(), dw.data());
  EXPECT_LE(rel_error(host_f32(d_dx), dx), kF32Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dw), dw), kF32Tolerance);
}

TEST_F(CudaNorm, QkNormMatchesTheReferenceAlsoInPlace) {
  const std::int64_t n = 19, heads = 3, hd = 24;
  const float eps = 1e-5f;
  const auto x = round_bf16(random(n * heads * hd, 2.0));
  const auto w = gains(*this, hd);
  auto d_x = to_device_bf16(x);
  auto d_w = to_device(w);
  auto d_y = poisoned<bf16>(n * heads * hd);
  auto d_rstd = poisoned<float>(n * heads);
  cuda::qk_norm_forward(d_x.get(), d_w.get(), n, heads, hd, eps, d_y.get(), d_rstd.get(), nullptr);
  std::vector<float> y(x.size()), rstd(n * heads);
  cpu::qk_norm_forward(x.data(), w.data(), n, heads, hd, eps, y.data(), rstd.data());
  EXPECT_LE(rel_error(host_f32(d_y), y), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_rstd), rstd), kF32Tolerance);

  // Backward in place (dx over dy), as the model runs it.
  const auto dy = round_bf16(random(n * heads * hd));
  auto dw = random(hd);
  auto d_grad = to_device_bf16(dy);
  auto d_dw = to_device(dw);
  cuda::qk_norm_backward(d_grad.get(), d_x.get(), d_w.get(), d_rstd.get(), n, heads, hd, d_grad.get(),
                         d_dw.get(), nullptr);
  std::vector<float> dx(x.size());
  cpu::qk_norm_backward(dy.data(), x.data(), w.data(), rstd.data(), n, heads, hd, dx.data(), dw.data());
  EXPECT_LE(rel_error(host_f32(d_grad), dx), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dw), dw), kF32Tolerance);
}

TEST_F(CudaNorm, GainGradientSumsOverManyRowChunks) {
  // More rows than one 64-row chunk holds, and a width that is not a multiple of 32.
  const std::int64_t n = 1000, d = 45;
  const auto x = random(n * d);
  const auto w = gains(*this, d);
  std::vector<float> y(n * d), rstd(n), dx(n * d), dw(d, 0.f);
  cpu::rmsnorm_forward(x.data(), w.data(), n, d, 1e-5f, y.data(), rstd.data());
  const auto dy = round_bf16(random(n * d));
  auto d_x = to_device(x);
  auto d_w = to_device(w);
  auto d_rstd = to_device(rstd);
  auto d_dy = to_device_bf16(dy);
  auto d_dx = poisoned<float>(n * d);
  auto d_dw = to_device(dw);
  cuda::rmsnorm_backward<float>(d_dy.get(), d_x.get(), d_w.get(), d_rstd.get(), n, d, d_dx.get(), d_dw.get(),
                                nullptr);
  cpu::rmsnorm_backward(dy.data(), x.data(), w.data(), rstd.data(), n, d, dx.data(), dw.data());
  EXPECT_LE(rel_error(host_f32(d_dx), dx), kF32Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dw), dw), kF32Tolerance);
}

}  // namespace
}  // namespace cairn::train::test
