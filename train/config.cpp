#include "train/config.h"

#include <cmath>
#include <iterator>

#include "common/checked_size.h"
#include "common/error.h"
#include "common/text_file.h"

namespace cairn::train {
namespace {

constexpr const char* kSchema = "cairn.model";
constexpr std::size_t kMaxModelNameBytes = 64;
constexpr int kSchemaVersion = 1;

ModelConfig make(const char* name, std::int64_t layers, std::int64_t d, std::int64_t heads,
                 std::int64_t kv, MlpKind mlp, std::int64_t ffn, std::int64_t vocab,
                 std::int64_t context, bool qk_norm) {
  ModelConfig c;
  c.name = name;
  c.n_layers = layers;
  c.d_model = d;
  c.n_heads = heads;
  c.n_kv_heads = kv;
  c.mlp = mlp;
  c.ffn_dim = ffn;
  c.vocab = vocab;
  c.context = context;
  c.qk_norm = qk_norm;
  c.rope_theta = 500000.0;
  c.norm_eps = 1e-5;
  return c;
}

struct Preset {
  const char* name;
  const char* alias_of;  // nullptr for a primary name
};

// FIELD.md's table. Apertus: xIELU (not gated), QK-norm; Llama 3 and the torch peer's
// 1b: SwiGLU, no QK-norm. All: pre-norm RMSNorm eps 1e-5, RoPE theta 500000, untied.
ModelConfig primary(std::string_view name) {
  using enum MlpKind;
  if (name == "apertus-70b") return make("apertus-70b", 80, 8192, 64, 8, xielu, 43008, 131072, 4096, true);
  if (name == "apertus-8b") return make("apertus-8b", 32, 4096, 32, 8, xielu, 21504, 131072, 4096, true);
  if (name == "llama3-70b") return make("llama3-70b", 80, 8192, 64, 8, swiglu, 28672, 128256, 8192, false);
  if (name == "1b") return make("1b", 16, 2048, 16, 2, swiglu, 7168, 131072, 2048, false);
  // Byte-level models for CPU and CI: small enough to train in seconds, with every
  // feature (GQA 2:1, QK-norm, both MLP kinds) switched on.
  if (name == "tiny") return make("tiny", 2, 64, 4, 2, swiglu, 192, 256, 64, true);
  if (name == "tiny-xielu") return make("tiny-xielu", 2, 64, 4, 2, xielu, 256, 256, 64, true);
  throw Error("model preset table: \"" + std::string(name) + "\" has no shape");
}

const Preset kPresets[] = {
    {"apertus-70b", nullptr}, {"70b", "apertus-70b"}, {"apertus-8b", nullptr},
    {"8b", "apertus-8b"},     {"llama3-70b", nullptr}, {"1b", nullptr},
    {"tiny", nullptr},        {"tiny-xielu", nullptr},
};

constexpr const char* kXieluScalars[] = {"mlp.xielu.a_p", "mlp.xielu.a_n"};
constexpr MlpKindInfo kMlpKinds[] = {
    {MlpKind::swiglu, "swiglu", 2, {}},
    {MlpKind::xielu, "xielu", 1, kXieluScalars},
};

void require(bool ok, const std::string& source, const std::string& field,
             const std::string& why) {
  if (!ok) fail(source, "field \"" + field + "\" " + why);
}

// Every dimension's range. The bounds are far above any model trained today (Llama 3
// 405B: 126 layers, d_model 16384, ffn 53248) and keep every size computed from them,
// in elements, within 64 bits.
struct DimensionBound {
  const char* name;
  std::int64_t ModelConfig::*field;
  std::int64_t max;
  const char* usual;
};
constexpr DimensionBound kDimensionBounds[] = {
    {"n_layers", &ModelConfig::n_layers, 1024, "the presets use 2 to 80"},
    {"d_model", &ModelConfig::d_model, 65536, "the presets use 64 to 8192"},
    {"n_heads", &ModelConfig::n_heads, 4096, "the presets use 4 to 64"},
    {"n_kv_heads", &ModelConfig::n_kv_heads, 4096, "the presets use 2 to 8"},
    {"ffn_dim", &ModelConfig::ffn_dim, 1 << 20, "the presets use 192 to 43008"},
    {"vocab", &ModelConfig::vocab, (std::int64_t{1} << 31) - 1, "a 32-bit token id; the presets use 256 to 131072"},
    {"context", &ModelConfig::context, 1 << 20, "the presets use 64 to 8192"},
};

// A dimension from JSON: a whole number (1e3 reads as 1000; 1.5, "8" or true do not),
// within its range.
std::int64_t dimension_field(const Json& doc, const DimensionBound& b, const std::string& source) {
  if (!doc.is_object() || !doc.contains(b.name)) throw_missing_field(b.name, source);
  const Json& v = doc.at(b.name);
  const std::string range = "a whole number from 1 to " + std::to_string(b.max) + " (" + b.usual + ")";
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(b.max))
      require(false, source, b.name, "must be " + range + ", got " + std::to_string(v.get<std::uint64_t>()));
    return v.get<std::int64_t>();  // validate() checks the range
  }
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (x != std::floor(x)) require(false, source, b.name, "must be " + range + ", got the fraction " + v.dump());
    if (x < 1 || x > static_cast<double>(b.max))
      require(false, source, b.name, "must be " + range + ", got " + v.dump());
    return static_cast<std::int64_t>(x);
  }
  require(false, source, b.name, "must be " + range + ", got the " + std::string(v.type_name()) + " " +
                                     v.dump().substr(0, 40));
  return 0;
}

}  // namespace

