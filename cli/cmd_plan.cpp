// cairn plan: the layouts of a model on N GPUs of a node type that fit GPU memory, ranked
// by predicted step time, from a single-GPU rate given as an input (train/plan/). Exit 0
// with a plan, 2 for bad input or when no layout fits.
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/text_file.h"
#include "train/plan/plan_report.h"

namespace cairn::cli {

namespace {

std::optional<std::int64_t> positive(const po::variables_map& vm, const char* flag, const char* fix) {
  if (!vm.count(flag)) return std::nullopt;
  const std::int64_t v = vm[flag].as<std::int64_t>();
  if (v < 1) throw Error(fmt::format("--{} {}: {}", flag, v, fix));
  return v;
}

}  // namespace

int cmd_plan(const Args& args) {
  std::string model, node, optimizer = "adamw", recompute = "selective", workload, grad_reduce = "bf16";
  std::size_t top = 5;
  bool json = false;
  po::options_description desc("Options");
  desc.add_options()
      ("model", po::value(&model), "a model preset (apertus-70b, apertus-8b, llama3-70b, 1b, ...) or a model JSON file")
      ("gpus", po::value<std::int64_t>(), "GPUs of the job, a whole number of nodes")
      ("node", po::value(&node), "node preset: gh200-alps, dgx-h100 or pcie-only (GPUs, memory, NVLink, network)")
      ("tp", po::value<std::int64_t>(), "tensor-parallel size (default: searched)")
      ("pp", po::value<std::int64_t>(), "pipeline-parallel size (default: searched)")
      ("virtual-stages", po::value<std::int64_t>(), "interleaved pipeline chunks per stage (default: searched)")
      ("micro-batch", po::value<std::int64_t>(), "sequences per micro-batch (default: searched, 1 to 8)")
      ("batch", po::value<std::int64_t>(), "global batch in sequences (default: one per GPU, stated in the output)")
      ("seq-len", po::value<std::int64_t>(), "tokens per sequence (default: the model's context)")
      ("optimizer", po::value(&optimizer)->default_value("adamw"), "adamw (12 bytes/param of state) or ademamix (16)")
      ("recompute", po::value(&recompute)->default_value("selective"), "activation recomputation: none, selective, full")
      ("grad-reduce", po::value(&grad_reduce)->default_value("bf16"),
       "dtype of the DP gradient reduce-scatter: bf16, or fp32 (Megatron's --main-grads-dtype fp32)")
      ("ddp-bucket-size", po::value<std::int64_t>(), "DP bucket in parameters (default: Megatron's max(40M, 1M x DP))")
      ("gpu-tflops", po::value<double>(), "achieved TFLOP/s of one GPU on this model's layers (an input; no default)")
      ("tokens-per-gpu-s", po::value<double>(), "or: tokens/s one GPU trains of this model, measured (no default)")
      ("workload", po::value(&workload), "write the best layout's collectives to FILE (cairn.workload v1, for cairn tune)")
      ("json", po::bool_switch(&json), "print JSON (schema cairn.plan v1)")
      ("top", po::value(&top)->default_value(5), "layouts shown (1 or more)");
  po::variables_map vm;
  if (!parse_options("plan",
                     "--model PRESET|FILE --gpus N --node NAME (--gpu-tflops X | --tokens-per-gpu-s X) [--tp T --pp P "
                     "--virtual-stages V --micro-batch B] [--batch SEQUENCES] [--seq-len S] [--optimizer adamw|ademamix] "
                     "[--recompute none|selective|full] [--grad-reduce bf16|fp32] [--ddp-bucket-size N] [--workload FILE] "
                     "[--json] [--top N]",
                     args, desc, vm))
    return 0;
  if (model.empty()) throw Error("--model is required: give a preset (apertus-70b, ...) or a model JSON file");
  if (!vm.count("gpus")) throw Error("--gpus is required: give the job's GPUs, a whole number of nodes");
  if (node.empty()) throw Error("--node is required: give gh200-alps, dgx-h100 or pcie-only");
  if (vm.count("gpu-tflops") == vm.count("tokens-per-gpu-s"))
    throw Error("--gpu-tflops or --tokens-per-gpu-s: give exactly one single-GPU rate (achieved TFLOP/s or measured "
                "tokens/s); a plan has no default for it");
  if (top < 1) throw Error("--top 0: give 1 or more layouts to show");

  train::plan::PlanRequest q;
  q.model = train::resolve_model_config(model);
  train::plan::SearchSpace& s = q.space;
  s.gpus = *positive(vm, "gpus", "give 1 or more GPUs, a whole number of nodes");
  s.tp = positive(vm, "tp", "give 1 or more (a divisor of the heads)");
  s.pp = positive(vm, "pp", "give 1 or more (a divisor of the layers)");
  s.virtual_stages = positive(vm, "virtual-stages", "give 1 or more (dividing the layers per stage)");
  s.micro_batch = positive(vm, "micro-batch", "give 1 or more sequences");
  s.global_batch = positive(vm, "batch", "give 1 or more sequences").value_or(s.gpus);
  s.seq_len = positive(vm, "seq-len", "give 1 or more tokens").value_or(q.model.context);
  if (s.seq_len > q.model.context)
    throw Error(fmt::format("--seq-len {}: {} has a context of {}; give at most that", s.seq_len, q.model.name,
                            q.model.context));
  s.optimizer = train::plan::parse_optimizer(optimizer, "--optimizer");
  s.recompute = train::plan::parse_recompute(recompute, "--recompute");
  const bool by_tflops = vm.count("gpu-tflops") > 0;
  s.rate_flag = by_tflops ? "--gpu-tflops" : "--tokens-per-gpu-s";
  s.rate = {by_tflops ? train::plan::ComputeRate::Kind::tflops : train::plan::ComputeRate::Kind::tokens_per_gpu_s,
            vm[s.rate_flag.substr(2)].as<double>()};
  if (!(s.rate.value > 0) || !std::isfinite(s.rate.value))
    throw Error(fmt::format("{} {}: give a positive single-GPU rate", s.rate_flag, s.rate.value));
  q.top = top;
  if (grad_reduce != "bf16" && grad_reduce != "fp32")
    throw Error("--grad-reduce " + grad_reduce + ": give bf16 or fp32");
  s.dp_options.grad_bytes = grad_reduce == "fp32" ? 4 : 2;
  s.dp_options.bucket_parameters = positive(vm, "ddp-bucket-size", "give 1 or more parameters").value_or(0);

  const int gpn = topology::cluster_figures(topology::cluster_preset(node, 1)).gpus_per_node;
  if (gpn < 1 || s.gpus % gpn != 0)
    throw Error(fmt::format("--gpus {}: {} has {} GPUs per node; give a multiple of {}", s.gpus, node, gpn, gpn));
  q.cluster = topology::cluster_preset(node, static_cast<int>(s.gpus / gpn));
  if (!workload.empty()) AtomicFile::check_writable(workload);

  const train::plan::SearchResult r = train::plan::search_layouts(q.model, q.cluster, s);
  if (r.fitting.empty()) {
    const auto& least = *r.least_memory;
    throw Error(fmt::format("{} on {} GPUs of {}: no layout fits {:.0f} GB per GPU (the least needs {:.1f} GB at TP {} "
                            "PP {} micro-batch {}); give more --gpus, --recompute full or a smaller --micro-batch",
                            q.model.name, s.gpus, node, static_cast<double>(r.gpu_memory_bytes) / 1e9,
                            static_cast<double>(least.memory.total()) / 1e9, least.layout.tp, least.layout.pp,
                            least.layout.micro_batch));
  }
  if (!workload.empty()) {
    const auto& best = r.fitting.front();
    write_file_atomically(
        workload, train::plan::to_workload_json(train::plan::step_collectives(q.model, best.layout, s.recompute)).dump(2) +
                      "\n");
  }
  if (json) {
    Json doc = train::plan::plan_to_json(q, r);
    if (!vm.count("batch")) doc["assumptions"].push_back(fmt::format("--batch not given: {} sequences, one per GPU", s.global_batch));
    std::cout << doc.dump(2) << "\n";
  } else {
    if (!vm.count("batch")) std::cout << fmt::format("# --batch not given: {} sequences, one per GPU\n", s.global_batch);
    std::cout << train::plan::format_plan(q, r);
    if (!workload.empty()) std::cout << "Workload (the best layout's collectives) written to " << workload << "\n";
  }
  return 0;
}

}  // namespace cairn::cli
