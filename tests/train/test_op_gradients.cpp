// Every CPU op's backward against central finite differences in f64 on random inputs
// (tests/train/finite_difference.h: relative error bound kFdRelTolerance = 1e-6). Each
// loss is L = <w, op(x)> for a fixed random w, so backward is fed dy = w.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <string>

#include "tests/train/finite_difference.h"
#include "train/cpu/attention.h"
#include "train/cpu/cross_entropy.h"
#include "train/cpu/embedding.h"
#include "train/cpu/linear.h"
#include "train/cpu/qk_norm.h"
#include "train/cpu/residual.h"
#include "train/cpu/rmsnorm.h"
#include "train/cpu/rope.h"
#include "train/cpu/swiglu.h"
#include "train/cpu/xielu.h"

namespace cairn::train {
namespace {

using namespace cairn::train::cpu;
using test::dot;
using test::finite_difference_check;
using test::random_vector;
using Vec = std::vector<double>;

void expect_close(const std::string& what, const test::FdResult& r) {
  std::cout << "fd relative error  " << what << ": " << r.rel_error() << "\n";
  EXPECT_GT(r.max_abs_grad, 0.0) << what << ": gradient is identically zero";
  EXPECT_LT(r.rel_error(), test::kFdRelTolerance) << what;
}

TEST(OpGradients, Embedding) {
  std::mt19937_64 rng(1);
  const std::int64_t n = 7, vocab = 5, d = 3;
  const std::vector<std::int32_t> tokens = {0, 3, 3, 1, 4, 3, 0};  // repeats add up
  Vec table = random_vector(vocab * d, rng), w = random_vector(n * d, rng), y(n * d);
  auto loss = [&] {
    embedding_forward(tokens.data(), n, table.data(), vocab, d, y.data());
    return dot(w, y);
  };
  Vec dtable(table.size(), 0.0);
  embedding_backward(tokens.data(), n, w.data(), vocab, d, dtable.data());
  expect_close("embedding dtable", finite_difference_check(table, dtable, loss));
}

TEST(OpGradients, RmsNorm) {
  std::mt19937_64 rng(2);
  const std::int64_t n = 5, d = 8;
  Vec x = random_vector(n * d, rng), wt = random_vector(d, rng), w = random_vector(n * d, rng);
  Vec y(n * d), rstd(n);
  auto loss = [&] {
    rmsnorm_forward(x.data(), wt.data(), n, d, 1e-5, y.data(), rstd.data());
    return dot(w, y);
  };
  loss();
  Vec dx(x.size()), dwt(d, 0.0);
  rmsnorm_backward(w.data(), x.data(), wt.data(), rstd.data(), n, d, dx.data(), dwt.data());
  expect_close("rmsnorm dx", finite_difference_check(x, dx, loss));
  expect_close("rmsnorm dweight", finite_difference_check(wt, dwt, loss));
}

TEST(OpGradients, QkNorm) {
  std::mt19937_64 rng(3);
  const std::int64_t n = 4, heads = 3, hd = 6;
  Vec x = random_vector(n * heads * hd, rng), wt = random_vector(hd, rng);
  Vec w = random_vector(x.size(), rng), y(x.size()), rstd(n * heads);
  auto loss = [&] {
    qk_norm_forward(x.data(), wt.data(), n, heads, hd, 1e-5, y.data(), rstd.data());
    return dot(w, y);
  };
  loss();
  Vec dx(x.size()), dwt(hd, 0.0);
  qk_norm_backward(w.data(), x.data(), wt.data(), rstd.data(), n, heads, hd, dx.data(), dwt.data());
  expect_close("qk_norm dx", finite_difference_check(x, dx, loss));
  expect_close("qk_norm dweight", finite_difference_check(wt, dwt, loss));
}

TEST(OpGradients, Linear) {
  std::mt19937_64 rng(4);
  // Odd sizes: partial register tiles in every dimension of the GEMMs.
  const std::int64_t n = 9, in = 7, out = 69;
  Vec x = random_vector(n * in, rng), W = random_vector(out * in, rng);
  Vec w = random_vector(n * out, rng), y(n * out);
  auto loss = [&] {
    linear_forward(x.data(), W.data(), n, in, out, y.data());
    return dot(w, y);
  };
  Vec dx(x.size()), dW(W.size(), 0.0);
  linear_backward(w.data(), x.data(), W.data(), n, in, out, dx.data(), dW.data());
  expect_close("linear dx", finite_difference_check(x, dx, loss));
  expect_close("linear dW", finite_difference_check(W, dW, loss));
}

TEST(OpGradients, Rope) {
  std::mt19937_64 rng(5);
  const std::int64_t seq = 4, n = 2 * seq, heads = 2, hd = 8;
  const auto table = make_rope_table<double>(seq, hd, 10000.0);
  Vec x = random_vector(n * heads * hd, rng), w = random_vector(x.size(), rng), y(x.size());
  auto loss = [&] {
    rope_forward(x.data(), n, heads, table, y.data());
    return dot(w, y);
  };
  Vec dx(x.size());
  rope_backward(w.data(), n, heads, table, dx.data());
  expect_close("rope dx", finite_difference_check(x, dx, loss));
}

TEST(OpGradients, CausalGroupedQueryAttention) {
  std::mt19937_64 rng(6);
  const AttentionShape s{2, 5, 4, 2, 6};  // batch, seq, heads, kv heads (groups of 2), hd
  const std::int64_t N = s.batch * s.seq_len;
  Vec q = random_vector(N * s.heads * s.head_dim, rng);
  Vec k = random_vector(N * s.kv_heads * s.head_dim, rng);
  Vec v = random_vector(k.size(), rng), w = random_vector(q.size(), rng);
  Vec o(q.size()), lse(s.batch * s.heads * s.seq_len);
  auto loss = [&] {
    attention_forward(q.data(), k.data(), v.data(), s, o.data(), lse.data());
    return dot(w, o);
  };
  loss();
  Vec dq(q.size()), dk(k.size()), dv(v.size());
  attention_backward(w.data(), q.data(), k.data(), v.data(), o.data(), lse.data(), s, dq.data(),
                     dk.data(), dv.data());
  expect_close("attention dq", finite_difference_check(q, dq, loss));
  expect_close("attention dk", finite_difference_check(k, dk, loss));
  expect_close("attention dv", finite_difference_check(v, dv, loss));
}

TEST(OpGradients, SwiGlu) {
  std::mt19937_64 rng(7);
  const std::int64_t n = 4, ffn = 6;
  Vec gu = random_vector(n * 2 * ffn, rng, 2.0), w = random_vector(n * ffn, rng), y(n * ffn);
  auto loss = [&] {
    swiglu_forward(gu.data(), n, ffn, y.data());
    return dot(w, y);
  };
  Vec dgu(gu.size());
  swiglu_backward(w.data(), gu.data(), n, ffn, dgu.data());
  expect_close("swiglu d[g;u]", finite_difference_check(gu, dgu, loss));
}

TEST(OpGradients, Xielu) {
  std::mt19937_64 rng(8);
  const std::int64_t n = 40;
  Vec x = random_vector(n, rng, 2.0);
  // Finite differences straddling the kink at eps = -1e-6 measure the kink, not the
  // gradient: keep inputs clear of [-1e-3, 1e-3] (the kink itself is checked in
  // test_op_forward.cpp).
  for (auto& e : x)
    if (std::abs(e) < 1e-3) e = 0.5;
  Vec a = {0.3, -0.7};  // a_p, a_n away from the initial values, so both paths matter
  Vec w = random_vector(n, rng), y(n);
  auto loss = [&] {
    xielu_forward(x.data(), n, a[0], a[1], y.data());
    return dot(w, y);
  };
  Vec dx(n), da = {0.0, 0.0};
  xielu_backward(w.data(), x.data(), n, a[0], a[1], dx.data(), &da[0], &da[1]);
  expect_close("xielu dx", finite_difference_check(x, dx, loss));
  expect_close("xielu d(a_p, a_n)", finite_difference_check(a, da, loss));
}

TEST(OpGradients, CrossEntropy) {
  std::mt19937_64 rng(9);
  const std::int64_t n = 6, vocab = 11;
  const std::vector<std::int32_t> targets = {3, 0, 10, -1, 7, 3};  // row 3 ignored
  Vec z = random_vector(n * vocab, rng, 3.0), lse(n);
  const double dloss = 0.7;
  auto loss = [&] { return dloss * cross_entropy_forward(z.data(), targets.data(), n, vocab, lse.data()); };
  loss();
  Vec dz(z.size());
  cross_entropy_backward(z.data(), targets.data(), lse.data(), n, vocab, dloss, dz.data());
  expect_close("cross_entropy dlogits", finite_difference_check(z, dz, loss));
  for (std::int64_t v = 0; v < vocab; ++v) EXPECT_EQ(dz[3 * vocab + v], 0.0) << "ignored row";
}

TEST(OpGradients, ResidualAdd) {
  std::mt19937_64 rng(10);
  const std::int64_t n = 12;
  Vec x = random_vector(n, rng), r = random_vector(n, rng), w = random_vector(n, rng), y(n);
  // L = <w, x + r>: the stream gradient w reaches x directly and r through the branch.
  auto loss = [&] {
    residual_add_forward(x.data(), r.data(), n, y.data());
    return dot(w, y);
  };
  Vec dx = w, dr = w;  // backward: dx = dy, dr = dy; rejoining adds dr into the stream
  Vec dstream(n, 0.0);
  residual_add_backward(dr.data(), n, dstream.data());
  expect_close("residual dx", finite_difference_check(x, dx, loss));
  expect_close("residual dbranch (rejoined)", finite_difference_check(r, dstream, loss));
}

}  // namespace
}  // namespace cairn::train
