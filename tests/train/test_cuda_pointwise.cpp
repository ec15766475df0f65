// CUDA ops that act row by row or element by element, each against its CPU reference
// (train/cpu/) on fresh random inputs of odd sizes: embedding, RoPE, SwiGLU, xIELU,
// the residual add, and the copies the GPU model adds (bf16 casts, the qkv split).
#include <algorithm>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/train/cuda_test_util.h"
#include "train/cpu/embedding.h"
#include "train/cpu/residual.h"
#include "train/cpu/rope.h"
#include "train/cpu/swiglu.h"
#include "train/cpu/xielu.h"
#include "train/cuda/convert.h"
#include "train/cuda/embedding.h"
#include "train/cuda/residual.h"
#include "train/cuda/rope.h"
#include "train/cuda/swiglu.h"
#include "train/cuda/xielu.h"

namespace cairn::train::test {
namespace {

using CudaPointwise = CudaTest;

TEST_F(CudaPointwise, EmbeddingForwardAndBackwardMatchTheReference) {
  const std::int64_t n = 77, vocab = 53, d = 67;
  std::vector<std::int32_t> tokens(n);
  for (auto& t : tokens) t = random_int(0, static_cast<std::int32_t>(vocab) - 1);
  tokens[5] = tokens[40] = tokens[76];  // a token repeated far apart: rows add in order
  const auto table = random(vocab * d);
  auto d_tokens = to_device(tokens);
  auto d_table = to_device(table);
  auto d_y = poisoned<float>(n * d);
  cuda::embedding_forward(d_tokens.get(), n, d_table.get(), d, d_y.get(), nullptr);
  std::vector<float> ref(n * d);
  cpu::embedding_forward(tokens.data(), n, table.data(), vocab, d, ref.data());
  EXPECT_EQ(host_f32(d_y), ref);  // a copy: exact

  const auto dy = random(n * d);
  auto dtable_ref = random(vocab * d);  // backward accumulates into what is there
  auto d_dy = to_device(dy);
  auto d_dtable = to_device(dtable_ref);
  cuda::TokenRows rows(n);
  rows.build(tokens.data(), n, vocab);
  cuda::embedding_backward(rows, d_dy.get(), d, d_dtable.get(), nullptr);
  cpu::embedding_backward(tokens.data(), n, dy.data(), vocab, d, dtable_ref.data());
  EXPECT_LE(rel_error(host_f32(d_dtable), dtable_ref), kF32Tolerance);
}

TEST_F(CudaPointwise, EmbeddingRowsRejectATokenOutsideTheVocabulary) {
  cuda::TokenRows rows(4);
  const std::int32_t bad[4] = {1, 2, 9, 3};
  try {
    rows.build(bad, 4, 9);
    FAIL() << "token 9 of a 9-token vocabulary was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 2"), std::string::npos) << e.what();
  }
}

TEST_F(CudaPointwise, RopeForwardAndBackwardMatchTheReference) {
  const std::int64_t seq_len = 13, batch = 3, heads = 5, hd = 18, n = seq_len * batch;
  const auto cpu_table = cpu::make_rope_table<float>(seq_len, hd, 500000.0);
  const auto table = cuda::upload_rope_table(cpu_table);
  for (bool backward : {false, true}) {
    SCOPED_TRACE(backward ? "backward" : "forward");
    const auto x = round_bf16(random(n * heads * hd));
    auto d_x = to_device_bf16(x);
    auto d_y = poisoned<bf16>(n * heads * hd);
    std::vector<float> ref(x.size());
    if (backward) {
      cuda::rope_backward(d_x.get(), n, heads, table, d_y.get(), nullptr);
      cpu::rope_backward(x.data(), n, heads, cpu_table, ref.data());
    } else {
      cuda::rope_forward(d_x.get(), n, heads, table, d_y.get(), nullptr);
      cpu::rope_forward(x.data(), n, heads, cpu_table, ref.data());
    }
    EXPECT_LE(rel_error(host_f32(d_y), ref), kBf16Tolerance);
    // In place, as the model runs it.
    if (backward)
      cuda::rope_backward(d_x.get(), n, heads, table, d_x.get(), nullptr);
    else
      cuda::rope_forward(d_x.get(), n, heads, table, d_x.get(), nullptr);
    EXPECT_LE(rel_error(host_f32(d_x), ref), kBf16Tolerance);
  }
}

TEST_F(CudaPointwise, SwigluForwardAndBackwardMatchTheReference) {
  const std::int64_t n = 31, ffn = 45;
  const auto gu = round_bf16(random(n * 2 * ffn, 2.0));
  const auto dout = round_bf16(random(n * ffn));
  auto d_gu = to_device_bf16(gu);
  auto d_dout = to_device_bf16(dout);
  auto d_out = poisoned<bf16>(n * ffn);
  auto d_dgu = poisoned<bf16>(n * 2 * ffn);
  cuda::swiglu_forward(d_gu.get(), n, ffn, d_out.get(), nullptr);
  cuda::swiglu_backward(d_dout.get(), d_gu.get(), n, ffn, d_dgu.get(), nullptr);
  std::vector<float> out(n * ffn), dgu(n * 2 * ffn);
  cpu::swiglu_forward(gu.data(), n, ffn, out.data());
  cpu::swiglu_backward(dout.data(), gu.data(), n, ffn, dgu.data());
  EXPECT_LE(rel_error(host_f32(d_out), out), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dgu), dgu), kBf16Tolerance);
}

