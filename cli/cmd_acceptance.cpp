// cairn acceptance: accepts or rejects the nodes of a job, node by node and link by link,
// with statistical verdicts (reports/acceptance/). Every rank runs it, started by srun,
// mpirun, a Kubernetes Indexed Job (deploy/) or `cairn launch`. Exit 0 accepted, 1
// rejected, 2 could not run.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/storage_demand_flags.h"
#include "collectives/measure/measured_backend.h"
#include "collectives/measure/harness/options.h"
#include "collectives/rendezvous/bootstrap.h"
#include "common/atomic_file.h"
#include "common/byte_size.h"
#include "common/error.h"
#include "common/text_file.h"
#include "reports/acceptance/acceptance.h"

namespace cairn::cli {

int cmd_acceptance(const Args& args) {
  acceptance::AcceptanceOptions o;
  std::string backend = "auto", expect, baseline, output, bench_bytes = "1M", pairs_bytes = "4M", triad_bytes = "96M";
  std::string storage_bytes = "64M";
  StorageDemandFlags demand_flags;
  std::vector<std::string> inject;
  double timeout_s = 300;
  bool json = false, no_probe = false;
  po::options_description desc("Options");
  desc.add_options()
      ("backend", po::value(&backend)->default_value("auto"), "ucx (host memory), nccl (GPU memory) or auto")
      ("expect", po::value(&expect), "node spec (schema cairn.expect, the probe's; rates: memory_bandwidth_gb_s, "
                                     "gemm_gflop_s, bus_bandwidth_gb_s, pair_bandwidth_gb_s)")
      ("baseline", po::value(&baseline), "a previous report of these nodes (--output): a node slower than its own "
                                         "past by more than --baseline-fraction fails")
      ("repeats", po::value(&o.repeats)->default_value(5), "samples of every measured check (3 or more)")
      ("extra-rounds", po::value(&o.extra_rounds)->default_value(1),
       "further rounds of --repeats samples while a verdict is inconclusive")
      ("fleet-fraction", po::value(&o.fleet_fraction)->default_value(0.8, "0.8"),
       "a node below this x the fleet's median rate fails")
      ("baseline-fraction", po::value(&o.baseline_fraction)->default_value(0.9, "0.9"),
       "a node below this x its --baseline median fails")
      ("spec-fraction", po::value(&o.spec_fraction)->default_value(1.0), "a rate below this x --expect's fails")
      ("bench-fraction", po::value(&o.bench_fraction)->default_value(0.5, "0.5"),
       "without --expect bus_bandwidth_gb_s: all_reduce busbw below this x the pairs' median fails")
      ("datasheet-fraction", po::value(&o.datasheet_fraction)->default_value(0.6, "0.6"),
       "a GPU whose GEMM or copy rate is below this x its datasheet's fails")
      ("bench-bytes", po::value(&bench_bytes)->default_value("1M"), "all_reduce size (K, M, G: 2^10..)")
      ("bench-iters", po::value(&o.bench_iters)->default_value(5), "timed all_reduce calls a sample")
      ("pairs-bytes", po::value(&pairs_bytes)->default_value("4M"), "bytes a side of each pairs exchange")
      ("pairs-iters", po::value(&o.pairs.iters)->default_value(10), "timed exchanges a pair")
      ("pairs-threshold", po::value(&o.pairs_fraction)->default_value(0.5, "0.5"),
       "a pair below this x the pairs' median (or --expect's) is a slow link")
      ("triad-bytes", po::value(&triad_bytes)->default_value("96M"),
       "memory of the STREAM triad's three arrays, well beyond the caches")
      ("gemm-side", po::value(&o.gemm_side)->default_value(384), "side of the GEMM's square matrices")
      ("no-probe", po::bool_switch(&no_probe), "skip the probe check")
      ("data-path", po::value(&o.storage.data_path), "storage_read: each node's sequential reads of files it "
                                                      "writes (and removes) in this directory")
      ("checkpoint-path", po::value(&o.storage.checkpoint_path),
       "storage_write: each node's checkpoint writes (write, fsync, rename) into this directory")
      ("storage-size", po::value(&storage_bytes)->default_value(storage_bytes),
       "bytes of each storage sample's files, all 4 threads together")
      ("inject", po::value(&inject)->composing(),
       "slow-compute:rank=R,factor=F: a drill that the verdict names the slowed node")
      ("json", po::bool_switch(&json), "print the report as JSON (schema cairn.acceptance v1)")
      ("output", po::value(&output), "also write the JSON report to FILE")
      ("timeout-s", po::value(&timeout_s)->default_value(300), "abort an operation that takes longer (0: never)");
  add_storage_demand_options(desc, demand_flags);
  po::variables_map vm;
  if (!parse_options("acceptance",
                     "[--expect SPEC.json] [--baseline PREVIOUS.json] [--repeats N] [--output FILE] [--json] ...", args,
                     desc, vm))
    return 0;
  o.bench_bytes = coll::bench::parse_size(bench_bytes, "--bench-bytes");
  o.pairs.bytes = coll::bench::parse_size(pairs_bytes, "--pairs-bytes");
  o.triad_elements = coll::bench::parse_size(triad_bytes, "--triad-bytes") / (3 * sizeof(double));
  o.storage.bytes = parse_size(storage_bytes, "--storage-size");
  o.storage.demand = storage_demand_from(vm, demand_flags);
  o.probe = !no_probe;
  o.inject = ft::parse_fault_specs(inject);
  if (!(timeout_s >= 0)) throw Error("--timeout-s must be zero or more seconds");
  acceptance::validate(o);
  // Inputs and outputs are checked before anything is measured.
  if (!expect.empty()) o.expect = probe::read_expect_spec(expect);
  if (!baseline.empty()) o.baseline = acceptance::read_baseline(baseline);
  if (!output.empty()) AtomicFile::check_writable(output);
  acceptance::check_storage_paths(o.storage);
  const coll::BackendChoice choice = coll::parse_backend_choice(backend);

  coll::Bootstrap job = coll::bootstrap_from_env(coll::process_environment());
  coll::bench::MeasuredBackend b = coll::bench::open_measured_backend(job, choice, timeout_s, "cairn/acceptance");
  o.gpu_device = b.device;
  const auto result = acceptance::run_acceptance(*b.comm, *b.memory, o, ::isatty(2) != 0);
  if (job.info.rank == 0) {
    const Json doc = acceptance::to_json(result, o, b.name);
    if (!output.empty()) write_file_atomically(output, doc.dump(2) + "\n");
    if (json)
      std::cout << doc.dump(2) << "\n";
    else
      std::cout << acceptance::format_verdict(result);
  }
  b.comm.reset();
  job.finish();
  return result.accepted() ? 0 : 1;
}

}  // namespace cairn::cli
