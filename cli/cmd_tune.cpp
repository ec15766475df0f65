// cairn tune: finds the fastest way to run a workload's collectives (tuner/), proves the
// win over the noise, and writes what production applies (profile.json for Cairn's NCCL
// tuner plugin, nccl.env, NCCL's example-plugin CSV). Also --verify (a profile against
// the defaults, measured again), --diff (two profiles) and --predict (the cost model at a
// cluster's scale). Runs alone or under `cairn launch -n N`, srun or mpirun, like bench.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "collectives/measure/harness/options.h"
#include "common/error.h"
#include "tuner/run/predict_report.h"
#include "tuner/run/tune_command.h"
#include "tuner/run/workload.h"

namespace cairn::cli {
namespace {

namespace bench = coll::bench;

struct TuneArgs {
  tuner::TuneRequest run;  // a sweep or --verify: what tuner::run_tune takes
  std::vector<const bench::CollTest*> tests;
  bench::SweepOptions sweep;
  std::string workload;
  std::vector<std::string> diff;
  double threshold_pct = 10;
  bool predict = false;
  std::string cluster;
  int nodes = 0;
  std::string from;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

TuneArgs parse(const Args& args, bool& help) {
  TuneArgs a;
  std::string backend, op, minbytes, maxbytes, stepbytes, redop, dtype, search;
  long long step_factor = 4;
  tuner::SearchOptions& s = a.run.session.search;
  po::options_description desc("Options");
  desc.add_options()
      ("backend", po::value(&backend)->default_value("auto"), "ucx (host memory), nccl (GPU memory) or auto")
      ("op", po::value(&op)->default_value("all_reduce"),
       "collectives to tune: all_reduce, all_gather, reduce_scatter, broadcast, reduce, a list, or all")
      ("minbytes,b", po::value(&minbytes)->default_value("1K"), "smallest size (K, M, G suffixes)")
      ("maxbytes,e", po::value(&maxbytes)->default_value("64M"), "largest size")
      ("stepfactor,f", po::value(&step_factor)->default_value(4), "size multiplication factor")
      ("stepbytes,i", po::value(&stepbytes)->default_value("1M"), "size increment when -f is 1")
      ("datatype,d", po::value(&dtype)->default_value("float"), "data type(s), as bench takes them")
      ("redop,o", po::value(&redop)->default_value("sum"), "reduction(s), as bench takes them")
      ("workload", po::value(&a.workload), "the cells from a file: cairn.workload (cairn plan) or a bench --json result")
      ("out", po::value(&a.run.session.out_dir)->default_value("tune"),
       "directory for the journals, profile.json, nccl.env and nccl_tuner.conf")
      ("search", po::value(&search)->default_value("guided"), "guided (model-guided successive halving) or exhaustive")
      ("rounds", po::value(&s.explore_rounds)->default_value(s.explore_rounds), "rounds of each exploring measurement")
      ("final-rounds", po::value(&s.final_rounds)->default_value(s.final_rounds),
       "rounds of the head-to-head against the default (and of --verify)")
      ("coverage", po::value(&s.coverage)->default_value(s.coverage, "0.95"), "confidence of the speedup's interval")
      ("restart", po::bool_switch(&a.run.session.restart), "measure everything again, replacing earlier journals in --out")
      ("timeout,T", po::value(&a.run.timeout_s)->default_value(600), "seconds before a stuck call aborts (0: never)")
      ("device", po::value(&a.run.device)->default_value(-1), "CUDA device for nccl (default: the local rank)")
      ("plugin", po::value(&a.run.plugin), "Cairn's tuner plugin to sweep through (default: ../lib beside cairn)")
      ("verify", po::value(&a.run.verify), "measure PROFILE's choices against the defaults again, cell by cell")
      ("diff", po::value(&a.diff)->multitoken(), "A.json B.json: cells whose busbw moved more than --threshold")
      ("threshold", po::value(&a.threshold_pct)->default_value(10), "percent, for --diff")
      ("predict", po::bool_switch(&a.predict), "predict busbw at a cluster's scale from the cost model")
      ("cluster", po::value(&a.cluster), "for --predict: a cluster preset (gh200-alps, dgx-h100, pcie-only)")
      ("nodes", po::value(&a.nodes)->default_value(0), "for --predict: nodes of the cluster")
      ("from", po::value(&a.from), "for --predict: a journal (journal-*.jsonl) to fit and report held-out error on");
  po::variables_map vm;
  help = !parse_options("tune", "[--backend ucx|nccl|auto] [--op LIST] [-b MIN] [-e MAX] [-f F] [--out DIR] | --verify "
                                "PROFILE | --diff A B | --predict --cluster NAME --nodes N",
                        args, desc, vm);
  if (help) return a;
  const int modes = !a.run.verify.empty() + !a.diff.empty() + a.predict;
  require(modes <= 1, "--verify, --diff and --predict are separate modes: give one");
  // A flag the mode does not read is refused rather than silently ignored.
  auto refuse_given = [&](std::initializer_list<const char*> names, const char* mode) {
    for (const char* n : names)
      if (vm.count(n) && !vm[n].defaulted())
        throw Error(fmt::format("--{} has no effect {}: leave it out", n, mode));
  };
  const auto measuring = {"backend", "workload", "out", "search", "rounds", "final-rounds", "coverage", "restart",
                          "timeout", "device", "plugin"};
  const auto sweep_only = {"op", "minbytes", "maxbytes", "stepfactor", "stepbytes", "datatype", "redop"};
  if (!a.diff.empty()) {
    refuse_given(measuring, "with --diff");
    refuse_given(sweep_only, "with --diff");
  }
  if (a.predict) refuse_given(measuring, "with --predict");
  if (!a.run.verify.empty()) refuse_given({"workload", "out", "search", "rounds", "restart"}, "with --verify");
  if (a.diff.empty()) refuse_given({"threshold"}, "without --diff");
  if (!a.workload.empty()) refuse_given(sweep_only, "with --workload (the file gives the cells)");
  a.run.backend = coll::parse_backend_choice(backend);
  a.tests = bench::parse_collectives(op);
  a.sweep.min_bytes = bench::parse_size(minbytes, "-b");
  a.sweep.max_bytes = bench::parse_size(maxbytes, "-e");
  a.sweep.step_bytes = bench::parse_size(stepbytes, "-i");
  require(step_factor >= 1, fmt::format("-f {}: the step factor must be at least 1 (1 steps by -i bytes)", step_factor));
  a.sweep.step_factor = static_cast<std::size_t>(step_factor);
  a.sweep.dtypes = bench::parse_dtypes(dtype);
  a.sweep.ops = bench::parse_ops(redop);
  bench::sweep_sizes(a.sweep);
  require(search == "guided" || search == "exhaustive", fmt::format("--search '{}': use guided or exhaustive", search));
  a.run.session.exhaustive = search == "exhaustive";
  require(s.explore_rounds >= 1 && s.explore_rounds <= 1000,
          fmt::format("--rounds {}: give 1 to 1000 rounds", s.explore_rounds));
  require(s.coverage > 0.5 && s.coverage < 1, fmt::format("--coverage {}: give a confidence between 0.5 and 1, e.g. 0.95", s.coverage));
  const int least = tuner::min_rounds_for(s.coverage);
  require(s.final_rounds >= least && s.final_rounds <= 1000,
          fmt::format("--final-rounds {}: the noise rule needs at least {} rounds for {} coverage (and at most 1000)",
                      s.final_rounds, least, s.coverage));
  require(a.run.timeout_s >= 0, "-T cannot be negative");
  require(a.threshold_pct > 0 && a.threshold_pct < 1000,
          fmt::format("--threshold {}: give a percentage above 0, e.g. 10", a.threshold_pct));
  require(a.diff.empty() || a.diff.size() == 2, "--diff takes two profiles: --diff A.json B.json");
  require(a.predict || (a.cluster.empty() && a.nodes == 0 && a.from.empty()),
          "--cluster, --nodes and --from go with --predict");
  if (a.predict) {
    require(!a.cluster.empty(), "--predict needs --cluster NAME (gh200-alps, dgx-h100, pcie-only)");
    require(a.nodes >= 1, fmt::format("--nodes {}: --predict needs the cluster's node count, 1 or more", a.nodes));
  }
  return a;
}

int run_predict(const TuneArgs& a) {
  std::cout << tuner::predict_report(a.cluster, a.nodes, a.tests, a.sweep, a.from);
  return 0;
}

}  // namespace

int cmd_tune(const Args& args) {
  bool help = false;
  TuneArgs a = parse(args, help);
  if (help) return 0;
  if (!a.diff.empty()) return tuner::run_diff(a.diff[0], a.diff[1], a.threshold_pct, std::cout);
  if (a.predict) return run_predict(a);

  tuner::TuneRequest r = std::move(a.run);
  // Cells come from the flags or a file, read before any rank starts measuring.
  r.cells = a.workload.empty() ? tuner::cells_from_sweep(a.tests, a.sweep) : tuner::read_cells_file(a.workload);
  return tuner::run_tune(std::move(r), std::cout);
}

}  // namespace cairn::cli
