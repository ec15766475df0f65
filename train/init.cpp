#include "train/init.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "train/cpu/parallel.h"
#include "train/cpu/xielu.h"
#include "train/rng.h"

namespace cairn::train {
namespace {
bool ends_with(const std::string& s, const char* suffix) {
  const std::string t(suffix);
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}
constexpr std::uint64_t kInitStream = 0x1417;  // "init": the stream of train/rng.h
}  // namespace

template <typename T>
void init_parameters(const ModelConfig& c, const ParameterLayout& layout, std::uint64_t seed,
                     T* params) {
  std::fill(params, params + layout.total_elements(), T(0));
  const double std_base = 0.02;
  const double std_out = std_base / std::sqrt(2.0 * static_cast<double>(c.n_layers));
  for (const auto& e : layout.entries()) {
    T* p = params + e.offset;
    const std::int64_t n = e.numel();
    if (ends_with(e.name, "norm.weight")) {
      std::fill(p, p + n, T(1));
    } else if (ends_with(e.name, "xielu.a_p")) {
      p[0] = static_cast<T>(cpu::xielu_initial_a_p());
    } else if (ends_with(e.name, "xielu.a_n")) {
      p[0] = static_cast<T>(cpu::xielu_initial_a_n());
    } else {
      const bool out_proj = ends_with(e.name, "attn.o.weight") || ends_with(e.name, "mlp.down.weight");
      const double sd = out_proj ? std_out : std_base;
      // Counter-based draws (train/rng.h): any split gives the same bits, and a 1b model's
      // 1.4e9 draws took most of a minute's start-up on one thread.
      const auto base = static_cast<std::uint64_t>(e.offset);
      cpu::parallel_for(n, 40, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i)
          p[i] = static_cast<T>(sd * normal(seed, kInitStream, base + static_cast<std::uint64_t>(i)));
      });
    }
  }
}

template void init_parameters<float>(const ModelConfig&, const ParameterLayout&, std::uint64_t,
                                     float*);
template void init_parameters<double>(const ModelConfig&, const ParameterLayout&,
                                      std::uint64_t, double*);

}  // namespace cairn::train
