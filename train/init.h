// Deterministic parameter initialisation. Every element's value is a function of (seed,
// its index in the flat buffer) alone (a counter-based generator, train/rng.h), so the
// same seed gives the same weights on any rank, thread count or machine.
//   embeddings and matrices: N(0, 0.02^2); the projections that write into the residual
//   stream (attn.o, mlp.down) N(0, (0.02 / sqrt(2 n_layers))^2) (GPT-2 / Megatron);
//   norm gains 1; xIELU raw scalars as train/cpu/xielu.h; padding 0.
#pragma once

#include <cstdint>

#include "train/parameter_layout.h"

namespace cairn::train {

template <typename T>
void init_parameters(const ModelConfig& c, const ParameterLayout& layout, std::uint64_t seed,
                     T* params);

}  // namespace cairn::train
