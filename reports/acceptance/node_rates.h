// The per-node rates of acceptance (host_rates.h), taken on each node's first rank, with
// ranks of one machine taking turns, and gathered so that every rank holds every node's
// samples.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/measure/memory.h"
#include "collectives/measure/pairs/analysis.h"
#include "ft/inject/fault_spec.h"

namespace cairn::acceptance {

struct NodeRateSamples {
  std::vector<std::vector<double>> triad_gb_s;  // [node][sample]
  std::vector<std::vector<double>> gemm_gflop_s;
};

struct RateSettings {
  std::size_t triad_elements = 0;
  int gemm_side = 0;
  int samples = 0;
  std::vector<ft::FaultSpec> inject;  // slow-compute stretches a rank's samples
};

// `nodes`: one participant per node (its first rank); `machines`: per rank, the machine it
// runs on (boot id), to take turns. Collective over comm.
NodeRateSamples measure_node_rates(coll::Communicator& comm, coll::bench::Memory& memory,
                                   const std::vector<coll::pairs::Participant>& nodes,
                                   const std::vector<std::string>& machines, const RateSettings& s,
                                   const std::function<void(int done, int total)>& progress);

// `sample(i, values)` fills `width` values of sample i on each node's first rank, for
// i < samples, the nodes of one machine taking turns; returns each node's values as
// [node][v * samples + i], known to every rank. Collective over comm.
std::vector<std::vector<double>> measure_in_turns(coll::Communicator& comm, coll::bench::Memory& memory,
                                                  const std::vector<coll::pairs::Participant>& nodes,
                                                  const std::vector<std::string>& machines, int samples, int width,
                                                  const std::function<void(int i, double* values)>& sample,
                                                  const std::function<void(int done, int total)>& progress);

// Every rank's `mine` (all of one length), in rank order. Collective.
std::vector<std::vector<double>> gather_values(coll::Communicator& comm, coll::bench::Memory& memory,
                                               const std::vector<double>& mine);

// This machine's identity for "do these ranks share a machine": the kernel's boot id, or
// the host name where /proc does not say.
std::string machine_id();

}  // namespace cairn::acceptance
