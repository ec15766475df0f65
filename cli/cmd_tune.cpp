// cairn tune: finds the fastest way to run a workload's collectives (tuner/), proves the
// win over the noise, and writes what production applies (profile.json for Cairn's NCCL
// tuner plugin, nccl.env, NCCL's example-plugin CSV). Also --verify (a profile against
// the defaults, measured again), --diff (two profiles) and --predict (the cost model at a
// cluster's scale). Runs alone or under `cairn launch -n N`, srun or mpirun, like bench.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "collectives/backends/open_backend.h"
#include "collectives/measure/harness/options.h"
#include "collectives/measure/memory.h"
#include "collectives/rendezvous/bootstrap.h"
#include "common/error.h"
#include "probe/cuda_devices.h"
#include "common/host_name.h"
#include "common/progress_bar.h"
#include "common/text_file.h"
#include "common/utc_time.h"
#include "tuner/run/predict_report.h"
#include "tuner/profile/topology_hash.h"
#include "tuner/run/diff.h"
#include "tuner/run/nccl_applier.h"
#include "tuner/run/nccl_context.h"
#include "tuner/run/session.h"
#include "tuner/run/shared_text.h"
#include "tuner/run/verify.h"
#include "tuner/run/workload.h"
#include "tuner/search/space.h"

namespace cairn::cli {
namespace {

namespace bench = coll::bench;

struct TuneArgs {
  coll::BackendChoice backend = coll::BackendChoice::automatic;
  std::vector<const bench::CollTest*> tests;
  bench::SweepOptions sweep;
  std::string workload;
  tuner::SessionOptions session;
  double timeout_s = 600;
  int device = -1;
  std::string plugin;
  std::string verify;
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
  tuner::SearchOptions& s = a.session.search;
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
      ("out", po::value(&a.session.out_dir)->default_value("tune"),
       "directory for the journals, profile.json, nccl.env and nccl_tuner.conf")
      ("search", po::value(&search)->default_value("guided"), "guided (model-guided successive halving) or exhaustive")
      ("rounds", po::value(&s.explore_rounds)->default_value(s.explore_rounds), "rounds of each exploring measurement")
      ("final-rounds", po::value(&s.final_rounds)->default_value(s.final_rounds),
       "rounds of the head-to-head against the default (and of --verify)")
      ("coverage", po::value(&s.coverage)->default_value(s.coverage, "0.95"), "confidence of the speedup's interval")
      ("restart", po::bool_switch(&a.session.restart), "measure everything again, replacing earlier journals in --out")
      ("timeout,T", po::value(&a.timeout_s)->default_value(600), "seconds before a stuck call aborts (0: never)")
      ("device", po::value(&a.device)->default_value(-1), "CUDA device for nccl (default: the local rank)")
      ("plugin", po::value(&a.plugin), "Cairn's tuner plugin to sweep through (default: ../lib beside cairn)")
      ("verify", po::value(&a.verify), "measure PROFILE's choices against the defaults again, cell by cell")
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
  const int modes = !a.verify.empty() + !a.diff.empty() + a.predict;
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
  if (!a.verify.empty()) refuse_given({"workload", "out", "search", "rounds", "restart"}, "with --verify");
  if (a.diff.empty()) refuse_given({"threshold"}, "without --diff");
  if (!a.workload.empty()) refuse_given(sweep_only, "with --workload (the file gives the cells)");
  a.backend = coll::parse_backend_choice(backend);
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
  a.session.exhaustive = search == "exhaustive";
  require(s.explore_rounds >= 1 && s.explore_rounds <= 1000,
          fmt::format("--rounds {}: give 1 to 1000 rounds", s.explore_rounds));
  require(s.coverage > 0.5 && s.coverage < 1, fmt::format("--coverage {}: give a confidence between 0.5 and 1, e.g. 0.95", s.coverage));
  const int least = tuner::min_rounds_for(s.coverage);
  require(s.final_rounds >= least && s.final_rounds <= 1000,
          fmt::format("--final-rounds {}: the noise rule needs at least {} rounds for {} coverage (and at most 1000)",
                      s.final_rounds, least, s.coverage));
  require(a.timeout_s >= 0, "-T cannot be negative");
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

int run_diff(const TuneArgs& a) {
  const tuner::Profile before = tuner::read_profile_file(a.diff[0]);
  const tuner::Profile after = tuner::read_profile_file(a.diff[1]);
  const double threshold = a.threshold_pct / 100;
  const tuner::ProfileDiff d = tuner::diff_profiles(before, after, threshold);
  std::cout << tuner::format_diff(d, a.diff[0], a.diff[1], threshold);
  return d.regressed ? 1 : 0;
}

int run_predict(const TuneArgs& a) {
  std::cout << tuner::predict_report(a.cluster, a.nodes, a.tests, a.sweep, a.from);
  return 0;
}

// NCCL sweeps through Cairn's own plugin: NCCL must load it when the communicator is made,
// and no profile may steer the default that the candidates are compared with.
std::string prepare_nccl_plugin(const TuneArgs& a) {
  const std::string path = a.plugin.empty() ? tuner::default_plugin_path() : a.plugin;
  if (!std::filesystem::exists(path))
    throw Error(fmt::format("{}: Cairn's tuner plugin is not there; build it (target nccl-tuner-cairn) or give --plugin PATH",
                            path));
  if (const char* set = std::getenv("NCCL_TUNER_PLUGIN"); set && *set && path != set)
    throw Error(fmt::format("NCCL_TUNER_PLUGIN is set to '{}': cairn tune sweeps through its own plugin; unset it "
                            "for the sweep",
                            set));
  ::setenv("NCCL_TUNER_PLUGIN", path.c_str(), 1);
  ::unsetenv("CAIRN_TUNER_PROFILE");
  return path;
}

}  // namespace

int cmd_tune(const Args& args) {
  bool help = false;
  TuneArgs a = parse(args, help);
  if (help) return 0;
  if (!a.diff.empty()) return run_diff(a);
  if (a.predict) return run_predict(a);

  // Cells come from the flags or a file; checked before any rank starts measuring.
  std::vector<tuner::Cell> cells =
      a.workload.empty() ? tuner::cells_from_sweep(a.tests, a.sweep) : tuner::read_cells_file(a.workload);

  coll::Bootstrap boot = coll::bootstrap_from_env(coll::process_environment());
  coll::OpenBackendOptions open;
  open.choice = a.backend;
  open.data = coll::DataPlace::gpu_if_visible;
  open.device = a.device;
  open.key_prefix = "cairn/tune";
  open.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(a.timeout_s * 1000));
#ifdef CAIRN_HAVE_CUDA
  constexpr bool kCudaBuild = true;
#else
  constexpr bool kCudaBuild = false;
#endif
  const std::string resolved =
      coll::resolve_backend(a.backend, open.data, kCudaBuild, probe::visible_cuda_device_count());
  require(a.plugin.empty() || resolved == "nccl",
          fmt::format("--plugin is for the nccl backend, and this run uses {}: leave it out", resolved));
  const std::string plugin = resolved == "nccl" ? prepare_nccl_plugin(a) : std::string();
  coll::OpenedBackend opened = coll::open_backend(boot, open);
  std::unique_ptr<coll::Communicator> comm = std::move(opened.comm);
  std::unique_ptr<bench::Memory> memory;
#ifdef CAIRN_HAVE_CUDA
  if (opened.memory == coll::MemoryKind::device) memory = bench::make_cuda_memory(opened.device);
#endif
  if (!memory) memory = bench::make_host_memory();
  const int nnodes = tuner::count_hosts(*comm, *memory);

