// The whole CPU decoder: gradient check in f64 against finite differences on a few
// random coordinates of every parameter tensor, for both MLP kinds, and float vs double.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "common/error.h"
#include "tests/train/finite_difference.h"
#include "train/init.h"
#include "train/model_cpu.h"

namespace cairn::train {
namespace {

struct Batch {
  std::vector<std::int32_t> inputs, targets;
};

Batch random_batch(std::int64_t n, std::int64_t vocab, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int32_t> tok(0, static_cast<std::int32_t>(vocab - 1));
  Batch b;
  for (std::int64_t i = 0; i < n; ++i) {
    b.inputs.push_back(tok(rng));
    b.targets.push_back(tok(rng));
  }
  b.targets[1] = -1;  // one masked target
  return b;
}

void check_model_gradient(const std::string& preset_name) {
  const auto c = preset(preset_name);
  const std::int64_t batch = 2, seq = 8;
  CpuModel<double> model(c, batch, seq);
  const auto& layout = model.layout();
  std::vector<double> params(layout.total_elements());
  init_parameters(c, layout, 7, params.data());
  // Move every parameter off its initial value (norm gains of exactly 1, tiny weights)
  // so each term of the gradient is exercised at a generic point.
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (const auto& e : layout.entries())
    for (std::int64_t i = 0; i < e.numel(); ++i) {
      double& p = params[e.offset + i];
      p += e.shape.size() == 2 ? 0.3 * noise(rng) : 0.2 * noise(rng);
    }
  const Batch b = random_batch(batch * seq, c.vocab, rng);

  std::vector<double> grads(params.size(), 0.0);
  model.forward(params.data(), b.inputs.data(), b.targets.data());
  model.backward(params.data(), grads.data());
  auto loss = [&] { return model.forward(params.data(), b.inputs.data(), b.targets.data()); };

  double worst = 0;
  for (const auto& e : layout.entries()) {
    // Three coordinates per tensor; for the embedding, rows of tokens that occur.
    std::vector<std::size_t> coords;
    std::uniform_int_distribution<std::int64_t> pick(0, e.numel() - 1);
    for (int k = 0; k < 3; ++k) {
      std::int64_t i = pick(rng);
      if (e.name == "embed.weight") i = b.inputs[k] * c.d_model + (i % c.d_model);
      coords.push_back(static_cast<std::size_t>(e.offset + i));
      if (e.numel() == 1) break;
    }
    const auto r = test::finite_difference_check(params, grads, loss, coords);
    worst = std::max(worst, r.rel_error());
    EXPECT_GT(r.max_abs_grad, 0.0) << preset_name << " " << e.name;
    EXPECT_LT(r.rel_error(), test::kFdRelTolerance) << preset_name << " " << e.name;
  }
  std::cout << "fd relative error  whole model " << preset_name << " (worst tensor): " << worst << "\n";
}

TEST(CpuModel, GradientMatchesFiniteDifferencesSwiGlu) { check_model_gradient("tiny"); }
TEST(CpuModel, GradientMatchesFiniteDifferencesXielu) { check_model_gradient("tiny-xielu"); }

TEST(CpuModel, FloatForwardTracksDouble) {
  const auto c = preset("tiny");
  CpuModel<float> mf(c, 2, 16);
  CpuModel<double> md(c, 2, 16);
  std::vector<float> pf(mf.layout().total_elements());
  std::vector<double> pd(pf.size());
  init_parameters(c, mf.layout(), 3, pf.data());
  init_parameters(c, md.layout(), 3, pd.data());
  std::mt19937_64 rng(5);
  const Batch b = random_batch(32, c.vocab, rng);
  const double lf = mf.forward(pf.data(), b.inputs.data(), b.targets.data());
  const double ld = md.forward(pd.data(), b.inputs.data(), b.targets.data());
  EXPECT_NEAR(lf, ld, 1e-5);
  // At initialisation the model is near uniform over 256 bytes: loss ~ log 256.
  EXPECT_NEAR(ld, std::log(256.0), 0.05);
}

TEST(CpuModel, RejectsBadShapesAndBackwardWithoutForward) {
  const auto c = preset("tiny");
  EXPECT_THROW(CpuModel<float>(c, 1, c.context + 1), Error);
  CpuModel<float> m(c, 1, 4);
  std::vector<float> p(m.layout().total_elements()), g(p.size());
  EXPECT_THROW(m.backward(p.data(), g.data()), Error);
}

}  // namespace
}  // namespace cairn::train
