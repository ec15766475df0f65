#include "train/plan/step_time.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "train/flops.h"
#include "tuner/model/predict.h"
#include "tuner/model/system_model.h"

namespace cairn::train::plan {

namespace {

struct GroupShape {
  int nodes = 1;
  int ranks_per_node = 1;
};

// Megatron's rank order (tp fastest, then dp, then pp): a TP group is tp consecutive
// ranks, a DP group strides by tp, a PP group by tp x dp.
GroupShape tp_shape(const Layout& l, int gpn) {
  if (l.tp <= gpn) return {1, static_cast<int>(l.tp)};
  return {static_cast<int>(l.tp / gpn), gpn};
}
GroupShape dp_shape(const Layout& l, int gpn) {
  const std::int64_t per_node = l.tp >= gpn ? 1 : std::min<std::int64_t>(l.dp, gpn / l.tp);
  return {static_cast<int>(l.dp / per_node), static_cast<int>(per_node)};
}

// Megatron-LM's DDP bucket (distributed_data_parallel_config: bucket_size
// max(40000000, 1000000 x dp) parameters).
std::int64_t bucket_parameters(const Layout& l, const DpOptions& o) {
  return o.bucket_parameters > 0 ? o.bucket_parameters : std::max<std::int64_t>(40000000, 1000000 * l.dp);
}

}  // namespace

std::string describe(const ComputeRate& r) {
  if (r.kind == ComputeRate::Kind::tflops)
    return fmt::format("one GPU achieves {:.1f} TFLOP/s on this model (--gpu-tflops, an input, not measured here)", r.value);
  return fmt::format("one GPU trains {:.1f} tokens/s of this model (--tokens-per-gpu-s, an input, not measured here)",
                     r.value);
}

StepTime predict_step_time(const ModelConfig& c, const Layout& l, Recompute r, const ComputeRate& rate,
                           const topology::ClusterSpec& cluster, std::string_view rate_flag,
                           const DpOptions& dp_options) {
  if (dp_options.grad_bytes != 2 && dp_options.grad_bytes != 4)
    fail(fmt::format("gradient reduce of {} bytes", dp_options.grad_bytes), "give bf16 (2) or fp32 (4)");
  if (!(rate.value > 0) || !std::isfinite(rate.value))
    fail(std::string(rate_flag) + " " + fmt::format("{}", rate.value), "give a positive, finite single-GPU rate");
  validate_layout(c, l);
  const topology::ClusterFigures fig = topology::cluster_figures(cluster);
  const int gpn = fig.gpus_per_node;
  if (gpn < 1 || l.gpus() != static_cast<std::int64_t>(gpn) * cluster.nodes)
    fail(fmt::format("{} GPUs on {}", l.gpus(), cluster.name),
         fmt::format("give a multiple of its {} GPUs per node", gpn));
  if (l.tp > gpn && l.tp % gpn != 0)
    fail(fmt::format("--tp {}", l.tp), fmt::format("give at most {} (GPUs per node) or a multiple of it", gpn));
  const tuner::SystemModel system = tuner::system_model(cluster);

  StepTime t;
  t.tokens_per_gpu = static_cast<double>(l.global_batch) * static_cast<double>(l.seq_len) / static_cast<double>(l.gpus());
  t.flops_per_token = training_flops_per_token(c, l.seq_len);
  // Full recomputation runs the forward twice: 8N instead of 6N per token.
  const double recompute_factor = r == Recompute::full ? 4.0 / 3.0 : 1.0;
  if (rate.kind == ComputeRate::Kind::tflops) {
    t.compute_s = t.tokens_per_gpu * t.flops_per_token * recompute_factor / (rate.value * 1e12);
  } else {
    t.compute_s = t.tokens_per_gpu / rate.value;
  }
  const double m = static_cast<double>(l.micro_batches());
  t.bubble_s = t.compute_s * static_cast<double>(l.pp - 1) / (m * static_cast<double>(l.virtual_stages));

  const GroupShape tp = tp_shape(l, gpn), dp = dp_shape(l, gpn);
  const bool pp_inter_node = l.tp * l.dp >= gpn;
  // Every GPU of a node is in one DP group and they reduce at once, sharing its NICs.
  const int concurrent_dp = std::max(1, gpn / dp.ranks_per_node);
  double dp_rs_total = 0, dp_rs_bucket = 0, dp_ag_total = 0, dp_ag_bucket = 0;
  for (const StepCollective& s : step_collectives(c, l, r)) {
    CommCost cost;
    cost.call = s;
    if (s.group == "pp") {
      const double gb_s = pp_inter_node ? fig.gpu_network_gb_s : system.intra_path_gb_s;
      const double latency_us = pp_inter_node ? system.net_latency_us : 0.0;
      cost.algorithm = pp_inter_node ? "p2p/network" : "p2p/nvlink";
      cost.group_nodes = pp_inter_node ? 2 : 1;
      cost.group_ranks_per_node = pp_inter_node ? 1 : 2;
      cost.time_per_call_s = latency_us * 1e-6 + static_cast<double>(s.bytes) / (gb_s * 1e9);
      cost.total_s = cost.time_per_call_s * static_cast<double>(s.count);
      t.pp_s += cost.total_s;
    } else if (s.group == "tp") {
      const tuner::PredictionRow row =
          tuner::predict_group(cluster, s.collective, static_cast<std::size_t>(s.bytes), tp.nodes, tp.ranks_per_node);
      cost.algorithm = row.algorithm + "/" + row.protocol;
      cost.group_nodes = tp.nodes;
      cost.group_ranks_per_node = tp.ranks_per_node;
      cost.time_per_call_s = row.time_us * 1e-6;
      cost.total_s = cost.time_per_call_s * static_cast<double>(s.count);
      t.tp_s += cost.total_s;
    } else {
      // The stage's parameters in buckets (none spanning two of its v chunks): full buckets
      // and the remainder, each one call; gradients at grad_bytes, parameters in bf16.
      const std::int64_t elements = s.bytes / 2;
      const std::int64_t chunk = std::max<std::int64_t>(1, elements / l.virtual_stages);
      const std::int64_t bucket = std::min(bucket_parameters(l, dp_options), chunk);
      const std::int64_t element_bytes = s.collective == "reduce_scatter" ? dp_options.grad_bytes : 2;
      cost.call.bytes = elements * element_bytes;
      const std::int64_t full = elements / bucket, rest = elements % bucket;
      const auto call_s = [&](std::int64_t n) {
        return tuner::predict_group(cluster, s.collective, static_cast<std::size_t>(n * element_bytes), dp.nodes, dp.ranks_per_node,
                                    concurrent_dp)
                   .time_us * 1e-6;
      };
      const tuner::PredictionRow row = tuner::predict_group(cluster, s.collective, static_cast<std::size_t>(bucket * element_bytes),
                                                            dp.nodes, dp.ranks_per_node, concurrent_dp);
      cost.algorithm = row.algorithm + "/" + row.protocol;
      cost.group_nodes = dp.nodes;
      cost.group_ranks_per_node = dp.ranks_per_node;
      cost.time_per_call_s = row.time_us * 1e-6;
      cost.total_s = cost.time_per_call_s * static_cast<double>(full) + (rest > 0 ? call_s(rest) : 0.0);
      (s.collective == "reduce_scatter" ? dp_rs_total : dp_ag_total) += cost.total_s;
      (s.collective == "reduce_scatter" ? dp_rs_bucket : dp_ag_bucket) += cost.time_per_call_s;
      t.dp_total_s += cost.total_s;
    }
    t.comm.push_back(cost);
  }
  // Gradients are final after the last micro-batch's backward: the reduce-scatter hides
  // behind that backward (2/3 of a micro-batch's compute) and half the bubble (the
  // cool-down), the all-gather behind the first micro-batch's forward (1/3) and the other
  // half (the warm-up); the last and first bucket are exposed whatever the window.
  const double per_micro_batch = t.compute_s / m;
  const double rs_window = per_micro_batch * 2.0 / 3.0 + t.bubble_s / 2.0;
  const double ag_window = per_micro_batch / 3.0 + t.bubble_s / 2.0;
  if (dp_rs_total > 0) t.dp_exposed_s += dp_rs_bucket + std::max(0.0, dp_rs_total - dp_rs_bucket - rs_window);
  if (dp_ag_total > 0) t.dp_exposed_s += dp_ag_bucket + std::max(0.0, dp_ag_total - dp_ag_bucket - ag_window);

  t.step_s = t.compute_s + t.bubble_s + t.tp_s + t.pp_s + t.dp_exposed_s;
  t.tokens_per_gpu_s = t.tokens_per_gpu / t.step_s;
  t.mfu = t.tokens_per_gpu_s * t.flops_per_token / kH100DenseBf16Flops;

  t.assumptions.push_back(describe(rate));
  if (r == Recompute::full) t.assumptions.push_back("full recomputation: the forward runs twice (8N FLOPs per token, not 6N)");
  if (r == Recompute::selective)
    t.assumptions.push_back("selective recomputation's extra attention FLOPs are left out (a few %)");
  t.assumptions.push_back("pipeline bubble (p - 1) / (m v) of compute (Narayanan et al. 2021)");
  t.assumptions.push_back("TP collectives on the critical path, costed by NCCL 2.28.9's model on a group inside a node");
  t.assumptions.push_back(fmt::format(
      "DP: {} node(s) x {} GPU(s) per group, {} groups per node sharing its NICs, gradients reduced in {}, buckets of {} "
      "parameters at most one model chunk; the last gradient and the first parameter bucket exposed, the rest hidden behind one micro-batch's backward/forward and half the bubble",
      dp.nodes, dp.ranks_per_node, concurrent_dp, dp_options.grad_bytes == 4 ? "fp32" : "bf16",
      dp_options.bucket_parameters > 0 ? std::to_string(dp_options.bucket_parameters) : "max(40M, 1M x DP)"));
  t.assumptions.push_back(fmt::format("PP send/recv {}, bytes / {:.1f} GB/s + latency, not overlapped (an upper bound)",
                                      pp_inter_node ? "between nodes" : "inside a node",
                                      pp_inter_node ? fig.gpu_network_gb_s : system.intra_path_gb_s));
  t.assumptions.push_back(fmt::format("MFU of {:.0f} TFLOP/s dense bf16 (H100 SXM)", kH100DenseBf16Flops / 1e12));
  return t;
}

}  // namespace cairn::train::plan