TEST_F(CudaPointwise, XieluForwardAndBackwardMatchTheReference) {
  const std::int64_t count = 1031;
  auto x_raw = random(count, 2.0);
  // The three branches' edges: zero, inside Megatron's (-1e-6, 0] guard, just below it.
  x_raw[0] = 0.f;
  x_raw[1] = -5e-7f;
  x_raw[2] = -2e-6f;
  const auto x = round_bf16(x_raw);
  const auto dy = round_bf16(random(count));
  const float a_p = static_cast<float>(cpu::xielu_initial_a_p()) + random(1, 0.3)[0];
  const float a_n = static_cast<float>(cpu::xielu_initial_a_n()) + random(1, 0.3)[0];
  const std::vector<float> scalars = {a_p, a_n};
  std::vector<float> grads_ref = random(2);  // accumulated into
  auto d_x = to_device_bf16(x);
  auto d_dy = to_device_bf16(dy);
  auto d_scalars = to_device(scalars);
  auto d_grads = to_device(grads_ref);
  auto d_y = poisoned<bf16>(count);
  auto d_dx = poisoned<bf16>(count);
  cuda::xielu_forward(d_x.get(), count, d_scalars.get(), d_scalars.get() + 1, d_y.get(), nullptr);
  cuda::xielu_backward(d_dy.get(), d_x.get(), count, d_scalars.get(), d_scalars.get() + 1, d_dx.get(),
                       d_grads.get(), d_grads.get() + 1, nullptr);
  std::vector<float> y(count), dx(count);
  cpu::xielu_forward(x.data(), count, a_p, a_n, y.data());
  cpu::xielu_backward(dy.data(), x.data(), count, a_p, a_n, dx.data(), &grads_ref[0], &grads_ref[1]);
  EXPECT_LE(rel_error(host_f32(d_y), y), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dx), dx), kBf16Tolerance);
  const auto grads = host_f32(d_grads);
  EXPECT_LE(rel_error({grads[0]}, {grads_ref[0]}), kF32Tolerance);
  EXPECT_LE(rel_error({grads[1]}, {grads_ref[1]}), kF32Tolerance);
}

TEST_F(CudaPointwise, ResidualAddForwardAndBackwardMatchTheReference) {
  const std::int64_t count = 1001;
  const auto x = random(count), r = random(count);
  auto stream_grad = random(count);
  const auto branch_grad = random(count);
  auto d_x = to_device(x);
  auto d_r = to_device(r);
  auto d_y = poisoned<float>(count);
  cuda::residual_add_forward(d_x.get(), d_r.get(), count, d_y.get(), nullptr);
  std::vector<float> y(count);
  cpu::residual_add_forward(x.data(), r.data(), count, y.data());
  EXPECT_EQ(host_f32(d_y), y);  // one rounding each side: exact

  auto d_stream = to_device(stream_grad);
  auto d_branch = to_device(branch_grad);
  cuda::residual_add_backward(d_branch.get(), count, d_stream.get(), nullptr);
  cpu::residual_add_backward(branch_grad.data(), count, stream_grad.data());
  EXPECT_EQ(host_f32(d_stream), stream_grad);
}

TEST_F(CudaPointwise, Bf16CastRoundsToNearestEvenAsTheHost) {
  const std::int64_t count = 999;
  auto x = random(count, 100.0);
  x[0] = 1.0f + 1.0f / 256;  // halfway between two bf16 values: ties go to even (1.0)
  auto d_x = to_device(x);
  auto d_y = poisoned<bf16>(count);
  cuda::convert_to_bf16(d_x.get(), count, d_y.get(), nullptr);
  const auto y = host_f32(d_y);
  EXPECT_EQ(y, round_bf16(x));
  EXPECT_EQ(y[0], 1.0f);
}

TEST_F(CudaPointwise, QkvSplitAndMergeAreInverse) {
  const std::int64_t n = 11, qd = 24, kvd = 8, w = qd + 2 * kvd;
  const auto qkv = round_bf16(random(n * w));
  auto d_qkv = to_device_bf16(qkv);
  auto d_q = poisoned<bf16>(n * qd);
  auto d_k = poisoned<bf16>(n * kvd);
  auto d_v = poisoned<bf16>(n * kvd);
  cuda::split_qkv(d_qkv.get(), n, qd, kvd, d_q.get(), d_k.get(), d_v.get(), nullptr);
  const auto q = host_f32(d_q), k = host_f32(d_k), v = host_f32(d_v);
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(std::equal(q.begin() + i * qd, q.begin() + (i + 1) * qd, qkv.begin() + i * w)) << "row " << i;
    EXPECT_TRUE(std::equal(k.begin() + i * kvd, k.begin() + (i + 1) * kvd, qkv.begin() + i * w + qd)) << "row " << i;
    EXPECT_TRUE(std::equal(v.begin() + i * kvd, v.begin() + (i + 1) * kvd, qkv.begin() + i * w + qd + kvd))
        << "row " << i;
  }
  auto d_merged = poisoned<bf16>(n * w);
  cuda::merge_qkv(d_q.get(), d_k.get(), d_v.get(), n, qd, kvd, d_merged.get(), nullptr);
  EXPECT_EQ(host_f32(d_merged), qkv);
}

}  // namespace
}  // namespace cairn::train::test
