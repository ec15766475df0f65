// cairn bench: nccl-tests' sweep on Cairn's communicators — NCCL on GPU buffers, UCX on
// host buffers — with its flags, formulas, data check and table (collectives/measure/harness/).
// Runs alone (one rank) or under `cairn launch -n N`, srun or mpirun.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "collectives/measure/harness/harness.h"
#include "collectives/measure/memory.h"
#include "collectives/measure/harness/options.h"
#include "collectives/measure/harness/report.h"
#include "collectives/rendezvous/bootstrap.h"
#include "collectives/backends/open_backend.h"
#include "common/error.h"
#include "common/host_name.h"

namespace cairn::cli {
namespace {

namespace bench = coll::bench;

struct BenchArgs {
  coll::BackendChoice backend = coll::BackendChoice::automatic;
  std::vector<const bench::CollTest*> tests;
  bool all_collectives = false;  // --op all: skip what needs more ranks than the run has
  bench::SweepOptions sweep;
  double timeout_s = 600;
  int device = -1;
  bool json = false;
  bool nccl_nonblocking = false;
};

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

BenchArgs parse(const Args& args, bool& help) {
  std::string backend, op, minbytes, maxbytes, stepbytes, redop, dtype;
  BenchArgs a;
  int nthreads = 1, ngpus = 1, check = 1, blocking = 0;
  long long step_factor = 1;  // signed: Boost would read "-1" into an unsigned flag as 2^64 - 1
  po::options_description desc("Options (nccl-tests' meanings)");
  desc.add_options()
      ("backend", po::value(&backend)->default_value("auto"), "ucx (host memory), nccl (GPU memory) or auto")
      ("op", po::value(&op)->default_value("all_reduce"),
       "collective: all_reduce, reduce_scatter, all_gather, broadcast, reduce, alltoall, sendrecv (2 ranks or "
       "more), a list, or all (on one rank: all but sendrecv, which is listed as skipped)")
      ("minbytes,b", po::value(&minbytes)->default_value("32M"), "smallest size (K, M, G suffixes)")
      ("maxbytes,e", po::value(&maxbytes)->default_value("32M"), "largest size")
      ("stepbytes,i", po::value(&stepbytes)->default_value("1M"), "size increment when -f is 1")
      ("stepfactor,f", po::value(&step_factor)->default_value(1), "size multiplication factor")
      ("iters,n", po::value(&a.sweep.iters)->default_value(20), "timed iterations per size")
      ("warmup_iters,w", po::value(&a.sweep.warmup_iters)->default_value(1), "warm-up iterations per size")
      ("check,c", po::value(&check)->default_value(1), "data checks per size (0: none)")
      ("redop,o", po::value(&redop)->default_value("sum"), "reduction: sum, prod, max, min, avg or all")
      ("datatype,d", po::value(&dtype)->default_value("float"),
       "float, half, bfloat16, double, int32, int64, uint8 or all")
      ("root,r", po::value(&a.sweep.root)->default_value(0), "root of broadcast and reduce")
      ("average,a", po::value(&a.sweep.average)->default_value(1),
       "time across ranks: 0 rank 0's, 1 average, 2 minimum, 3 maximum")
      ("blocking,z", po::value(&blocking)->default_value(0), "1: wait and barrier after every call")
      ("timeout,T", po::value(&a.timeout_s)->default_value(600), "seconds before a stuck call aborts (0: never)")
      ("nthreads,t", po::value(&nthreads)->default_value(1), "must be 1: one rank per process")
      ("ngpus,g", po::value(&ngpus)->default_value(1), "must be 1: one GPU per rank")
      ("device", po::value(&a.device)->default_value(-1), "CUDA device for nccl (default: the local rank)")
      ("nccl-nonblocking", po::bool_switch(&a.nccl_nonblocking),
       "run NCCL operations on the non-blocking communicator too (every call abortable; slower launches)")
      ("json", po::bool_switch(&a.json), "print the results as JSON (schema cairn.bench v1)");
  po::variables_map vm;
  help = !parse_options("bench", "[--backend ucx|nccl|auto] [--op COLLECTIVE|all] [-b MIN] [-e MAX] [-f F] ...", args,
                        desc, vm);
  if (help) return a;
  a.backend = coll::parse_backend_choice(backend);
  a.tests = bench::parse_collectives(op);
  a.all_collectives = op == "all";
  a.sweep.min_bytes = bench::parse_size(minbytes, "-b");
  a.sweep.max_bytes = bench::parse_size(maxbytes, "-e");
  a.sweep.step_bytes = bench::parse_size(stepbytes, "-i");
  a.sweep.ops = bench::parse_ops(redop);
  a.sweep.dtypes = bench::parse_dtypes(dtype);
  a.sweep.check_iters = check;
  a.sweep.blocking = blocking != 0;
  require(nthreads == 1 && ngpus == 1,
          "-t and -g must be 1: Cairn runs one rank per process and GPU; start more with 'cairn launch -n N'");
  require(a.sweep.iters >= 1, fmt::format("-n {}: give at least one iteration", a.sweep.iters));
  require(a.sweep.warmup_iters >= 0, fmt::format("-w {}: warm-up iterations cannot be negative", a.sweep.warmup_iters));
  require(check >= 0, fmt::format("-c {}: the number of checks cannot be negative", check));
  require(a.sweep.average >= 0 && a.sweep.average <= 3,
          fmt::format("-a {}: use 0 (rank 0), 1 (average), 2 (minimum) or 3 (maximum)", a.sweep.average));
  require(blocking == 0 || blocking == 1, fmt::format("-z {}: use 0 or 1", blocking));
  require(a.timeout_s >= 0, "-T cannot be negative");
  require(step_factor >= 1, fmt::format("-f {}: the step factor must be at least 1 (1 steps by -i bytes)", step_factor));
  a.sweep.step_factor = static_cast<std::size_t>(step_factor);
  require(a.sweep.root >= 0, fmt::format("-r {}: the root is a rank, 0 or more", a.sweep.root));
  bench::sweep_sizes(a.sweep);  // rejects a sweep that never advances before any rank starts
  return a;
}

}  // namespace

int cmd_bench(const Args& args) {
  bool help = false;
  BenchArgs a = parse(args, help);
  if (help) return 0;

  coll::Bootstrap boot = coll::bootstrap_from_env(coll::process_environment());
  coll::OpenBackendOptions open;
  open.choice = a.backend;
  open.data = coll::DataPlace::gpu_if_visible;  // the benchmark measures what the node has
  open.device = a.device;
  open.nccl.blocking_operations = !a.nccl_nonblocking;
  open.key_prefix = "cairn/bench";
  open.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(a.timeout_s * 1000));
  coll::OpenedBackend opened = coll::open_backend(boot, open);
  std::unique_ptr<coll::Communicator> comm = std::move(opened.comm);
  std::unique_ptr<bench::Memory> memory = bench::make_memory(opened.memory, opened.device);
  const std::string backend = opened.name;
  const bench::CollectiveSelection selection = bench::select_for_ranks(a.tests, comm->size(), a.all_collectives);

