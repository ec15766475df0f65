// The linear layer through cuBLASLt (bf16 operands, f32 accumulation) against
// train/cpu/linear.h: y = x W^T with a bf16 and an f32 output, dx = dy W, dW += dy^T x.
// Odd sizes (no tensor-core-friendly multiples), a larger aligned shape, and a weight
// that starts 128 bytes into its buffer, as weights do in the flat parameter buffer.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/cpu/linear.h"
#include "train/cuda/linear.h"

namespace cairn::train::test {
namespace {

using CudaLinear = CudaTest;

struct Shape {
  std::int64_t n, in, out, weight_offset;
};

void check_linear(CudaTest& t, cuda::Blas& blas, const Shape& s) {
  SCOPED_TRACE("n " + std::to_string(s.n) + ", in " + std::to_string(s.in) + ", out " +
               std::to_string(s.out) + ", weight offset " + std::to_string(s.weight_offset));
  const auto x = round_bf16(t.random(s.n * s.in));
  const auto W = round_bf16(t.random(s.out * s.in, 0.1));
  const auto dy = round_bf16(t.random(s.n * s.out));
  auto dW = t.random(s.out * s.in);  // accumulated into
  auto d_x = to_device_bf16(x);
  std::vector<float> w_padded(static_cast<std::size_t>(s.weight_offset), 0.f);
  w_padded.insert(w_padded.end(), W.begin(), W.end());
  auto d_w_buf = to_device_bf16(w_padded);
  const bf16* d_w = d_w_buf.get() + s.weight_offset;
  auto d_dy = to_device_bf16(dy);
  auto d_dW = to_device(dW);

  std::vector<float> y(s.n * s.out), dx(s.n * s.in);
  cpu::linear_forward(x.data(), W.data(), s.n, s.in, s.out, y.data());
  cpu::linear_backward(dy.data(), x.data(), W.data(), s.n, s.in, s.out, dx.data(), dW.data());

  auto d_y16 = poisoned<bf16>(s.n * s.out);
  auto d_y32 = poisoned<float>(s.n * s.out);
  auto d_dx = poisoned<bf16>(s.n * s.in);
  cuda::linear_forward(blas, d_x.get(), d_w, s.n, s.in, s.out, d_y16.get(), cuda::OutType::bfloat16, nullptr);
  cuda::linear_forward(blas, d_x.get(), d_w, s.n, s.in, s.out, d_y32.get(), cuda::OutType::float32, nullptr);
  cuda::linear_backward(blas, d_dy.get(), d_x.get(), d_w, s.n, s.in, s.out, d_dx.get(), d_dW.get(), nullptr);
  EXPECT_LE(rel_error(host_f32(d_y16), y), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_y32), y), kF32Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dx), dx), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dW), dW), kF32Tolerance);
}

TEST_F(CudaLinear, MatchesTheReferenceAtOddSizes) {
  cuda::Blas blas;
  check_linear(*this, blas, {37, 45, 29, 0});
  check_linear(*this, blas, {1, 7, 3, 0});
}

TEST_F(CudaLinear, MatchesTheReferenceAtAlignedSizesAndAnOffsetWeight) {
  cuda::Blas blas;
  check_linear(*this, blas, {256, 512, 384, 0});
  check_linear(*this, blas, {128, 64, 192, 64});  // 64 bf16 = 128 bytes: the layout's alignment
  check_linear(*this, blas, {128, 64, 192, 64});  // again: the cached plan
}

TEST_F(CudaLinear, BackwardWithoutAnInputGradientStillAccumulatesTheWeightGradient) {
  cuda::Blas blas;
  const std::int64_t n = 9, in = 5, out = 6;
  const auto x = round_bf16(random(n * in)), W = round_bf16(random(out * in)), dy = round_bf16(random(n * out));
  std::vector<float> dW(out * in, 0.f);
  auto d_x = to_device_bf16(x);
  auto d_w = to_device_bf16(W);
  auto d_dy = to_device_bf16(dy);
  auto d_dW = to_device(dW);
  cuda::linear_backward(blas, d_dy.get(), d_x.get(), d_w.get(), n, in, out, nullptr, d_dW.get(), nullptr);
  cpu::linear_backward(dy.data(), x.data(), W.data(), n, in, out, static_cast<float*>(nullptr), dW.data());
  EXPECT_LE(rel_error(host_f32(d_dW), dW), kF32Tolerance);
}

}  // namespace
}  // namespace cairn::train::test
