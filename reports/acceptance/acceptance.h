// `cairn acceptance`: one run over every node of a job (srun, mpirun, a Kubernetes
// Indexed Job or `cairn launch`) that accepts or rejects the cluster, node by node and
// link by link, with the evidence. Every rank runs it alike and reaches the same verdict.
//
// The checks (docs/acceptance.md):
//   probe            the node against --expect (probe/health.h's error-level findings)
//   memory_bandwidth host STREAM triad, GB/s       } each repeated; against the spec, the
//   gemm             the node's GEMM rate, GFLOP/s } fleet's median and the node's own past
//   pairs            every pair of nodes (collectives/measure/pairs): slow links
//   gpu_gemm         each GPU's bf16 GEMM, TFLOP/s  } against the spec, the fleet of GPUs,
//   device_copy      each GPU's device copy, GB/s   } the past and the datasheet
//   storage_read     --data-path's sequential reads, GB/s      } against the fleet, the past
//   storage_write    --checkpoint-path's commits, GB/s         } and the run's demand
//   bench.all_reduce the job's all_reduce busbw; when slow, group testing names the node
// Ranks that share a machine take turns at the per-node rates (they would compete for one
// memory bus, and a verdict would rank the scheduler, not the node).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/measure/memory.h"
#include "collectives/measure/pairs/measure.h"
#include "common/json_io.h"
#include "ft/inject/fault_spec.h"
#include "probe/expect_spec.h"
#include "reports/acceptance/check.h"
#include "reports/acceptance/group_testing.h"
#include "reports/acceptance/storage_checks.h"

namespace cairn::acceptance {

inline constexpr const char* kAcceptanceSchema = "cairn.acceptance";
inline constexpr int kAcceptanceSchemaVersion = 1;

struct AcceptanceOptions {
  int repeats = 5;                 // samples of every measured check
  int extra_rounds = 1;            // further rounds of `repeats` while a check is inconclusive
  double fleet_fraction = 0.8;     // a node below this x the fleet's median fails
  double baseline_fraction = 0.9;  // ... below this x its own median in --baseline
  double spec_fraction = 1.0;      // ... below this x --expect's rate
  double bench_fraction = 0.5;     // the job's busbw below this x the pairs' median bandwidth
  double datasheet_fraction = 0.6; // a GPU below this x its datasheet's rate fails
  int gpu_device = -1;             // this rank's CUDA device; -1: no GPU checks (every rank alike)
  std::optional<probe::ExpectSpec> expect;
  std::optional<Json> baseline;    // a previous cairn.acceptance report
  std::size_t triad_elements = std::size_t{4} << 20;
  int gemm_side = 384;
  std::size_t bench_bytes = 1u << 20;
  int bench_iters = 5;
  coll::pairs::MeasureOptions pairs;
  double pairs_fraction = 0.5;
  bool probe = true;               // false: skip the probe check (a capture elsewhere)
  StorageCheckOptions storage;     // --data-path, --checkpoint-path: none, no storage checks
  std::vector<ft::FaultSpec> inject;  // slow-compute only: a drill of the verdict
};

// Throws cairn::Error naming the flag for a value out of range or an --inject that is not
// slow-compute.
void validate(const AcceptanceOptions& o);

// A previous report for --baseline: cairn::Error naming the file unless it is one.
Json read_baseline(const std::string& path);

struct NodeVerdict {
  std::string host;
  int rank = 0;
  bool pass = true;
  std::vector<std::string> reasons;
};

struct LinkVerdict {
  std::string a, b;
  bool pass = false;
  std::string evidence;
};

struct AcceptanceResult {
  std::vector<NodeVerdict> nodes;
  std::vector<LinkVerdict> links;  // the failed ones
  std::vector<Check> checks;
  std::vector<Json> isolation;
  std::vector<std::string> notes;  // e.g. ranks that share a machine
  bool accepted() const;
};

// Collective over comm: every rank calls it with the same options; every rank gets the
// same result. `progress` draws on rank 0's terminal.
AcceptanceResult run_acceptance(coll::Communicator& comm, coll::bench::Memory& memory, const AcceptanceOptions& o,
                                bool progress);

Json to_json(const AcceptanceResult& r, const AcceptanceOptions& o, const std::string& backend);
// For people: the verdict, then one row per failed or notable check, within 100 columns.
std::string format_verdict(const AcceptanceResult& r);

}  // namespace cairn::acceptance
