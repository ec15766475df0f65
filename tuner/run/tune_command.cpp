#include "tuner/run/tune_command.h"

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "collectives/measure/memory.h"
#include "collectives/rendezvous/bootstrap.h"
#include "common/error.h"
#include "common/host_name.h"
#include "common/progress_bar.h"
#include "common/text_file.h"
#include "common/utc_time.h"
#include "tuner/profile/topology_hash.h"
#include "tuner/run/diff.h"
#include "tuner/run/nccl_applier.h"
#include "tuner/run/nccl_context.h"
#include "tuner/run/shared_text.h"
#include "tuner/run/verify.h"
#include "tuner/run/workload.h"
#include "tuner/search/space.h"

namespace cairn::tuner {
namespace {

// NCCL sweeps through Cairn's own plugin: NCCL must load it when the communicator is made,
// and no profile may steer the default that the candidates are compared with.
std::string prepare_nccl_plugin(const std::string& given) {
  const std::string path = given.empty() ? default_plugin_path() : given;
  if (!std::filesystem::exists(path))
    throw Error(fmt::format("{}: Cairn's tuner plugin is not there; build it (target cairn_tuner_plugin) or give "
                            "--plugin PATH",
                            path));
  if (const char* set = std::getenv("NCCL_TUNER_PLUGIN"); set && *set && path != set)
    throw Error(fmt::format("NCCL_TUNER_PLUGIN is set to '{}': cairn tune sweeps through its own plugin; unset it "
                            "for the sweep",
                            set));
  ::setenv("NCCL_TUNER_PLUGIN", path.c_str(), 1);
  ::unsetenv("CAIRN_TUNER_PROFILE");
  return path;
}

std::vector<Candidate> space_for(const std::string& backend, const NodeFacts& facts, const std::string& collective,
                                 int nranks, int nnodes) {
  if (backend == "nccl") return nccl_space(nccl_context(facts, collective, nranks, nnodes));
  HostSpaceOptions h;
  h.collective = collective;
  h.nranks = nranks;
  return host_space(h);
}

}  // namespace

int run_tune(TuneRequest r, std::ostream& out) {
  coll::Bootstrap boot = coll::bootstrap_from_env(coll::process_environment());
  coll::OpenBackendOptions open;
  open.choice = r.backend;
  open.data = coll::DataPlace::gpu_if_visible;
  open.device = r.device;
  open.key_prefix = "cairn/tune";
  open.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(r.timeout_s * 1000));
  const std::string resolved = coll::backend_for(open);
  if (!r.plugin.empty() && resolved != "nccl")
    throw Error(fmt::format("--plugin is for the nccl backend, and this run uses {}: leave it out", resolved));
  const std::string plugin = resolved == "nccl" ? prepare_nccl_plugin(r.plugin) : std::string();
  coll::OpenedBackend opened = coll::open_backend(boot, open);
  std::unique_ptr<coll::Communicator> comm = std::move(opened.comm);
  std::unique_ptr<coll::bench::Memory> memory = coll::bench::make_memory(opened.memory, opened.device);
  const int nnodes = count_hosts(*comm, *memory);
  const int nranks = comm->size();
  const bool printer = comm->rank() == 0;

  std::unique_ptr<Applier> applier;
  int nccl_version = 0;
#ifdef CAIRN_HAVE_CUDA
  int config_comms = 0;
  if (opened.name == "nccl") {
    nccl_version = coll::nccl_library_version();
    applier = make_nccl_applier(*comm, plugin, [&](const coll::NcclOptions& o) {
      coll::NcclOptions with = o;
      with.store_prefix = fmt::format("cairn/tune/nccl/config{}", config_comms++);
      return coll::make_nccl_communicator(*boot.store, comm->rank(), nranks, opened.device, with);
    });
  }
#endif
  if (!applier) applier = make_host_applier(*comm);

  std::size_t max_bytes = 0;
  Profile verify_profile;
  if (!r.verify.empty()) {
    // Rank 0 reads the profile; every rank parses the same bytes.
    const std::string text =
        broadcast_text(*comm, *memory, printer ? read_text_file(r.verify, false, kMaxProfileBytes) : std::string());
    verify_profile = profile_from_json(parse_json(text, r.verify), r.verify);
    for (const ProfileCell& c : verify_profile.cells) max_bytes = std::max(max_bytes, c.bytes);
  } else if (printer) {
    prepare_out_dir(r.session.out_dir);
  }
  check_cells(r.cells, nranks);
  for (const Cell& c : r.cells) max_bytes = std::max(max_bytes, c.bytes);
  CommMeasurer measurer(*applier, *memory, max_bytes, nnodes);

  int status = 0;
  if (!r.verify.empty()) {
    const Verification v =
        verify_profile_cells(measurer, verify_profile, r.session.search.final_rounds, r.session.search.coverage);
    if (printer) out << format_verification(v, r.verify);
    status = v.failed() ? 1 : 0;
  } else {
    ProgressBar bar(printer);
    SessionOptions& o = r.session;
    o.cells = r.cells;
    o.search.progress = [&](int done, int total, const std::string& what) { bar.update(done, total, what); };
    o.context.backend = opened.name;
    o.context.nccl_version = nccl_version;
    o.context.topology_hash = node_topology_hash();
    o.context.nnodes = nnodes;
    o.context.nranks = nranks;
    o.context.created_utc = utc_now_iso8601();
    o.context.host = host_name();
    const NodeFacts facts = opened.name == "nccl" ? read_node_facts("/sys", opened.device) : NodeFacts{};
    o.space = [&](const std::string& collective) { return space_for(opened.name, facts, collective, nranks, nnodes); };
    const SessionResult result = run_session(*comm, *memory, measurer, o);
    bar.finish();
    if (printer) out << format_session(result, o);
    if (result.wrong > 0)
      throw CheckFailed(fmt::format("{} wrong element(s) in the winners' data checks ({}): the {} backend returned "
                                    "wrong data with a tuned choice",
                                    result.wrong, result.wrong_cells.front(), opened.name));
  }
  applier.reset();
  comm.reset();
  boot.finish();
  return status;
}

int run_diff(const std::string& before, const std::string& after, double threshold_pct, std::ostream& out) {
  const double threshold = threshold_pct / 100;
  const ProfileDiff d = diff_profiles(read_profile_file(before), read_profile_file(after), threshold);
  out << format_diff(d, before, after, threshold);
  return d.regressed ? 1 : 0;
}

}  // namespace cairn::tuner
