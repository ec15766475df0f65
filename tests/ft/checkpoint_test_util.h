// Helpers of the ft/checkpoint tests: a temporary directory, a state of distinct values,
// a synchronous save through the real writer, and file bytes read and written whole.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ft/checkpoint/async_checkpointer.h"
#include "tests/support/temp_dir.h"

namespace cairn::ft::test {

using ::cairn::test::TempDir;

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Three buffers of `n` floats, every element distinct across them, varying with `salt`.
struct State {
  std::vector<std::vector<float>> buffers;
  State(std::int64_t n, int salt) : buffers(3, std::vector<float>(static_cast<std::size_t>(n))) {
    for (std::size_t b = 0; b < 3; ++b)
      for (std::size_t i = 0; i < buffers[b].size(); ++i)
        buffers[b][i] = 1e-4f * static_cast<float>((i * 7919 + b * 104729 + static_cast<std::size_t>(salt) * 31) % 65521) -
                        3.0f + static_cast<float>(b);
  }
  SaveRequest request(std::int64_t step) const {
    SaveRequest r;
    r.step = step;
    r.total_elements = static_cast<std::int64_t>(buffers[0].size());
    const char* names[] = {"params", "adam.m", "adam.v"};
    for (std::size_t b = 0; b < 3; ++b) r.buffers.push_back({names[b], buffers[b].data()});
    r.meta = {{"model", "test"}};
    return r;
  }
};

// One save by rank `rank` of `ranks` through the real writer, waited for; its outcome.
inline SaveOutcome save_now(AsyncCheckpointer& w, const State& s, std::int64_t step) {
  w.save(s.request(step));
  w.wait();
  auto out = w.take_outcomes();
  return out.empty() ? SaveOutcome{} : out.back();
}

}  // namespace cairn::ft::test
