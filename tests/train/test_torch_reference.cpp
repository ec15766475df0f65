// CpuModel against an independent PyTorch implementation (float64 autograd,
// tests/train/reference/make_tiny_reference.py) on tiny and tiny-xielu: the same
// generated weights and batch, then the loss, the logits and every parameter's gradient
// of one step. Bounds (ErrorTracker in torch_reference.h: relative, or relative to the
// tensor's size where a value cancels):
//   double: 1e-9. Both sides are float64 and differ only in summation order and libm
//           (up to 4e-14 measured); a wrong convention or op moves results far more
//           (RoPE theta 10000 for 500000: logits off by up to 0.5).
//   float:  loss 1e-6, logits 5e-5, gradients 1e-4 (f32 rounding through two layers;
//           up to 5e-8, 2.3e-6 and 6.3e-6 measured).
#include <gtest/gtest.h>

#include <vector>

#include "tests/train/torch_reference.h"
#include "train/model_cpu.h"

namespace cairn::train::test {
namespace {

constexpr Tolerances kDoubleTolerance{1e-9, 1e-9, 1e-9};
constexpr Tolerances kFloatTolerance{1e-6, 5e-5, 1e-4};

template <typename T>
void check_cpu_model(const std::string& preset_name, const Tolerances& tol) {
  SCOPED_TRACE(preset_name);
  const Json ref = load_torch_reference(preset_name);
  const ModelConfig c = preset(preset_name);
  const ReferenceBatch b = reference_batch(ref);
  CpuModel<T> model(c, b.batch, b.seq_len);

  const std::vector<double> w = reference_weights(model.layout());
  const std::vector<T> params(w.begin(), w.end());
  std::vector<T> grads(params.size(), T(0));
  const T loss = model.forward(params.data(), b.inputs.data(), b.targets.data());
  const std::vector<double> logits(model.logits(), model.logits() + b.batch * b.seq_len * c.vocab);
  model.backward(params.data(), grads.data());
  compare_with_reference(ref, sizeof(T) == 8 ? "CpuModel<double>" : "CpuModel<float>", model.layout(),
                         static_cast<double>(loss), logits, std::vector<double>(grads.begin(), grads.end()), tol);
}

// The C++ generator draws the script's batch (and so, by the same code, its weights).
TEST(TorchReference, GeneratorMatchesTheScript) {
  for (const char* name : {"tiny", "tiny-xielu"}) {
    const ReferenceBatch b = reference_batch(load_torch_reference(name));
    const std::int64_t n = b.batch * b.seq_len, vocab = preset(name).vocab;
    EXPECT_EQ(reference_tokens(kRefInputStream, n, vocab), b.inputs) << name;
    auto targets = reference_tokens(kRefTargetStream, n, vocab);
    ASSERT_EQ(targets.size(), b.targets.size()) << name;
    int ignored = 0;
    for (std::size_t i = 0; i < targets.size(); ++i)
      if (b.targets[i] < 0) targets[i] = b.targets[i], ++ignored;  // the script's ignored positions
    EXPECT_EQ(targets, b.targets) << name;
    EXPECT_EQ(ignored, 2) << name;
  }
}

TEST(TorchReference, TinyDouble) { check_cpu_model<double>("tiny", kDoubleTolerance); }
TEST(TorchReference, TinyXieluDouble) { check_cpu_model<double>("tiny-xielu", kDoubleTolerance); }
TEST(TorchReference, TinyFloat) { check_cpu_model<float>("tiny", kFloatTolerance); }
TEST(TorchReference, TinyXieluFloat) { check_cpu_model<float>("tiny-xielu", kFloatTolerance); }

}  // namespace
}  // namespace cairn::train::test
