#include "train/plan/plan_report.h"

#include <algorithm>

#include <fmt/format.h>

namespace cairn::train::plan {

std::string_view to_string(Optimizer o) { return o == Optimizer::adamw ? "adamw" : "ademamix"; }
std::string_view to_string(Recompute r) {
  return r == Recompute::none ? "none" : r == Recompute::selective ? "selective" : "full";
}

namespace {

double gb(std::int64_t bytes) { return static_cast<double>(bytes) / 1e9; }

std::size_t shown(const PlanRequest& q, const SearchResult& r) { return std::min(q.top, r.fitting.size()); }

std::vector<std::string> assumptions(const PlanRequest& q, const SearchResult& r) {
  std::vector<std::string> out;
  if (!r.fitting.empty()) out = r.fitting.front().time.assumptions;
  out.push_back(fmt::format("fits: memory model's total <= {:.0f} GB per GPU, nothing held back for the CUDA context, "
                            "NCCL buffers or fragmentation",
                            gb(r.gpu_memory_bytes)));
  out.push_back(fmt::format("optimizer state {} sharded over DP (ZeRO-1); activations per Korthikanti et al. 2022",
                            to_string(q.space.optimizer)));
  return out;
}

}  // namespace

std::string format_plan(const PlanRequest& q, const SearchResult& r) {
  const topology::ClusterFigures fig = topology::cluster_figures(q.cluster);
  std::string out;
  out += fmt::format("# cairn plan: {} ({:.2f} B parameters) on {} GPUs of {} ({} nodes x {}, {:.0f} GB each)\n",
                     q.model.name, static_cast<double>(parameter_count(q.model)) / 1e9, q.space.gpus,
                     q.cluster.node_type, q.cluster.nodes, fig.gpus_per_node, gb(r.gpu_memory_bytes));
  out += fmt::format("# batch {} sequences x {} tokens, {}, {} recomputation\n", q.space.global_batch, q.space.seq_len,
                     to_string(q.space.optimizer), to_string(q.space.recompute));
  for (const std::string& a : assumptions(q, r)) out += "# " + a + "\n";
  out += fmt::format("# {} layouts divide evenly, {} fit; the {} fastest:\n", r.considered, r.fitting.size(), shown(q, r));
  out += fmt::format("{:>4} {:>3} {:>3} {:>3} {:>5} {:>3} {:>5} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>12} {:>6}\n",
                     "rank", "tp", "pp", "v", "dp", "b", "m", "mem GB", "compute", "bubble", "tp comm", "pp comm",
                     "dp exp.", "tokens/s/GPU", "MFU");
  for (std::size_t i = 0; i < shown(q, r); ++i) {
    const Candidate& k = r.fitting[i];
    const Layout& l = k.layout;
    out += fmt::format("{:>4} {:>3} {:>3} {:>3} {:>5} {:>3} {:>5} {:>9.1f} {:>8.3f}s {:>7.3f}s {:>7.3f}s {:>7.3f}s "
                       "{:>7.3f}s {:>12.1f} {:>5.1f}%\n",
                       i + 1, l.tp, l.pp, l.virtual_stages, l.dp, l.micro_batch, l.micro_batches(), gb(k.memory.total()),
                       k.time.compute_s, k.time.bubble_s, k.time.tp_s, k.time.pp_s, k.time.dp_exposed_s,
                       k.time.tokens_per_gpu_s, 100 * k.time.mfu);
  }
  if (r.fitting.empty()) return out;
  const Candidate& best = r.fitting.front();
  const Layout& l = best.layout;
  out += fmt::format("\n## best: TP {} x PP {} (v {}) x DP {}, micro-batch {}, {} micro-batches per step\n", l.tp, l.pp,
                     l.virtual_stages, l.dp, l.micro_batch, l.micro_batches());
  out += fmt::format("memory per GPU (worst stage): parameters {:.3f} B; weights {:.1f} GB, gradients {:.1f} GB, "
                     "optimizer {:.2f} GB, activations {:.1f} GB; total {:.1f} of {:.0f} GB\n",
                     static_cast<double>(best.memory.parameters) / 1e9, gb(best.memory.weight_bytes),
                     gb(best.memory.gradient_bytes), gb(best.memory.optimizer_bytes), gb(best.memory.activation_bytes),
                     gb(best.memory.total()), gb(r.gpu_memory_bytes));
  out += fmt::format("{:<6} {:<16} {:>14} {:>8} {:>14} {:>11} {:>12} {:>10}\n", "group", "collective", "size (B)",
                     "count", "algo/proto", "group", "per call", "per step");
  for (const CommCost& c : best.time.comm)
    out += fmt::format("{:<6} {:<16} {:>14} {:>8} {:>14} {:>11} {:>10.3f}ms {:>9.3f}s\n", c.call.group,
                       c.call.collective, c.call.bytes, c.call.count, c.algorithm,
                       fmt::format("{}x{}", c.group_nodes, c.group_ranks_per_node), 1e3 * c.time_per_call_s, c.total_s);
  const StepTime& t = best.time;
  out += fmt::format("step: compute {:.3f} s + bubble {:.3f} s + TP {:.3f} s + PP {:.3f} s + DP exposed {:.3f} s "
                     "(of {:.3f} s) = {:.3f} s; {:.0f} tokens per GPU -> {:.1f} tokens/s per GPU, MFU {:.1f}%\n",
                     t.compute_s, t.bubble_s, t.tp_s, t.pp_s, t.dp_exposed_s, t.dp_total_s, t.step_s, t.tokens_per_gpu,
                     t.tokens_per_gpu_s, 100 * t.mfu);
  return out;
}

Json plan_to_json(const PlanRequest& q, const SearchResult& r) {
  const topology::ClusterFigures fig = topology::cluster_figures(q.cluster);
  Json doc = Json::object();
  doc["model"] = q.model.name;
  doc["parameters"] = parameter_count(q.model);
  doc["gpus"] = q.space.gpus;
  doc["node"] = q.cluster.node_type;
  doc["nodes"] = q.cluster.nodes;
  doc["gpus_per_node"] = fig.gpus_per_node;
  doc["gpu_memory_bytes"] = r.gpu_memory_bytes;
  doc["batch"] = q.space.global_batch;
  doc["seq_len"] = q.space.seq_len;
  doc["optimizer"] = std::string(to_string(q.space.optimizer));
  doc["recompute"] = std::string(to_string(q.space.recompute));
  doc["rate"] = {{"kind", q.space.rate.kind == ComputeRate::Kind::tflops ? "gpu_tflops" : "tokens_per_gpu_s"},
                 {"value", q.space.rate.value}};
  doc["considered"] = r.considered;
  doc["fitting"] = r.fitting.size();
  doc["assumptions"] = assumptions(q, r);
  Json layouts = Json::array();
  for (std::size_t i = 0; i < shown(q, r); ++i) {
    const Candidate& k = r.fitting[i];
    const StepTime& t = k.time;
    Json colls = Json::array();
    for (const CommCost& c : t.comm)
      colls.push_back({{"group", c.call.group}, {"collective", c.call.collective}, {"bytes", c.call.bytes},
                       {"count", c.call.count}, {"algorithm", c.algorithm}, {"group_nodes", c.group_nodes},
                       {"ranks_per_node", c.group_ranks_per_node}, {"time_per_call_s", c.time_per_call_s},
                       {"total_s", c.total_s}});
    layouts.push_back(
        {{"tp", k.layout.tp}, {"pp", k.layout.pp}, {"dp", k.layout.dp}, {"virtual_stages", k.layout.virtual_stages},
         {"micro_batch", k.layout.micro_batch}, {"micro_batches", k.layout.micro_batches()},
         {"memory",
          {{"parameters", k.memory.parameters}, {"weight_bytes", k.memory.weight_bytes},
           {"gradient_bytes", k.memory.gradient_bytes}, {"optimizer_bytes", k.memory.optimizer_bytes},
           {"activation_bytes", k.memory.activation_bytes}, {"total_bytes", k.memory.total()}}},
         {"time",
          {{"compute_s", t.compute_s}, {"bubble_s", t.bubble_s}, {"tp_s", t.tp_s}, {"pp_s", t.pp_s},
           {"dp_total_s", t.dp_total_s}, {"dp_exposed_s", t.dp_exposed_s}, {"step_s", t.step_s},
           {"tokens_per_gpu_s", t.tokens_per_gpu_s}, {"mfu", t.mfu}}},
         {"collectives", colls}});
  }
  doc["layouts"] = layouts;
  return with_schema(doc, "cairn.plan", 1);
}

}  // namespace cairn::train::plan
