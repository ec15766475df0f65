// The flash-style causal GQA attention kernels against train/cpu/attention.h: output
// and logsumexp forward, dq, dk, dv backward. Shapes cover every head-dim instance of
// the kernels (<= 32, 64, 128, 256 dims per row, none a multiple of 32), grouped and
// plain heads, and sequence lengths that end mid-tile.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/cpu/attention.h"
#include "train/cuda/attention.h"

namespace cairn::train::test {
namespace {

using CudaAttention = CudaTest;

void check_attention(CudaTest& t, const cpu::AttentionShape& s) {
  SCOPED_TRACE("batch " + std::to_string(s.batch) + ", seq_len " + std::to_string(s.seq_len) + ", heads " +
               std::to_string(s.heads) + "/" + std::to_string(s.kv_heads) + ", head_dim " +
               std::to_string(s.head_dim));
  const std::int64_t rows = s.batch * s.seq_len;
  const std::int64_t qn = rows * s.heads * s.head_dim, kvn = rows * s.kv_heads * s.head_dim;
  const std::int64_t lsen = s.batch * s.heads * s.seq_len;
  // Scores of a few units, so the softmax is neither flat nor one-hot.
  const auto q = round_bf16(t.random(qn, 1.5)), k = round_bf16(t.random(kvn, 1.5));
  const auto v = round_bf16(t.random(kvn)), dout = round_bf16(t.random(qn));
  auto d_q = to_device_bf16(q);
  auto d_k = to_device_bf16(k);
  auto d_v = to_device_bf16(v);
  auto d_o = poisoned<bf16>(qn);
  auto d_lse = poisoned<float>(lsen);
  cuda::attention_forward(d_q.get(), d_k.get(), d_v.get(), s, d_o.get(), d_lse.get(), nullptr);
  std::vector<float> o(qn), lse(lsen);
  cpu::attention_forward(q.data(), k.data(), v.data(), s, o.data(), lse.data());
  const auto gpu_o = host_f32(d_o);
  EXPECT_LE(rel_error(gpu_o, o), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_lse), lse), kF32Tolerance);

  // Backward from the GPU's own (bf16) output on both sides, so D_i = do_i . o_i agrees
  // and the comparison measures the gradient kernels alone.
  auto d_dout = to_device_bf16(dout);
  auto d_dq = poisoned<bf16>(qn);
  auto d_dk = poisoned<bf16>(kvn);
  auto d_dv = poisoned<bf16>(kvn);
  cuda::attention_backward(d_dout.get(), d_q.get(), d_k.get(), d_v.get(), d_o.get(), d_lse.get(), s, d_dq.get(),
                           d_dk.get(), d_dv.get(), nullptr);
  std::vector<float> dq(qn), dk(kvn), dv(kvn);
  cpu::attention_backward(dout.data(), q.data(), k.data(), v.data(), gpu_o.data(), lse.data(), s, dq.data(),
                          dk.data(), dv.data());
  // dq and dk are 0 where a row sees one key; 1e-2 is far below their typical RMS here
  // (inputs of unit scale) and far above f32 rounding of a zero.
  EXPECT_LE(rel_error(host_f32(d_dq), dq, 1e-2), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dk), dk, 1e-2), kBf16Tolerance);
  EXPECT_LE(rel_error(host_f32(d_dv), dv), kBf16Tolerance);
}

TEST_F(CudaAttention, GroupedHeadsSmallHeadDim) { check_attention(*this, {2, 67, 6, 2, 24}); }
TEST_F(CudaAttention, PlainHeadsMidSizedHeadDim) { check_attention(*this, {1, 45, 4, 4, 40}); }
TEST_F(CudaAttention, OneKvHeadHeadDimOver64) { check_attention(*this, {1, 70, 4, 1, 72}); }
TEST_F(CudaAttention, LargestHeadDim) { check_attention(*this, {1, 40, 2, 1, 160}); }
TEST_F(CudaAttention, SingleTokenAndSingleTileSequences) {
  check_attention(*this, {3, 1, 2, 1, 16});
  check_attention(*this, {2, 32, 2, 2, 64});
}

}  // namespace
}  // namespace cairn::train::test
