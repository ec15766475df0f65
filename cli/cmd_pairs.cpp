// cairn pairs: point-to-point bandwidth and latency between every pair of ranks (or of
// nodes, one rank each), scheduled as a round-robin tournament; flags the slow pairs.
// Every rank runs it, started by `cairn launch`, srun, mpirun or torchrun-style env.
#include <chrono>
#include <iostream>
#include <optional>
#include <string>

#include "cli/options.h"
#include "collectives/measure/harness/options.h"
#include "collectives/rendezvous/bootstrap.h"
#include "collectives/measure/pairs/analysis.h"
#include "collectives/measure/pairs/measure.h"
#include "collectives/measure/measured_backend.h"
#include "common/atomic_file.h"
#include "common/cpus.h"
#include "common/error.h"
#include "common/text_file.h"

namespace cairn::cli {
int cmd_pairs(const Args& args) {
  coll::pairs::MeasureOptions m;
  coll::pairs::FlagRule rule;
  std::string backend = "auto", bytes = "4M", latency_bytes = "8", output;
  double expect_gb_s = 0, timeout_s = 120;
  bool json = false;
  po::options_description desc("Options");
  desc.add_options()
      ("backend", po::value(&backend)->default_value("auto"), "ucx (host memory), nccl (GPU memory) or auto")
      ("bytes", po::value(&bytes)->default_value("4M"), "bytes each side sends per bandwidth exchange (K, M, G: 2^10..)")
      ("iters", po::value(&m.iters)->default_value(20), "timed exchanges per pair")
      ("warmup-iters", po::value(&m.warmup_iters)->default_value(2), "untimed exchanges per pair first")
      ("latency-bytes", po::value(&latency_bytes)->default_value("8"), "message size of the latency ping-pong")
      ("latency-iters", po::value(&m.latency_iters)->default_value(50), "ping-pong round trips per pair")
      ("threshold", po::value(&rule.fraction)->default_value(0.5),
       "flag a pair below this fraction of the median of all pairs (and of --expect-gb-s)")
      ("expect-gb-s", po::value(&expect_gb_s), "expected one-direction bandwidth in GB/s (10^9 B/s)")
      ("per-node", po::bool_switch(&m.per_node), "measure every pair of nodes: the first rank of each host")
      ("json", po::bool_switch(&json), "print JSON (schema cairn.pairs v1) instead of the tables")
      ("output", po::value(&output), "also write the JSON report to FILE")
      ("timeout-s", po::value(&timeout_s)->default_value(120), "abort an operation that takes longer (0: never)");
  po::variables_map vm;
  if (!parse_options("pairs",
                     "[--backend ucx|nccl|auto] [--bytes 4M] [--iters N] [--threshold F] [--expect-gb-s X] "
                     "[--per-node] [--json] [--output FILE]",
                     args, desc, vm))
    return 0;
  m.bytes = coll::bench::parse_size(bytes, "--bytes");
  m.latency_bytes = coll::bench::parse_size(latency_bytes, "--latency-bytes");
  if (vm.count("expect-gb-s")) rule.expect_gb_s = expect_gb_s;
  coll::pairs::validate(m);
  coll::pairs::validate(rule);
  if (!(timeout_s >= 0)) throw Error("--timeout-s must be zero or more seconds");
  if (!output.empty()) AtomicFile::check_writable(output);  // before the measurement, not after it
  const coll::BackendChoice choice = coll::parse_backend_choice(backend);

  coll::Bootstrap job = coll::bootstrap_from_env(coll::process_environment());
  // The pairs measure whatever the node has: GPU memory over NCCL where one is visible.
  coll::bench::MeasuredBackend b = coll::bench::open_measured_backend(job, choice, timeout_s, "cairn/pairs");

  const auto hosts = coll::pairs::gather_hosts(*b.comm, *b.memory);
  const auto participants = coll::pairs::choose_participants(hosts, m.per_node);
  const auto matrix = coll::pairs::measure_pairs(*b.comm, *b.memory, participants, m);
  // Every rank holds the matrix, so every rank reaches the same verdict and exit code;
  // rank 0 alone reports.
  const auto verdict = coll::pairs::analyze(matrix, rule);
  if (job.info.rank == 0) {
    const Json doc = coll::pairs::to_json(matrix, verdict, rule, coll::pairs::to_json(m, b.name, job.info.size));
    if (!output.empty()) write_file_atomically(output, doc.dump(2) + "\n");
    if (json) {
      std::cout << doc.dump(2) << "\n";
    } else {
      std::cout << "# cairn pairs: " << b.name << ", " << participants.size() << (m.per_node ? " nodes" : " ranks")
                << ", " << m.bytes << " B exchanges x " << m.iters << ", " << m.latency_bytes << " B ping-pong x "
                << m.latency_iters << "\n"
                << coll::pairs::format_pair_table(matrix, verdict) << coll::pairs::format_matrices(matrix, verdict);
    }
    std::cerr << coll::pairs::flagged_lines(matrix, verdict);
    if (b.comm->memory() == coll::MemoryKind::host)
      std::cerr << coll::pairs::crowded_host_warning(participants, hosts.front(), usable_cpus());
  }
  b.comm.reset();
  job.finish();  // rank 0's store outlives every rank's last use of it
  return verdict.healthy() ? 0 : 1;
}

}  // namespace cairn::cli
