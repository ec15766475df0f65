#include "train/shard_layout.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace cairn::train {
namespace {

// The unit an entry belongs to: "layers.<l>" for a layer's tensors, else "embedding"
// before the first layer and "tail" after.
std::string unit_of(const std::string& name, bool seen_layer) {
  if (name.rfind("layers.", 0) == 0) return name.substr(0, name.find('.', 7));
  return seen_layer ? "tail" : "embedding";
}

}  // namespace

ShardLayout::ShardLayout(const ParameterLayout& layout, std::int64_t world) : world_(world) {
  if (world < 1) throw Error("shard layout: world must be >= 1, got " + std::to_string(world));
  bool seen_layer = false;
  for (const auto& e : layout.entries()) {
    const std::string u = unit_of(e.name, seen_layer);
    seen_layer = seen_layer || u.rfind("layers.", 0) == 0;
    if (units_.empty() || units_.back().name != u) {
      if (!units_.empty()) units_.back().elements = e.offset - units_.back().begin;
      units_.push_back({u, e.offset, 0, 0, 0});
    }
  }
  if (!units_.empty()) units_.back().elements = layout.total_elements() - units_.back().begin;
  for (auto& u : units_) {
    u.shard = (u.elements + world - 1) / world;
    u.local_begin = local_;
    local_ += u.shard;
  }
}

void ShardLayout::scatter_to_local(const float* full, std::int64_t rank, float* local) const {
  for (const auto& u : units_) {
    const std::int64_t first = std::min(u.elements, rank * u.shard);
    const std::int64_t n = std::min(u.elements, first + u.shard) - first;
    std::memcpy(local + u.local_begin, full + u.begin + first, sizeof(float) * n);
    std::fill(local + u.local_begin + n, local + u.local_begin + u.shard, 0.0f);
  }
}

void ShardLayout::gather_from_local(const float* local, std::int64_t rank, float* full) const {
  for (const auto& u : units_) {
    const std::int64_t first = std::min(u.elements, rank * u.shard);
    const std::int64_t n = std::min(u.elements, first + u.shard) - first;
    std::memcpy(full + u.begin + first, local + u.local_begin, sizeof(float) * n);
  }
}

std::vector<LocalRun> ShardLayout::local_runs(const ParameterLayout& layout, std::int64_t rank) const {
  std::vector<LocalRun> runs;
  for (const auto& u : units_) {
    const std::int64_t lo = u.begin + std::min(u.elements, rank * u.shard);
    const std::int64_t hi = u.begin + std::min(u.elements, (rank + 1) * u.shard);
    for (const auto& e : layout.entries()) {
      const std::int64_t a = std::max(lo, e.offset), b = std::min(hi, e.offset + e.numel());
      if (a < b) runs.push_back({u.local_begin + (a - lo), b - a, e.weight_decay});
    }
  }
  return runs;
}

std::int64_t ShardLayout::max_unit_elements() const {
  std::int64_t m = 0;
  for (const auto& u : units_) m = std::max(m, u.shard * world_);
  return m;
}

}  // namespace cairn::train
