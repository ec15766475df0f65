// The whole decoder on the GPU (train/model_cuda.h) against CpuModel<float> on the same
// bf16-representable weights and the same batch: loss, logits and every parameter
// tensor's gradient, for both MLP kinds, a full and a ragged sequence length; then three
// training steps through the Model interface against the CPU loop.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/train/cuda_test_util.h"
#include "train/config.h"
#include "train/model.h"
#include "train/init.h"
#include "train/model_cpu.h"
#include "train/model_cuda.h"
#include "train/optim/adamw.h"
#include "train/optim/grad_clip.h"

namespace cairn::train::test {
namespace {

// bf16 activations through two layers: the loss moves by well under 0.1 %, logits and
// gradients by about 1 % (measured per tensor, ||gpu - cpu|| / ||cpu||).
constexpr double kLossTolerance = 2e-3;
constexpr double kLogitTolerance = 2e-2;
constexpr double kGradTolerance = 5e-2;
// A scalar parameter's gradient (xIELU's alpha_p, alpha_n) is one sum over every
// activation of its layer, and with these random weights the terms cancel: the GPU's
// bf16 activations moved xielu.a_p's gradient by 7 % to 170 % of its (small) value over
// random seeds. Such a sum has no relative bound; it is checked where it is well
// conditioned: the kernel against the CPU on identical inputs to f32 precision
// (test_cuda_pointwise.cpp) and the model against PyTorch on O(1) activations
// (test_cuda_torch_reference.cpp). Here it must only be finite.

class CudaModelTest : public CudaTest {
 public:
  // init_parameters, gains and scalars moved off their initial values (so every term of
  // the gradient is exercised), then rounded to bf16 so the GPU's working copy equals the
  // CPU's weights and only activation precision differs.
  std::vector<float> weights(const ModelConfig& c, const ParameterLayout& layout) {
    std::vector<float> p(static_cast<std::size_t>(layout.total_elements()));
    init_parameters(c, layout, seed_, p.data());
    std::normal_distribution<double> noise(0.0, 1.0);
    for (const auto& e : layout.entries())
      if (e.shape.size() == 1)
        for (std::int64_t i = 0; i < e.numel(); ++i) p[static_cast<std::size_t>(e.offset + i)] += 0.2f * static_cast<float>(noise(rng_));
    return round_bf16(p);
  }
  void random_batch(const ModelConfig& c, std::int64_t n, std::vector<std::int32_t>& inputs,
                    std::vector<std::int32_t>& targets) {
    inputs.resize(static_cast<std::size_t>(n));
    targets.resize(static_cast<std::size_t>(n));
    for (auto& t : inputs) t = random_int(0, static_cast<std::int32_t>(c.vocab) - 1);
    for (auto& t : targets) t = random_int(0, static_cast<std::int32_t>(c.vocab) - 1);
    targets[1] = -1;  // one masked target
  }
};

void check_against_cpu(CudaModelTest& t, const std::string& preset_name, std::int64_t batch, std::int64_t seq) {
  SCOPED_TRACE(preset_name + ", batch " + std::to_string(batch) + " x " + std::to_string(seq));
  const ModelConfig c = preset(preset_name);
  CudaModel gpu(c, batch, seq);
  CpuModel<float> cpu(c, batch, seq);
  const auto& layout = cpu.layout();
  const auto params = t.weights(c, layout);
  std::vector<std::int32_t> inputs, targets;
  t.random_batch(c, batch * seq, inputs, targets);

  gpu.set_parameters(params.data());
  const float gpu_loss = gpu.forward(inputs.data(), targets.data());
  const auto gpu_logits = gpu.logits();
  gpu.zero_gradients();
  gpu.backward();
  std::vector<float> gpu_grads(params.size());
  gpu.get_gradients(gpu_grads.data());

  const float cpu_loss = cpu.forward(params.data(), inputs.data(), targets.data());
  const std::vector<float> cpu_logits(cpu.logits(), cpu.logits() + batch * seq * c.vocab);
  std::vector<float> cpu_grads(params.size(), 0.f);
  cpu.backward(params.data(), cpu_grads.data());

  EXPECT_NEAR(gpu_loss, cpu_loss, kLossTolerance * cpu_loss);
  EXPECT_LE(rel_error(gpu_logits, cpu_logits), kLogitTolerance);
  double worst = 0;
  for (const auto& e : layout.entries()) {
    const auto begin = static_cast<std::ptrdiff_t>(e.offset), end = begin + e.numel();
    const std::vector<float> g(gpu_grads.begin() + begin, gpu_grads.begin() + end);
    const std::vector<float> r(cpu_grads.begin() + begin, cpu_grads.begin() + end);
    const double err = rel_error(g, r);
    if (e.numel() == 1) {
      EXPECT_TRUE(std::isfinite(g[0])) << e.name;
      continue;
    }
    worst = std::max(worst, std::isnan(err) ? INFINITY : err);
    EXPECT_LE(err, kGradTolerance) << e.name;
  }
  std::printf("%s %lldx%lld: loss gpu %.6f cpu %.6f, logits rel %.2e, worst gradient tensor rel %.2e "
              "(scalars aside)\n",
              preset_name.c_str(), static_cast<long long>(batch), static_cast<long long>(seq), gpu_loss, cpu_loss,
              rel_error(gpu_logits, cpu_logits), worst);
}

TEST_F(CudaModelTest, TinySwigluMatchesTheCpuModel) { check_against_cpu(*this, "tiny", 2, 64); }
TEST_F(CudaModelTest, TinyXieluMatchesTheCpuModel) { check_against_cpu(*this, "tiny-xielu", 2, 64); }
TEST_F(CudaModelTest, RaggedSequenceLengthMatchesTheCpuModel) { check_against_cpu(*this, "tiny", 3, 37); }

TEST_F(CudaModelTest, ThreeTrainingStepsTrackTheCpuLoop) {
  const ModelConfig c = preset("tiny");
  const std::int64_t batch = 2, seq = 64;
  auto gpu = make_model(Device::cuda, c, batch, seq);
  CpuModel<float> cpu(c, batch, seq);
  const auto& layout = cpu.layout();
  auto params = weights(c, layout);
  const auto initial = params;
  const std::size_t n = params.size();
  std::vector<float> m(n, 0.f), v(n, 0.f), grads(n);
  gpu->load_state(TrainState{0, params, m, v});
  std::vector<std::int32_t> inputs, targets;
  random_batch(c, batch * seq, inputs, targets);
  // Adam's first steps move every weight by about lr * sign(g): a small gradient element
  // whose sign bf16 rounding flips moves the GPU weight 2 lr away from the CPU's. At
  // lr 1e-2 that once left the two runs 8 % apart in gradient norm by step 2 (random
  // seeds differ per run); at 2e-3 the drift stays within the bounds below and three
  // steps on one batch still lower the loss.
  AdamWHyper h;
  h.lr = 2e-3;
  std::vector<double> gpu_losses, cpu_losses;
  for (std::int64_t step = 1; step <= 3; ++step) {  // the same batch: the loss must fall
    gpu_losses.push_back(gpu->forward_backward(inputs.data(), targets.data()));
    const double gpu_norm = gpu->clip_grad_norm(1.0);
    gpu->optimizer_step(h);
    EXPECT_EQ(gpu->state().step, step);

    std::fill(grads.begin(), grads.end(), 0.f);
    cpu_losses.push_back(cpu.forward(params.data(), inputs.data(), targets.data()));
    cpu.backward(params.data(), grads.data());
    const double cpu_norm = clip_grad_norm(grads.data(), static_cast<std::int64_t>(n), 1.0);
    adamw_step(layout, params.data(), grads.data(), m.data(), v.data(), h, step);
    EXPECT_NEAR(gpu_norm, cpu_norm, kGradTolerance * cpu_norm) << "step " << step;
  }
  for (std::size_t s = 0; s < gpu_losses.size(); ++s)
    EXPECT_NEAR(gpu_losses[s], cpu_losses[s], 1e-2 * cpu_losses[s]) << "step " << s + 1;
  EXPECT_LT(gpu_losses[2], gpu_losses[0]);
  EXPECT_NEAR(gpu->loss(inputs.data(), targets.data()),
              cpu.forward(params.data(), inputs.data(), targets.data()), 1e-2 * cpu_losses[0]);

  // The state comes back: weights moved as far as the CPU's, both moments written.
  gpu->sync_state();
  const std::vector<float>& gpu_params = gpu->state().params;
  const std::vector<float>& gpu_m = gpu->state().m;
  const std::vector<float>& gpu_v = gpu->state().v;
  const double moved = rel_error(gpu_params, initial), cpu_moved = rel_error(params, initial);
  EXPECT_NEAR(moved, cpu_moved, 0.1 * cpu_moved);
  auto sum_abs = [](const std::vector<float>& x) {
    double s = 0;
    for (float e : x) s += std::abs(e);
    return s;
  };
  EXPECT_NEAR(sum_abs(gpu_m), sum_abs(m), 0.1 * sum_abs(m));
  EXPECT_NEAR(sum_abs(gpu_v), sum_abs(v), 0.1 * sum_abs(v));
}

}  // namespace
}  // namespace cairn::train::test
