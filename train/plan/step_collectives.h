// Every collective one GPU issues in one training step of a layout, with its group, size
// (nccl-tests' size column: the whole buffer) and calls per step (docs/plan.md):
// - tp: Megatron with sequence parallelism (Korthikanti et al. 2022) turns each layer's
//   two all-reduces into an all-gather and a reduce-scatter of b s h bf16 values:
//   2 of each in forward and 2 in backward per layer per micro-batch, 2 more of each when
//   full recomputation repeats the forward.
// - pp: the activations a stage sends forward and their gradients sent back, b s h / t
//   bf16 values (sequence-parallel), once per micro-batch and virtual stage each way.
// - dp: ZeRO-1 / the distributed optimizer's reduce-scatter of bf16 gradients and
//   all-gather of bf16 parameters, once per step, the stage's parameters each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/json_io.h"
#include "train/plan/memory.h"

namespace cairn::train::plan {

struct StepCollective {
  std::string collective;  // a CollTest name: "all_gather", "reduce_scatter", "sendrecv"
  std::int64_t bytes = 0;
  std::int64_t count = 0;  // calls per step
  std::string group;       // "tp" | "pp" | "dp"
};

std::vector<StepCollective> step_collectives(const ModelConfig& c, const Layout& l, Recompute r);

// Schema cairn.workload v1 (tuner/run/workload.h) with count and group per cell, bf16 and
// sum; sendrecv is left out: `cairn tune` does not tune it (tuner::check_cells).
Json to_workload_json(const std::vector<StepCollective>& collectives);

}  // namespace cairn::train::plan
