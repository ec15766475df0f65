// Forward facts of each op that hold whatever the gradients say: unit RMS after
// RMSNorm, causality of attention, RoPE's relative-position property, known values of
// the activations, a stable cross-entropy, and GEMMs equal to the textbook loops.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/error.h"
#include "tests/train/finite_difference.h"
#include "train/cpu/attention.h"
#include "train/cpu/cross_entropy.h"
#include "train/cpu/embedding.h"
#include "train/cpu/gemm.h"
#include "train/cpu/parallel.h"
#include "train/cpu/rmsnorm.h"
#include "train/cpu/rope.h"
#include "train/cpu/swiglu.h"
#include "train/cpu/xielu.h"

namespace cairn::train {
namespace {

using namespace cairn::train::cpu;
using test::random_vector;
using Vec = std::vector<double>;

TEST(OpForward, RmsNormRowsHaveUnitRms) {
  std::mt19937_64 rng(11);
  const std::int64_t n = 6, d = 32;
  Vec x = random_vector(n * d, rng, 5.0), w(d, 1.0), y(n * d), rstd(n);
  rmsnorm_forward(x.data(), w.data(), n, d, 1e-12, y.data(), rstd.data());
  for (std::int64_t i = 0; i < n; ++i) {
    double ss = 0;
    for (std::int64_t j = 0; j < d; ++j) ss += y[i * d + j] * y[i * d + j];
    EXPECT_NEAR(std::sqrt(ss / d), 1.0, 1e-9) << "row " << i;
  }
}

TEST(OpForward, AttentionRowZeroAttendsOnlyToItself) {
  std::mt19937_64 rng(12);
  const AttentionShape s{2, 6, 4, 2, 8};
  const std::int64_t N = s.batch * s.seq_len, hd = s.head_dim;
  Vec q = random_vector(N * s.heads * hd, rng), k = random_vector(N * s.kv_heads * hd, rng);
  Vec v = random_vector(k.size(), rng), o(q.size()), lse(s.batch * s.heads * s.seq_len);
  attention_forward(q.data(), k.data(), v.data(), s, o.data(), lse.data());
  for (std::int64_t b = 0; b < s.batch; ++b)
    for (std::int64_t h = 0; h < s.heads; ++h)
      for (std::int64_t d = 0; d < hd; ++d) {
        const std::int64_t g = h / (s.heads / s.kv_heads);
        EXPECT_DOUBLE_EQ(o[((b * s.seq_len) * s.heads + h) * hd + d],
                         v[((b * s.seq_len) * s.kv_heads + g) * hd + d]);
      }
  // Causality: changing the last position's keys and values leaves every earlier output.
  Vec o2(o.size());
  for (std::int64_t b = 0; b < s.batch; ++b)
    for (std::int64_t i = 0; i < s.kv_heads * hd; ++i) {
      k[((b * s.seq_len + s.seq_len - 1) * s.kv_heads) * hd + i] += 3.0;
      v[((b * s.seq_len + s.seq_len - 1) * s.kv_heads) * hd + i] -= 2.0;
    }
  attention_forward(q.data(), k.data(), v.data(), s, o2.data(), lse.data());
  for (std::int64_t b = 0; b < s.batch; ++b)
    for (std::int64_t t = 0; t < s.seq_len; ++t)
      for (std::int64_t i = 0; i < s.heads * hd; ++i) {
        const std::int64_t at = (b * s.seq_len + t) * s.heads * hd + i;
        if (t < s.seq_len - 1) {
          EXPECT_EQ(o[at], o2[at]) << "batch " << b << " position " << t;
        }
      }
  EXPECT_NE(o, o2) << "the last position must see its own new key and value";
}

TEST(OpForward, AttentionSoftmaxIsStableForLargeScores) {
  const AttentionShape s{1, 3, 1, 1, 2};
  Vec q = {1e3, 0, 1e3, 0, 1e3, 0}, k = {1e3, 0, 1e3, 0, -1e3, 0};
  Vec v = {1, 2, 3, 4, 5, 6}, o(6), lse(3);
  attention_forward(q.data(), k.data(), v.data(), s, o.data(), lse.data());
  for (double e : o) EXPECT_TRUE(std::isfinite(e));
  EXPECT_NEAR(o[4], 2.0, 1e-12);  // row 2: keys 0 and 1 tie, key 2 is e^-huge
  EXPECT_NEAR(o[5], 3.0, 1e-12);
}

TEST(OpForward, RopeIsRotationByRelativePosition) {
  std::mt19937_64 rng(13);
  const std::int64_t seq = 16, hd = 8;
  const auto table = make_rope_table<double>(seq, hd, 500000.0);
  // The same vector at every position: q(t) . k(s) must depend only on t - s.
  Vec base = random_vector(hd, rng), base2 = random_vector(hd, rng);
  Vec q(seq * hd), k(seq * hd);
  for (std::int64_t t = 0; t < seq; ++t)
    for (std::int64_t j = 0; j < hd; ++j) {
      q[t * hd + j] = base[j];
      k[t * hd + j] = base2[j];
    }
  rope_forward(q.data(), seq, 1, table, q.data());
  rope_forward(k.data(), seq, 1, table, k.data());
  auto qk = [&](std::int64_t t, std::int64_t s2) {
    double r = 0;
    for (std::int64_t j = 0; j < hd; ++j) r += q[t * hd + j] * k[s2 * hd + j];
    return r;
  };
  EXPECT_NEAR(qk(5, 2), qk(13, 10), 1e-12);
  EXPECT_NEAR(qk(7, 7), qk(0, 0), 1e-12);
  for (std::int64_t j = 0; j < hd; ++j) EXPECT_EQ(q[j], base[j]) << "position 0 is the identity";
  // Interleaved pairs: pair 0 of position 1 turns by exactly 1 radian.
  EXPECT_NEAR(q[hd + 0], base[0] * std::cos(1.0) - base[1] * std::sin(1.0), 1e-15);
  EXPECT_NEAR(q[hd + 1], base[0] * std::sin(1.0) + base[1] * std::cos(1.0), 1e-15);
}

TEST(OpForward, ActivationValues) {
  const Vec gu = {0.0, 2.0, 3.0, 5.0};  // g = [0, 2], u = [3, 5]
  Vec out(2);
  swiglu_forward(gu.data(), 1, 2, out.data());
  EXPECT_EQ(out[0], 0.0);
  EXPECT_NEAR(out[1], 2.0 / (1.0 + std::exp(-2.0)) * 5.0, 1e-15);

  // xIELU at its initial alphas (0.8): x = 1 gives 0.8 + 0.5; x = -1 gives
  // 0.8 (e^-1 - 1 + 1) - 0.5.
  const double a_p = xielu_initial_a_p(), a_n = xielu_initial_a_n();
  const Vec x = {1.0, -1.0, 0.0};
  Vec y(3);
  xielu_forward(x.data(), 3, a_p, a_n, y.data());
  EXPECT_NEAR(y[0], 1.3, 1e-12);
  EXPECT_NEAR(y[1], 0.8 * std::exp(-1.0) - 0.5, 1e-12);
  EXPECT_NEAR(y[2], 0.8 * std::expm1(-1e-6), 1e-15);  // min(0, -1e-6) guard
  // Inside the guard's sliver the gradient is beta - alpha_n, as autograd of Megatron's
  // expression gives; below it, alpha_n (e^x - 1) + beta.
  const Vec probe = {-5e-7, -1.0}, ones = {1.0, 1.0};
  Vec dx(2);
  double da_p = 0, da_n = 0;
  xielu_backward(ones.data(), probe.data(), 2, a_p, a_n, dx.data(), &da_p, &da_n);
  EXPECT_NEAR(dx[0], 0.5 - 0.8, 1e-12);
  EXPECT_NEAR(dx[1], 0.8 * std::expm1(-1.0) + 0.5, 1e-12);
  EXPECT_EQ(da_p, 0.0) << "no positive inputs: alpha_p gets no gradient";
}

TEST(OpForward, CrossEntropyValuesAndStability) {
  const std::int64_t vocab = 7;
  Vec z(2 * vocab, 0.0), lse(2);
  z[vocab + 2] = 1e4;  // row 1: a huge logit on its target
  const std::vector<std::int32_t> t = {4, 2};
  std::int64_t counted = 0;
  const double loss = cross_entropy_forward(z.data(), t.data(), 2, vocab, lse.data(), &counted);
  EXPECT_EQ(counted, 2);
  EXPECT_NEAR(loss, std::log(7.0) / 2.0, 1e-12);  // row 0: uniform; row 1: ~0
  const std::vector<std::int32_t> none = {-1, -1};
  EXPECT_EQ(cross_entropy_forward(z.data(), none.data(), 2, vocab, lse.data()), 0.0);
  const std::vector<std::int32_t> bad = {1, 7};
  EXPECT_THROW(cross_entropy_forward(z.data(), bad.data(), 2, vocab, lse.data()), Error);
}

TEST(OpForward, EmbeddingRejectsTokensOutsideTheVocabulary) {
  const Vec table(4 * 2, 1.0);
  Vec y(2 * 2);
  const std::vector<std::int32_t> tokens = {1, 4};
  try {
    embedding_forward(tokens.data(), 2, table.data(), 4, 2, y.data());
    FAIL() << "expected cairn::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
}

// Textbook triple loops, the reference for the blocked GEMMs.
TEST(OpForward, GemmsMatchNaiveLoopsForAnyThreadCount) {
  std::mt19937_64 rng(14);
  const std::int64_t m = 37, n = 70, k = 23;  // partial tiles everywhere
  const std::vector<float> A = [&] { auto v = random_vector(m * k, rng); return std::vector<float>(v.begin(), v.end()); }();
  const std::vector<float> Bt = [&] { auto v = random_vector(n * k, rng); return std::vector<float>(v.begin(), v.end()); }();
  std::vector<double> ref(m * n, 0.0);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < k; ++p) ref[i * n + j] += double(A[i * k + p]) * Bt[j * k + p];
  std::vector<float> c1(m * n), c3(m * n);
  set_cpu_threads(1);
  gemm_nt(A.data(), Bt.data(), m, n, k, c1.data());
  set_cpu_threads(3);
  gemm_nt(A.data(), Bt.data(), m, n, k, c3.data());
  for (std::int64_t i = 0; i < m * n; ++i) EXPECT_NEAR(c1[i], ref[i], 1e-4);
  EXPECT_EQ(c1, c3);

  const std::int64_t M = 301, N2 = 257, K = 129;
  auto big = [&](std::int64_t cnt) { auto v = random_vector(cnt, rng); return std::vector<float>(v.begin(), v.end()); };
  const auto A2 = big(K * M), B2 = big(K * N2);
  std::vector<float> d1(M * N2, 1.0f), d3(M * N2, 1.0f);
  set_cpu_threads(1);
  gemm_tn_acc(A2.data(), B2.data(), M, N2, K, d1.data());
  set_cpu_threads(3);
  gemm_tn_acc(A2.data(), B2.data(), M, N2, K, d3.data());
  set_cpu_threads(0);
  EXPECT_EQ(d1, d3) << "thread count changed the result";
  for (std::int64_t i : {std::int64_t{0}, M / 2, M - 1})
    for (std::int64_t j : {std::int64_t{0}, N2 - 1}) {
      double r = 1.0;
      for (std::int64_t p = 0; p < K; ++p) r += double(A2[p * M + i]) * B2[p * N2 + j];
      EXPECT_NEAR(d1[i * N2 + j], r, 1e-3) << i << "," << j;
    }
}

}  // namespace
}  // namespace cairn::train