  int config_comms = 0;
  std::unique_ptr<tuner::Applier> applier;
  if (opened.name == "nccl") {
    applier = tuner::make_nccl_applier(*comm, plugin, [&](const coll::NcclOptions& o) {
      coll::NcclOptions with = o;
      with.store_prefix = fmt::format("cairn/tune/nccl/config{}", config_comms++);
      return coll::make_nccl_communicator(*boot.store, comm->rank(), comm->size(), opened.device, with);
    });
  } else {
    applier = tuner::make_host_applier(*comm);
  }
  std::size_t max_bytes = 0;
  tuner::Profile verify_profile;
  if (!a.verify.empty()) {
    // Rank 0 reads the profile; every rank parses the same bytes.
    const std::string text = tuner::broadcast_text(
        *comm, *memory, comm->rank() == 0 ? read_text_file(a.verify, false, tuner::kMaxProfileBytes) : std::string());
    verify_profile = tuner::profile_from_json(parse_json(text, a.verify), a.verify);
    for (const tuner::ProfileCell& c : verify_profile.cells) max_bytes = std::max(max_bytes, c.bytes);
  }
  if (a.verify.empty() && comm->rank() == 0) tuner::prepare_out_dir(a.session.out_dir);
  tuner::check_cells(cells, comm->size());
  for (const tuner::Cell& c : cells) max_bytes = std::max(max_bytes, c.bytes);
  tuner::CommMeasurer measurer(*applier, *memory, max_bytes, nnodes);
  const bool printer = comm->rank() == 0;

  int status = 0;
  if (!a.verify.empty()) {
    const tuner::Verification v =
        tuner::verify_profile(measurer, verify_profile, a.session.search.final_rounds, a.session.search.coverage);
    if (printer) std::cout << tuner::format_verification(v, a.verify);
    status = v.failed() ? 1 : 0;
  } else {
    ProgressBar bar(printer);
    tuner::SessionOptions& o = a.session;
    o.cells = cells;
    o.search.progress = [&](int done, int total, const std::string& what) { bar.update(done, total, what); };
    o.context.backend = opened.name;
    o.context.nccl_version = opened.name == "nccl" ? coll::nccl_library_version() : 0;
    o.context.topology_hash = tuner::node_topology_hash();
    o.context.nnodes = nnodes;
    o.context.nranks = comm->size();
    o.context.created_utc = utc_now_iso8601();
    o.context.host = host_name();
    const tuner::NodeFacts facts = opened.name == "nccl" ? tuner::read_node_facts("/sys", opened.device) : tuner::NodeFacts{};
    const int nranks = comm->size();
    o.space = [&](const std::string& collective) {
      if (opened.name == "nccl") return tuner::nccl_space(tuner::nccl_context(facts, collective, nranks, nnodes));
      tuner::HostSpaceOptions h;
      h.collective = collective;
      h.nranks = nranks;
      return tuner::host_space(h);
    };
    const tuner::SessionResult r = tuner::run_session(*comm, *memory, measurer, o);
    bar.finish();
    if (printer) std::cout << tuner::format_session(r, o);
    if (r.wrong > 0)
      throw CheckFailed(fmt::format("{} wrong element(s) in the winners' data checks ({}): the {} backend returned wrong "
                                    "data with a tuned choice",
                                    r.wrong, r.wrong_cells.front(), opened.name));
  }
  applier.reset();
  comm.reset();
  boot.finish();
  return status;
}

}  // namespace cairn::cli
