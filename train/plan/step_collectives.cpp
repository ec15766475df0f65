#include "train/plan/step_collectives.h"

#include "tuner/run/workload.h"

namespace cairn::train::plan {

std::vector<StepCollective> step_collectives(const ModelConfig& c, const Layout& l, Recompute r) {
  const GpuMemory m = gpu_memory(c, l, Optimizer::adamw, r);  // validates; only parameters used
  const std::int64_t activation = l.micro_batch * l.seq_len * c.d_model * 2;  // b s h bf16
  const std::int64_t layers_per_stage = c.n_layers / l.pp;
  const std::int64_t per_layer = r == Recompute::full ? 6 : 4;  // fwd 2 + bwd 2 (+ recomputed fwd 2)
  std::vector<StepCollective> out;
  if (l.tp > 1)
    for (const char* name : {"all_gather", "reduce_scatter"})
      out.push_back({name, activation, per_layer * layers_per_stage * l.micro_batches(), "tp"});
  if (l.pp > 1) out.push_back({"sendrecv", activation / l.tp, 2 * l.micro_batches() * l.virtual_stages, "pp"});
  if (l.dp > 1) {
    out.push_back({"reduce_scatter", m.gradient_bytes, 1, "dp"});
    out.push_back({"all_gather", m.weight_bytes, 1, "dp"});
  }
  return out;
}

Json to_workload_json(const std::vector<StepCollective>& collectives) {
  std::vector<tuner::Cell> cells;
  std::vector<const StepCollective*> kept;
  for (const StepCollective& s : collectives) {
    if (s.collective == "sendrecv") continue;
    tuner::Cell cell;
    cell.collective = s.collective;
    cell.bytes = static_cast<std::size_t>(s.bytes);
    cell.dtype = coll::DataType::bf16;
    cell.op = coll::ReduceOp::sum;
    cells.push_back(cell);
    kept.push_back(&s);
  }
  Json doc = tuner::workload_to_json(cells);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    doc["cells"][i]["count"] = kept[i]->count;
    doc["cells"][i]["group"] = kept[i]->group;
  }
  return doc;
}

}  // namespace cairn::train::plan
