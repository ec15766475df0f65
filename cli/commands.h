// Subcommands of `cairn`. Each takes the arguments after its name and returns the exit
// code (0 ok, 1 a check failed, 2 could not run); errors it throws are turned into one
// line on stderr by main().
#pragma once

#include <string>
#include <vector>

namespace cairn::cli {

using Args = std::vector<std::string>;

int cmd_probe(const Args& args);  // node discovery and health checks (probe/)
int cmd_probe_storage(const Args& args);  // `probe storage PATH`: the filesystem against a run's demand (probe/storage)
int cmd_topo(const Args& args);   // topology, paths, NCCL topology files, cluster models
int cmd_data(const Args& args);   // text -> token shard (train/data)
int cmd_train(const Args& args);  // a training run on the CPU or a GPU (train/run.h)
int cmd_launch(const Args& args);  // N local ranks with the bootstrap's environment
int cmd_pairs(const Args& args);   // all-pairs link bandwidth/latency, flags slow pairs
int cmd_bench(const Args& args);   // nccl-tests-compatible collective benchmark (NCCL or UCX)
int cmd_acceptance(const Args& args);  // accepts or rejects the nodes and links of a job (reports/acceptance)
int cmd_plan(const Args& args);    // layouts of a model on N GPUs that fit, ranked by predicted step time (train/plan)
int cmd_tune(const Args& args);    // sweeps NCCL/UCX choices, proves the win, writes the profile (tuner/)
int cmd_report(const Args& args);  // one self-contained HTML report (and a Markdown summary) of cairn.* results (reports/)

}  // namespace cairn::cli
