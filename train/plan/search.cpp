#include "train/plan/search.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "topology/node_presets.h"

namespace cairn::train::plan {

std::int64_t gpu_memory_bytes(const std::string& node_type) {
  const topology::Graph g = topology::node_preset(node_type);
  const auto gpus = g.of_kind(topology::VertexKind::gpu);
  if (gpus.empty()) fail("node type " + node_type, "it has no GPU; give a node preset with GPUs (--node)");
  const std::string& model = g.vertex(gpus.front()).gpu.model;
  if (model.find("GH200") != std::string::npos) return 96'000'000'000LL;  // 96 GB HBM3 (FIELD.md)
  if (model.find("H100") != std::string::npos) return 80'000'000'000LL;   // 80 GB HBM3 / HBM2e
  fail("node type " + node_type, "its GPU '" + model + "' has no known memory size; give gh200-alps, dgx-h100 or pcie-only");
}

namespace {

std::vector<std::int64_t> divisors(std::int64_t n) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

std::vector<std::int64_t> pinned_or(const std::optional<std::int64_t>& pin, std::vector<std::int64_t> all) {
  if (pin) return {*pin};
  return all;
}

}  // namespace

SearchResult search_layouts(const ModelConfig& c, const topology::ClusterSpec& cluster, const SearchSpace& space) {
  const topology::ClusterFigures fig = topology::cluster_figures(cluster);
  const std::int64_t gpn = fig.gpus_per_node;
  if (space.gpus < 1 || gpn < 1 || space.gpus % gpn != 0)
    fail(fmt::format("--gpus {}", space.gpus), fmt::format("give a multiple of {} ({}'s GPUs per node)", gpn, cluster.node_type));
  SearchResult result;
  result.gpu_memory_bytes = gpu_memory_bytes(cluster.node_type);

  std::vector<std::int64_t> tps;
  for (std::int64_t t : divisors(std::min(gpn, c.n_kv_heads)))
    if (c.n_heads % t == 0 && c.n_kv_heads % t == 0) tps.push_back(t);
  std::vector<std::int64_t> bs;
  for (std::int64_t b = 1; b <= space.max_micro_batch; b *= 2) bs.push_back(b);

  for (std::int64_t tp : pinned_or(space.tp, tps))
    for (std::int64_t pp : pinned_or(space.pp, divisors(c.n_layers))) {
      if (tp < 1 || pp < 1 || space.gpus % (tp * pp) != 0) continue;
      const std::int64_t dp = space.gpus / (tp * pp);
      const std::vector<std::int64_t> vs = pp == 1 ? std::vector<std::int64_t>{1} : divisors(c.n_layers / pp);
      for (std::int64_t v : pinned_or(space.virtual_stages, vs))
        for (std::int64_t b : pinned_or(space.micro_batch, bs)) {
          Layout l;
          l.tp = tp, l.pp = pp, l.dp = dp, l.micro_batch = b, l.global_batch = space.global_batch;
          l.seq_len = space.seq_len, l.virtual_stages = v;
          if (b < 1 || space.global_batch % (b * dp) != 0) continue;
          if (c.n_heads % tp != 0 || c.n_kv_heads % tp != 0 || v < 1 || c.n_layers % (pp * v) != 0) continue;
          if (v > 1 && l.micro_batches() % pp != 0) continue;  // Megatron's interleaved schedule
          if (tp > gpn && tp % gpn != 0) continue;
          ++result.considered;
          Candidate cand{l, gpu_memory(c, l, space.optimizer, space.recompute, space.dp_options.grad_bytes), {}};
          if (!result.least_memory || cand.memory.total() < result.least_memory->memory.total())
            result.least_memory = cand;
          if (cand.memory.total() > result.gpu_memory_bytes) continue;
          cand.time = predict_step_time(c, l, space.recompute, space.rate, cluster, space.rate_flag, space.dp_options);
          result.fitting.push_back(std::move(cand));
        }
    }
  if (result.considered == 0) {
    // Name what was pinned: that is what left no layout.
    std::string pins;
    if (space.tp) pins += fmt::format(" --tp {}", *space.tp);
    if (space.pp) pins += fmt::format(" --pp {}", *space.pp);
    if (space.virtual_stages) pins += fmt::format(" --virtual-stages {}", *space.virtual_stages);
    if (space.micro_batch) pins += fmt::format(" --micro-batch {}", *space.micro_batch);
    fail(fmt::format("{} on {} GPUs, --batch {}{}", c.name, space.gpus, space.global_batch, pins),
         "no layout divides evenly: TP must divide the heads, PP x virtual stages the layers, micro-batch x DP the "
         "batch (and with virtual stages, PP the micro-batches); change these flags");
  }
  std::stable_sort(result.fitting.begin(), result.fitting.end(),
                   [](const Candidate& a, const Candidate& b) { return a.time.step_s < b.time.step_s; });
  return result;
}

}  // namespace cairn::train::plan