  bench::RunInfo info;
  info.tool_line = fmt::format("cairn bench {} {}", CAIRN_VERSION, opened.description);
  info.backend = backend;
  info.nranks = comm->size();
  info.options = a.sweep;
  info.skipped = selection.skipped;
  info.devices = bench::gather_lines(
      *comm, *memory,
      fmt::format("#  Rank {:2d} Group {:2d} Pid {:6d} on {:>10} {}", comm->rank(), 0, ::getpid(), host_name(),
                  memory->describe()));

  const bool printer = comm->rank() == 0;
  bench::TableSink table(std::cout);
  bench::RowSink* sink = printer && !a.json ? &table : nullptr;
  if (sink) std::cout << bench::preamble(info) << std::flush;
  std::vector<bench::CollectiveReport> reports;
  int out_of_bounds = 0;
  for (const bench::CollTest* test : selection.run) {
    reports.push_back(bench::run_collective(*comm, *memory, *test, a.sweep, sink));
    out_of_bounds += reports.back().out_of_bounds;
  }
  if (printer && a.json) std::cout << bench::to_json(info, reports).dump(2) << "\n";

  comm.reset();
  boot.finish();
  if (out_of_bounds > 0)
    throw CheckFailed(fmt::format("{} measurement(s) had wrong elements (see #wrong): the {} backend returned "
                                  "wrong data",
                                  out_of_bounds, backend));
  return 0;
}

}  // namespace cairn::cli
