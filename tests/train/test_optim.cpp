// AdamW against its closed form, and global-norm clipping.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "train/config.h"
#include "train/optim/adamw.h"
#include "train/optim/grad_clip.h"

namespace cairn::train {
namespace {

TEST(AdamW, FirstStepIsSignedLearningRatePlusDecay) {
  // Step 1: m_hat = g and v_hat = g^2, so p1 = p0 - lr (g / (|g| + eps) + wd p0).
  const AdamWHyper h{.lr = 0.01, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1};
  std::vector<float> p = {1.0f, -2.0f, 0.5f, 3.0f}, g = {0.3f, -4.0f, 1e-3f, 0.0f};
  std::vector<float> m(4, 0.0f), v(4, 0.0f);
  const auto p0 = p;
  adamw_update(p.data(), g.data(), m.data(), v.data(), 4, h, 1, h.weight_decay);
  for (int i = 0; i < 4; ++i) {
    const double gi = g[i];
    const double expect = p0[i] - h.lr * (gi / (std::abs(gi) + h.eps) + h.weight_decay * p0[i]);
    EXPECT_NEAR(p[i], expect, 1e-6) << i;
    EXPECT_NEAR(m[i], 0.1 * gi, 1e-6 * std::abs(gi));
    EXPECT_NEAR(v[i], 0.05 * gi * gi, 1e-6 * gi * gi);
  }
}

TEST(AdamW, SecondStepMatchesTheFormulaInDouble) {
  const AdamWHyper h{.lr = 3e-3, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.05};
  const std::vector<double> g1 = {0.5, -0.25, 2.0}, g2 = {-0.1, -0.3, 1.0};
  std::vector<float> p = {0.2f, 0.7f, -1.1f}, m(3, 0.0f), v(3, 0.0f);
  std::vector<double> pd(p.begin(), p.end()), md(3, 0.0), vd(3, 0.0);
  for (int t = 1; t <= 2; ++t) {
    const auto& g = t == 1 ? g1 : g2;
    const std::vector<float> gf(g.begin(), g.end());
    adamw_update(p.data(), gf.data(), m.data(), v.data(), 3, h, t, h.weight_decay);
    for (int i = 0; i < 3; ++i) {
      md[i] = h.beta1 * md[i] + (1 - h.beta1) * g[i];
      vd[i] = h.beta2 * vd[i] + (1 - h.beta2) * g[i] * g[i];
      const double mh = md[i] / (1 - std::pow(h.beta1, t)), vh = vd[i] / (1 - std::pow(h.beta2, t));
      pd[i] = pd[i] - h.lr * (mh / (std::sqrt(vh) + h.eps) + h.weight_decay * pd[i]);
    }
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p[i], pd[i], 1e-6) << i;
}

TEST(AdamW, NormGainsAndScalarsAreNotDecayed) {
  const auto c = preset("tiny-xielu");
  const ParameterLayout layout(c);
  std::vector<float> p(layout.total_elements(), 1.0f), g(p.size(), 0.0f);
  std::vector<float> m(p.size(), 0.0f), v(p.size(), 0.0f);
  const AdamWHyper h{.lr = 0.1, .weight_decay = 0.5};
  adamw_step(layout, p.data(), g.data(), m.data(), v.data(), h, 1);
  // Zero gradient: only decay moves a parameter, by lr * wd * p = 0.05.
  EXPECT_FLOAT_EQ(p[layout.offset("layers.0.attn.qkv.weight")], 0.95f);
  EXPECT_FLOAT_EQ(p[layout.offset("embed.weight")], 0.95f);
  EXPECT_FLOAT_EQ(p[layout.offset("layers.1.mlp_norm.weight")], 1.0f);
  EXPECT_FLOAT_EQ(p[layout.offset("layers.1.attn.q_norm.weight")], 1.0f);
  EXPECT_FLOAT_EQ(p[layout.offset("layers.0.mlp.xielu.a_p")], 1.0f);
}

TEST(GradClip, ScalesToTheMaxNormOnlyWhenAbove) {
  std::vector<float> g = {3.0f, 4.0f};  // norm 5
  EXPECT_DOUBLE_EQ(clip_grad_norm(g.data(), 2, 10.0), 5.0);
  EXPECT_EQ(g[0], 3.0f);
  EXPECT_DOUBLE_EQ(clip_grad_norm(g.data(), 2, 1.0), 5.0);
  EXPECT_NEAR(global_norm(g.data(), 2), 1.0, 1e-6);
  EXPECT_NEAR(g[0] / g[1], 0.75, 1e-7) << "direction kept";
  EXPECT_NEAR(clip_grad_norm(g.data(), 2, 0.0), 1.0, 1e-6) << "max_norm 0: no clipping";
}

}  // namespace
}  // namespace cairn::train
