// Model FLOPs per trained token, for MFU, counted as peers/torch_llama.py counts them
// (PaLM, Chowdhery et al. 2022, appendix B): 6 per non-embedding parameter (the LM head
// counts) for forward and backward, plus causal attention's 12 L d T halved by the mask:
//   flops/token = 6 (N - vocab d) + 6 L d T
// MFU = tokens/s * flops/token / peak, with the peak of an H100 SXM in dense bf16.
#pragma once

#include <cstdint>

#include "train/config.h"

namespace cairn::train {

inline constexpr double kH100DenseBf16Flops = 989e12;

inline double training_flops_per_token(const ModelConfig& c, std::int64_t seq_len) {
  const double non_embedding = static_cast<double>(parameter_count(c) - c.vocab * c.d_model);
  return 6.0 * non_embedding +
         6.0 * static_cast<double>(c.n_layers) * static_cast<double>(c.d_model) * static_cast<double>(seq_len);
}

}  // namespace cairn::train
