// Where one decoder layer's tensors sit in the flat parameter buffer, looked up once by
// name (ParameterLayout) so the CPU and CUDA models address them the same way.
#pragma once

#include <cstdint>

#include "train/config.h"
#include "train/parameter_layout.h"

namespace cairn::train {

// Offsets in elements; -1 where the config has no such tensor (QK-norm gains without
// qk_norm, the xIELU scalars with SwiGLU).
struct LayerOffsets {
  std::int64_t attn_norm = -1, qkv = -1, q_norm = -1, k_norm = -1, o = -1, mlp_norm = -1, up = -1,
               a_p = -1, a_n = -1, down = -1;
};

inline LayerOffsets layer_offsets(const ParameterLayout& L, const ModelConfig& c, std::int64_t l) {
  LayerOffsets o;
  o.attn_norm = L.offset(layer_param(l, "attn_norm.weight"));
  o.qkv = L.offset(layer_param(l, "attn.qkv.weight"));
  if (c.qk_norm) {
    o.q_norm = L.offset(layer_param(l, "attn.q_norm.weight"));
    o.k_norm = L.offset(layer_param(l, "attn.k_norm.weight"));
  }
  o.o = L.offset(layer_param(l, "attn.o.weight"));
  o.mlp_norm = L.offset(layer_param(l, "mlp_norm.weight"));
  o.up = L.offset(layer_param(l, "mlp.up.weight"));
  if (c.mlp == MlpKind::xielu) {  // its two scalars, as the kind table names them
    const auto scalars = mlp_kind_info(c.mlp).scalars;
    o.a_p = L.offset(layer_param(l, scalars[0]));
    o.a_n = L.offset(layer_param(l, scalars[1]));
  }
  o.down = L.offset(layer_param(l, "mlp.down.weight"));
  return o;
}

}  // namespace cairn::train