const MlpKindInfo& mlp_kind_info(MlpKind k) {
  for (const auto& info : kMlpKinds)
    if (info.kind == k) return info;
  throw Error("MLP kind table: kind " + std::to_string(static_cast<int>(k)) + " has no row");
}

std::string_view to_string(MlpKind k) { return mlp_kind_info(k).name; }

std::string mlp_kind_names(std::string_view quote) {
  std::string list;
  const std::size_t n = std::size(kMlpKinds);
  for (std::size_t i = 0; i < n; ++i)
    list += std::string(i == 0 ? "" : i + 1 == n ? " or " : ", ") + std::string(quote) +
            std::string(kMlpKinds[i].name) + std::string(quote);
  return list;
}

MlpKind parse_mlp_kind(std::string_view s) {
  for (const auto& info : kMlpKinds)
    if (s == info.name) return info.kind;
  throw Error("unknown MLP kind \"" + std::string(s) + "\" (expected " + mlp_kind_names() + ")");
}

void validate(const ModelConfig& c, const std::string& source) {
  for (const auto& b : kDimensionBounds) {
    const std::int64_t v = c.*(b.field);
    require(v >= 1 && v <= b.max, source, b.name,
            "must be from 1 to " + std::to_string(b.max) + ", got " + std::to_string(v) + " (" + b.usual + ")");
  }
  require(c.d_model % c.n_heads == 0, source, "d_model",
          "(" + std::to_string(c.d_model) + ") must be divisible by n_heads (" +
              std::to_string(c.n_heads) + ")");
  require(c.n_heads % c.n_kv_heads == 0, source, "n_heads",
          "(" + std::to_string(c.n_heads) + ") must be divisible by n_kv_heads (" +
              std::to_string(c.n_kv_heads) + ")");
  require(c.head_dim() % 2 == 0, source, "d_model",
          "/ n_heads = head_dim " + std::to_string(c.head_dim()) + " must be even (RoPE rotates pairs)");
  require(std::isfinite(c.norm_eps) && c.norm_eps > 0, source, "norm_eps", "must be positive (usually 1e-5)");
  require(std::isfinite(c.rope_theta) && c.rope_theta > 0, source, "rope_theta",
          "must be positive (usually 10000 to 500000)");
  require(!c.tied, source, "tied", "must be false (tied embeddings are not supported)");
  if (checked_parameter_count(c).overflowed())
    fail(source, "the parameter count overflows 64 bits; make n_layers, d_model, ffn_dim or vocab smaller");
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : kPresets) names.emplace_back(p.name);
  return names;
}

