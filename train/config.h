// Model shape: the presets Cairn trains and plans for (FIELD.md's table) and their JSON
// form {"schema": "cairn.model", "schema_version": 1, ...}.
#pragma once

#include <cstdint>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "common/checked_size.h"
#include "common/json_io.h"

namespace cairn::train {

enum class MlpKind {
  swiglu,  // down(silu(g) * u), [g; u] = up(x): 3 matrices' worth (up is 2*ffn wide)
  xielu,   // down(xielu(up(x))), not gated: 2 matrices, 2 trainable scalars per layer
};

// One row per MLP kind (kMlpKinds in config.cpp): what the config's JSON, the parameter
// layout and the parameter count know of an activation, kept in one place.
struct MlpKindInfo {
  MlpKind kind;
  std::string_view name;                    // as in cairn.model JSON
  std::int64_t up_width;                    // the up projection's output in ffn_dims (2: gated [g; u])
  std::span<const char* const> scalars;   // per-layer trainable scalars, as named in the layout
};
const MlpKindInfo& mlp_kind_info(MlpKind k);
std::string_view to_string(MlpKind k);
// "swiglu" | "xielu"; cairn::Error listing the kinds otherwise.
MlpKind parse_mlp_kind(std::string_view s);
// The kinds' names for a message, each in `quote`: swiglu or xielu.
std::string mlp_kind_names(std::string_view quote = "");

struct ModelConfig {
  std::string name;  // preset name or "custom"
  std::int64_t n_layers = 0;
  std::int64_t d_model = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t ffn_dim = 0;
  std::int64_t vocab = 0;
  std::int64_t context = 0;
  MlpKind mlp = MlpKind::swiglu;
  bool qk_norm = false;
  double rope_theta = 500000.0;
  double norm_eps = 1e-5;
  bool tied = false;  // tied embeddings are not supported; kept so configs say so

  std::int64_t head_dim() const { return d_model / n_heads; }
  std::int64_t qkv_dim() const { return (n_heads + 2 * n_kv_heads) * head_dim(); }
  // Width of the up projection's output: [g; u] for SwiGLU, ffn for xIELU.
  std::int64_t up_dim() const { return mlp_kind_info(mlp).up_width * ffn_dim; }
};

// Throws cairn::Error naming `source` and the field unless every dimension is within its
// range (from 1 to a bound far above today's models: n_layers 1024, d_model 65536,
// heads 4096, ffn_dim and context 2^20, vocab 2^31 - 1), d_model % n_heads == 0,
// n_heads % n_kv_heads == 0, head_dim is even (RoPE pairs), norm_eps > 0, rope_theta > 0
// and tied is false.
void validate(const ModelConfig& c, const std::string& source);

// Presets, exactly FIELD.md: apertus-70b (alias 70b), apertus-8b (alias 8b),
// llama3-70b, 1b, and tiny / tiny-xielu for CPU and CI.
std::vector<std::string> preset_names();
ModelConfig preset(std::string_view name);  // cairn::Error listing the names if unknown

// Parameters in the model: embeddings + head + per-layer matrices, norms and scalars.
// The checked form reports an overflow for any shape (and for n_heads < 1, which has no
// head size); the plain one throws cairn::Error then.
CheckedSize checked_parameter_count(const ModelConfig& c);
std::int64_t parameter_count(const ModelConfig& c);

Json to_json(const ModelConfig& c);
// Dimensions must be whole JSON numbers (1e3 reads as 1000); then validate().
ModelConfig model_config_from_json(const Json& doc, const std::string& source);
ModelConfig load_model_config(const std::string& path);
void save_model_config(const ModelConfig& c, const std::string& path);

// "--preset NAME" or "--config FILE": a preset name, else a JSON file path.
ModelConfig resolve_model_config(const std::string& preset_or_path);

}  // namespace cairn::train
