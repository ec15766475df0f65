// CudaModel against the PyTorch float64 fixtures of tests/train/reference/ (as
// test_torch_reference.cpp does for CpuModel), within bf16 bounds. The GPU reads the
// f32 weights through a bf16 working copy and keeps activations in bf16, so the bounds
// (ErrorTracker's, per value) come from running the script's model with its weights and
// every stored activation and activation gradient rounded to bf16: loss 1.5e-4, logits
// 3.7e-2, gradients 1.8e-1 (the worst entry of any tensor, where only 16 are sampled;
// a wrong op or convention moves logits by ~0.5). Skipped without a GPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/train/cuda_test_util.h"
#include "tests/train/torch_reference.h"
#include "train/model_cuda.h"

namespace cairn::train::test {
namespace {

constexpr Tolerances kBf16ReferenceTolerance{5e-3, 1.5e-1, 3e-1};

class CudaTorchReference : public CudaTest {};

void check_cuda_model(const std::string& preset_name) {
  SCOPED_TRACE(preset_name);
  const Json ref = load_torch_reference(preset_name);
  const ReferenceBatch b = reference_batch(ref);
  CudaModel gpu(preset(preset_name), b.batch, b.seq_len);

  const std::vector<double> w = reference_weights(gpu.layout());
  const std::vector<float> params(w.begin(), w.end());
  gpu.set_parameters(params.data());
  const float loss = gpu.forward(b.inputs.data(), b.targets.data());
  const std::vector<float> z = gpu.logits();
  gpu.zero_gradients();
  gpu.backward();
  std::vector<float> grads(params.size());
  gpu.get_gradients(grads.data());
  compare_with_reference(ref, "CudaModel", gpu.layout(), loss, std::vector<double>(z.begin(), z.end()),
                         std::vector<double>(grads.begin(), grads.end()), kBf16ReferenceTolerance);
}

TEST_F(CudaTorchReference, TinyMatchesTheTorchReference) { check_cuda_model("tiny"); }
TEST_F(CudaTorchReference, TinyXieluMatchesTheTorchReference) { check_cuda_model("tiny-xielu"); }

}  // namespace
}  // namespace cairn::train::test