ModelConfig preset(std::string_view name) {
  for (const auto& p : kPresets)
    if (name == p.name) return primary(p.alias_of ? p.alias_of : p.name);
  std::string list;
  for (const auto& p : kPresets) list += std::string(list.empty() ? "" : ", ") + p.name;
  throw Error("unknown model preset \"" + std::string(name) + "\" (presets: " + list +
              "; or give a cairn.model JSON file)");
}

CheckedSize checked_parameter_count(const ModelConfig& c) {
  if (c.n_heads < 1) return CheckedSize(-1);  // no head size: no count
  const CheckedSize d = c.d_model, hd = c.head_dim();
  CheckedSize layer = 2 * d;                                     // attention and MLP norm gains
  layer += CheckedSize(c.n_heads) * hd * d + 2 * CheckedSize(c.n_kv_heads) * hd * d;  // fused q, k, v
  layer += d * d;                                                // output projection
  if (c.qk_norm) layer += 2 * hd;                                // q and k norm gains
  layer += CheckedSize(mlp_kind_info(c.mlp).up_width) * c.ffn_dim * d + d * c.ffn_dim;  // up and down
  layer += static_cast<std::int64_t>(mlp_kind_info(c.mlp).scalars.size());              // xIELU: a_p, a_n
  return CheckedSize(c.vocab) * d                                // embedding
         + CheckedSize(c.n_layers) * layer + d                   // layers, final norm
         + CheckedSize(c.vocab) * d;                             // untied head
}

std::int64_t parameter_count(const ModelConfig& c) {
  const CheckedSize n = checked_parameter_count(c);
  if (n.overflowed()) throw Error("model \"" + c.name + "\": the parameter count overflows 64 bits");
  return n.value();
}

Json to_json(const ModelConfig& c) {
  Json j = {{"name", c.name},
            {"n_layers", c.n_layers},
            {"d_model", c.d_model},
            {"n_heads", c.n_heads},
            {"n_kv_heads", c.n_kv_heads},
            {"ffn_dim", c.ffn_dim},
            {"vocab", c.vocab},
            {"context", c.context},
            {"mlp", std::string(to_string(c.mlp))},
            {"qk_norm", c.qk_norm},
            {"rope_theta", c.rope_theta},
            {"norm_eps", c.norm_eps},
            {"tied", c.tied}};
  return with_schema(std::move(j), kSchema, kSchemaVersion);
}

ModelConfig model_config_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kSchema, kSchemaVersion, source);
  ModelConfig c;
  c.name = doc.contains("name") ? json_field<std::string>(doc, "name", source) : "custom";
  // The name is echoed in messages and progress lines: keep it to a word.
  require(!c.name.empty() && c.name.size() <= kMaxModelNameBytes, source, "name",
          "must be 1 to " + std::to_string(kMaxModelNameBytes) + " characters, got " + std::to_string(c.name.size()));
  for (const auto& b : kDimensionBounds) c.*(b.field) = dimension_field(doc, b, source);
  const auto mlp = json_field<std::string>(doc, "mlp", source);
  try {
    c.mlp = parse_mlp_kind(mlp);
  } catch (const Error&) {
    fail(source, "field \"mlp\" is \"" + mlp + "\"; expected " + mlp_kind_names("\""));
  }
  c.qk_norm = json_field<bool>(doc, "qk_norm", source);
  c.rope_theta = json_field<double>(doc, "rope_theta", source);
  c.norm_eps = json_field<double>(doc, "norm_eps", source);
  c.tied = doc.contains("tied") ? json_field<bool>(doc, "tied", source) : false;
  validate(c, source);
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  return model_config_from_json(read_json_file(path), path);
}

void save_model_config(const ModelConfig& c, const std::string& path) {
  validate(c, path);
  write_file_atomically(path, to_json(c).dump(2) + "\n");
}

ModelConfig resolve_model_config(const std::string& preset_or_path) {
  for (const auto& p : kPresets)
    if (preset_or_path == p.name) return preset(preset_or_path);
  if (preset_or_path.find('/') != std::string::npos ||
      preset_or_path.find(".json") != std::string::npos)
    return load_model_config(preset_or_path);
  return preset(preset_or_path);  // throws with the list of presets
}

}  // namespace cairn::train
