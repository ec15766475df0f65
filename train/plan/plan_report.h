// What `cairn plan` prints: the ranked layouts of a search (search.h) as a table for
// people, then the best one's memory, collectives and time; and the same as JSON, schema
// "cairn.plan" v1:
//   {model, parameters, gpus, node, nodes, gpus_per_node, gpu_memory_bytes, batch, seq_len,
//    optimizer, recompute, rate: {kind: "gpu_tflops"|"tokens_per_gpu_s", value},
//    considered, fitting, assumptions: [...],
//    layouts: [{tp, pp, dp, virtual_stages, micro_batch, micro_batches,
//               memory: {parameters, weight_bytes, gradient_bytes, optimizer_bytes,
//                        activation_bytes, total_bytes},
//               time: {compute_s, bubble_s, tp_s, pp_s, dp_total_s, dp_exposed_s, step_s,
//                      tokens_per_gpu_s, mfu},
//               collectives: [{group, collective, bytes, count, algorithm, group_nodes,
//                              ranks_per_node, time_per_call_s, total_s}]}]}.
#pragma once

#include <string>

#include "common/json_io.h"
#include "train/plan/search.h"

namespace cairn::train::plan {

struct PlanRequest {
  ModelConfig model;
  topology::ClusterSpec cluster;
  SearchSpace space;
  std::size_t top = 5;
};

std::string_view to_string(Optimizer o);
std::string_view to_string(Recompute r);

std::string format_plan(const PlanRequest& q, const SearchResult& r);
Json plan_to_json(const PlanRequest& q, const SearchResult& r);

}  // namespace cairn::train::plan
