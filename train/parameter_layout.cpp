#include "train/parameter_layout.h"

#include "common/error.h"

namespace cairn::train {

std::int64_t ParameterInfo::numel() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

std::string layer_param(std::int64_t layer, const char* suffix) {
  return "layers." + std::to_string(layer) + "." + suffix;
}

void ParameterLayout::add(std::string name, std::vector<std::int64_t> shape, bool weight_decay) {
  ParameterInfo p{std::move(name), total_, std::move(shape), weight_decay};
  const std::int64_t n = p.numel();
  total_ += (n + kParameterAlignment - 1) / kParameterAlignment * kParameterAlignment;
  entries_.push_back(std::move(p));
}

ParameterLayout::ParameterLayout(const ModelConfig& c) {
  validate(c, "model config \"" + c.name + "\"");
  const std::int64_t d = c.d_model, hd = c.head_dim();
  add("embed.weight", {c.vocab, d}, true);
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    add(layer_param(l, "attn_norm.weight"), {d}, false);
    add(layer_param(l, "attn.qkv.weight"), {c.qkv_dim(), d}, true);  // rows: [q; k; v]
    if (c.qk_norm) {
      add(layer_param(l, "attn.q_norm.weight"), {hd}, false);
      add(layer_param(l, "attn.k_norm.weight"), {hd}, false);
    }
    add(layer_param(l, "attn.o.weight"), {d, d}, true);
    add(layer_param(l, "mlp_norm.weight"), {d}, false);
    add(layer_param(l, "mlp.up.weight"), {c.up_dim(), d}, true);  // SwiGLU rows: [g; u]
    for (const char* scalar : mlp_kind_info(c.mlp).scalars) add(layer_param(l, scalar), {1}, false);
    add(layer_param(l, "mlp.down.weight"), {d, c.ffn_dim}, true);
  }
  add("final_norm.weight", {d}, false);
  add("head.weight", {c.vocab, d}, true);
}

std::int64_t ParameterLayout::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& e : entries_) n += e.numel();
  return n;
}

const ParameterInfo& ParameterLayout::at(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return e;
  throw Error("parameter layout: no parameter named \"" + name + "\"");
}

Json ParameterLayout::to_json() const {
  Json list = Json::array();
  for (const auto& e : entries_)
    list.push_back({{"name", e.name}, {"offset", e.offset}, {"shape", e.shape},
                    {"weight_decay", e.weight_decay}});
  return with_schema({{"alignment_elements", kParameterAlignment},
                      {"total_elements", total_},
                      {"parameters", std::move(list)}},
                     "cairn.parameter_layout", 1);
}

}  // namespace cairn::train
