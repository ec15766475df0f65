// Model presets (FIELD.md), their JSON form, validation messages, parameter counts and
// the flat parameter layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "common/error.h"
#include "train/config.h"
#include "train/memory_plan.h"
#include "train/parameter_layout.h"

namespace cairn::train {
namespace {

TEST(ModelConfig, PresetsAreFieldMdTable) {
  const auto a70 = preset("70b");
  EXPECT_EQ(a70.name, "apertus-70b");
  EXPECT_EQ(a70.n_layers, 80);
  EXPECT_EQ(a70.d_model, 8192);
  EXPECT_EQ(a70.n_heads, 64);
  EXPECT_EQ(a70.n_kv_heads, 8);
  EXPECT_EQ(a70.mlp, MlpKind::xielu);
  EXPECT_EQ(a70.ffn_dim, 43008);
  EXPECT_EQ(a70.vocab, 131072);
  EXPECT_EQ(a70.context, 4096);
  EXPECT_TRUE(a70.qk_norm);
  EXPECT_EQ(a70.rope_theta, 500000.0);

  const auto a8 = preset("8b");
  EXPECT_EQ(a8.name, "apertus-8b");
  EXPECT_EQ(a8.n_layers, 32);
  EXPECT_EQ(a8.d_model, 4096);
  EXPECT_EQ(a8.n_heads, 32);
  EXPECT_EQ(a8.n_kv_heads, 8);
  EXPECT_EQ(a8.ffn_dim, 21504);
  EXPECT_EQ(a8.mlp, MlpKind::xielu);

  const auto l70 = preset("llama3-70b");
  EXPECT_EQ(l70.mlp, MlpKind::swiglu);
  EXPECT_EQ(l70.ffn_dim, 28672);
  EXPECT_EQ(l70.vocab, 128256);
  EXPECT_EQ(l70.context, 8192);
  EXPECT_FALSE(l70.qk_norm);

  // The torch peer's 1b (peers/torch_llama.py: run('llama-1b', 131072, 2048, 16, 16, 2, 7168, 2048, ...)).
  const auto b1 = preset("1b");
  EXPECT_EQ(b1.vocab, 131072);
  EXPECT_EQ(b1.d_model, 2048);
  EXPECT_EQ(b1.n_layers, 16);
  EXPECT_EQ(b1.n_heads, 16);
  EXPECT_EQ(b1.n_kv_heads, 2);
  EXPECT_EQ(b1.ffn_dim, 7168);
  EXPECT_EQ(b1.context, 2048);
  EXPECT_EQ(b1.mlp, MlpKind::swiglu);
  EXPECT_EQ(b1.norm_eps, 1e-5);

  EXPECT_EQ(preset("tiny").mlp, MlpKind::swiglu);
  EXPECT_EQ(preset("tiny-xielu").mlp, MlpKind::xielu);
  EXPECT_EQ(preset("tiny").vocab, 256);
  for (const auto& n : preset_names()) EXPECT_NO_THROW(validate(preset(n), n));
}

TEST(ModelConfig, ParameterCountsMatchHandComputedFigures) {
  // apertus-70b per layer: qkv 8192 x (64+2*8)*128, o 8192^2, up and down 43008 x 8192,
  // two norms of 8192, q/k norms of 128, two xIELU scalars.
  const std::int64_t layer70 = 8192LL * 10240 + 8192LL * 8192 + 2 * 43008LL * 8192 + 2 * 8192 + 2 * 128 + 2;
  EXPECT_EQ(layer70, 855654658);
  EXPECT_EQ(parameter_count(preset("70b")), 2 * 131072LL * 8192 + 80 * layer70 + 8192);
  EXPECT_EQ(parameter_count(preset("70b")), 70599864480);
  // 1b: qkv 2048 x (16+2*2)*128, o 2048^2, up 2*7168 x 2048, down 2048 x 7168, norms.
  const std::int64_t layer1 = 2048LL * 2560 + 2048LL * 2048 + 3 * 7168LL * 2048 + 2 * 2048;
  EXPECT_EQ(parameter_count(preset("1b")), 2 * 131072LL * 2048 + 16 * layer1 + 2048);
  EXPECT_EQ(parameter_count(preset("1b")), 1392576512);
  // llama3-70b is the familiar 70.55B.
  EXPECT_EQ(parameter_count(preset("llama3-70b")), 70553706496);
  for (const auto& n : {"tiny", "tiny-xielu", "1b"})
    EXPECT_EQ(ParameterLayout(preset(n)).parameter_count(), parameter_count(preset(n))) << n;
}

TEST(ModelConfig, JsonRoundTripAndErrorsNameFileAndField) {
  const auto dir = std::filesystem::temp_directory_path() / ("cairn_cfg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "m.json").string();
  const auto c = preset("tiny-xielu");
  save_model_config(c, path);
  const auto back = load_model_config(path);
  EXPECT_EQ(to_json(back), to_json(c));
  EXPECT_EQ(resolve_model_config(path).mlp, MlpKind::xielu);

  auto expect_error = [&](Json doc, const std::string& needle) {
    std::ofstream(path) << doc.dump();
    try {
      load_model_config(path);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
  };
  Json j = to_json(c);
  j["d_model"] = 66;  // 66 / 4 heads
  expect_error(j, "d_model");
  j = to_json(c);
  j["n_kv_heads"] = 3;
  expect_error(j, "n_kv_heads");
  j = to_json(c);
  j["d_model"] = 36;
  expect_error(j, "even");
  j = to_json(c);
  j.erase("ffn_dim");
  expect_error(j, "ffn_dim");
  j = to_json(c);
  j["mlp"] = "gelu";
  expect_error(j, "mlp");
  expect_error(j, "\"swiglu\" or \"xielu\"");
  j = to_json(c);
  j["schema"] = "cairn.other";
  expect_error(j, "schema");
  std::filesystem::remove_all(dir);
  EXPECT_THROW(preset("13b"), Error);
}

// One table says what each MLP kind is: its name both ways, the up projection's width,
// and the scalars the layout holds and the parameter count counts.
TEST(MlpKinds, OneTableForNamesWidthsAndScalars) {
  for (MlpKind k : {MlpKind::swiglu, MlpKind::xielu}) {
    EXPECT_EQ(parse_mlp_kind(to_string(k)), k);
    EXPECT_EQ(mlp_kind_info(k).kind, k);
  }
  EXPECT_EQ(mlp_kind_names(), "swiglu or xielu");
  try {
    parse_mlp_kind("gelu");
    ADD_FAILURE() << "gelu was taken for an MLP kind";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected swiglu or xielu"), std::string::npos) << e.what();
  }
  const ModelConfig swiglu = preset("tiny"), xielu = preset("tiny-xielu");
  EXPECT_EQ(swiglu.up_dim(), 2 * swiglu.ffn_dim);
  EXPECT_EQ(xielu.up_dim(), xielu.ffn_dim);
  const ParameterLayout layout(xielu);
  for (const char* scalar : mlp_kind_info(MlpKind::xielu).scalars)
    EXPECT_EQ(layout.at(layer_param(1, scalar)).numel(), 1) << scalar;
  EXPECT_TRUE(mlp_kind_info(MlpKind::swiglu).scalars.empty());
  EXPECT_EQ(layout.parameter_count(), parameter_count(xielu));
  EXPECT_EQ(ParameterLayout(swiglu).parameter_count(), parameter_count(swiglu));
}

TEST(ParameterLayout, AlignedDisjointAndNamed) {
  const auto c = preset("tiny");
  const ParameterLayout layout(c);
  std::int64_t end = 0;
  for (const auto& e : layout.entries()) {
    EXPECT_EQ(e.offset % kParameterAlignment, 0) << e.name;
    EXPECT_GE(e.offset, end) << e.name << " overlaps the previous tensor";
    end = e.offset + e.numel();
  }
  EXPECT_LE(end, layout.total_elements());
  EXPECT_EQ(layout.at("layers.1.attn.qkv.weight").shape,
            (std::vector<std::int64_t>{c.qkv_dim(), c.d_model}));
  EXPECT_EQ(layout.at("layers.0.mlp.up.weight").shape[0], 2 * c.ffn_dim);
  EXPECT_EQ(layout.entries().front().name, "embed.weight");
  EXPECT_EQ(layout.entries().back().name, "head.weight");
  EXPECT_THROW(layout.at("layers.2.attn.o.weight"), Error);
  EXPECT_EQ(layout.to_json()["parameters"].size(), layout.entries().size());
}

}  // namespace
}  // namespace cairn::train

namespace cairn::train {
namespace {

TEST(CheckedSize, ProductsAndSumsReportOverflowInsteadOfWrapping) {
  EXPECT_EQ((CheckedSize(3) * 4 + 5).value(), 17);
  EXPECT_FALSE((CheckedSize(std::int64_t{1} << 31) * (std::int64_t{1} << 31)).overflowed());
  EXPECT_TRUE((CheckedSize(std::int64_t{1} << 32) * (std::int64_t{1} << 31)).overflowed());
  EXPECT_TRUE((CheckedSize(INT64_MAX) + 1).overflowed());
  EXPECT_TRUE((CheckedSize(INT64_MAX) + 1 + 0).overflowed()) << "an overflow stays overflowed";
  EXPECT_TRUE(CheckedSize(-1).overflowed()) << "a negative size is no size";
}

TEST(ModelConfig, EveryDimensionIsBoundedAndTheParameterCountChecked) {
  ModelConfig c = preset("tiny");
  c.ffn_dim = std::int64_t{1} << 62;
  EXPECT_THROW(validate(c, "m"), Error);
  EXPECT_TRUE(checked_parameter_count(c).overflowed());
  c = preset("tiny");
  c.n_layers = 1000000000000;
  EXPECT_THROW(validate(c, "m"), Error);
  // The largest shape the bounds allow still counts within 64 bits.
  c.n_layers = 1024;
  c.d_model = 65536;
  c.ffn_dim = 1 << 20;
  c.vocab = (std::int64_t{1} << 31) - 1;
  c.context = 1 << 20;
  EXPECT_NO_THROW(validate(c, "m"));
  EXPECT_GT(parameter_count(c), 0);
}

}  // namespace
}  // namespace cairn::train

namespace cairn::train {
namespace {

TEST(MemoryPlan, CountsWeightsGradientsMomentsAndActivationsWhereTheyLive) {
  TrainConfig cfg;
  cfg.model = preset("tiny");
  cfg.batch = 2;
  cfg.seq_len = 32;
  const std::int64_t P = ParameterLayout(cfg.model).total_elements();
  const MemoryPlan cpu = memory_plan(cfg);
  EXPECT_EQ(cpu.host.weights, 4 * P);
  EXPECT_EQ(cpu.host.gradients, 4 * P);
  EXPECT_EQ(cpu.host.moments, 8 * P);
  EXPECT_GT(cpu.host.activations, 0);
  EXPECT_EQ(cpu.device.total(), 0);
  cfg.batch = 4;
  EXPECT_EQ(memory_plan(cfg).host.activations, 2 * cpu.host.activations) << "activations scale with the tokens";

  const std::string summary = require_memory_fits(cfg);  // tiny fits anywhere this test runs
  EXPECT_EQ(summary.rfind("memory: ", 0), 0u) << summary;
  EXPECT_NE(summary.find("AdamW moments 1.05 MB"), std::string::npos) << summary;
  EXPECT_NE(summary.find(" available ("), std::string::npos) << summary;

  cfg.device = Device::cuda;  // f32 and bf16 weights, gradients, moments on the GPU; a host copy for checkpoints
  const MemoryPlan gpu = memory_plan(cfg);
  EXPECT_EQ(gpu.device.weights, 6 * P);
  EXPECT_EQ(gpu.device.gradients, 4 * P);
  EXPECT_EQ(gpu.device.moments, 8 * P);
  EXPECT_EQ(gpu.host.total(), 12 * P);

  cfg.batch = std::int64_t{1} << 62;
  try {
    memory_plan(cfg);
    ADD_FAILURE() << "a batch of 2^62 sequences has a size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--batch 4611686018427387904 x --seq-len 32"), std::string::npos) << e.what();
  }
  EXPECT_GT(process_memory_available().bytes, 0);
}

}  // namespace
}  // namespace cairn::train
