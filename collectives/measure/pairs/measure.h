// Point-to-point bandwidth and latency between every pair of participants, through a
// Communicator: the rounds of a round-robin tournament (round_robin.h), each participant in
// at most one pair per round, every rank in a barrier between rounds so no two rounds'
// traffic overlaps. Each pair first exchanges `bytes` in both directions at once
// (send_recv; a slow direction slows the pair), `warmup_iters` untimed then `iters`
// timed one by one; one direction's bandwidth is bytes / the median exchange time. Then
// a ping-pong of `latency_bytes` gives latency as half the median round trip (perftest's
// convention). The median keeps a stalled host from passing for a slow link. The
// results are all-gathered, so every rank ends with the whole matrix.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "collectives/measure/memory.h"
#include "collectives/backends/communicator.h"
#include "collectives/measure/pairs/analysis.h"
#include "common/json_io.h"

namespace cairn::coll::pairs {

struct MeasureOptions {
  std::size_t bytes = 4u << 20;    // --bytes
  int iters = 20;                  // --iters
  int warmup_iters = 2;            // --warmup-iters
  std::size_t latency_bytes = 8;   // --latency-bytes
  int latency_iters = 50;          // --latency-iters
  bool per_node = false;           // --per-node: one rank per host
};

// Throws cairn::Error naming the flag for a zero size or a non-positive iteration count.
void validate(const MeasureOptions& options);

// The settings as the "run" object of the JSON report.
Json to_json(const MeasureOptions& options, std::string_view backend, int world_size);

// This process's host name (gethostname).
std::string local_host_name();

// Every rank's host name in rank order, gathered through comm. Collective.
std::vector<std::string> gather_hosts(Communicator& comm, bench::Memory& memory);

// Every rank, or with per_node the lowest rank of each distinct host (in rank order).
std::vector<Participant> choose_participants(const std::vector<std::string>& hosts, bool per_node);

// Runs the tournament over `participants` (every rank passes the same list; ranks not in
// it only join the barriers and the gather). Collective over comm; returns the matrix
// on every rank. Buffers come from `memory`, which must match comm.memory().
PairsMatrix measure_pairs(Communicator& comm, bench::Memory& memory, const std::vector<Participant>& participants,
                          const MeasureOptions& options);

}  // namespace cairn::coll::pairs
