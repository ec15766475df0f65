// The sniff test that confirms a suspect before an alert: a compute probe on every rank
// (a small GEMM the loop supplies: ft/ knows no model) timed against the other ranks, and
// a pairs exchange (send_recv) over every edge of the ring, k <-> k+1, timed at both ends.
// A slow rank's compute shows in its probe; a slow link shows in the exchanges that cross
// it: both of a rank's edges when its own link (NIC, cable) is slow, one edge when only
// the pair's path is.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "collectives/backends/communicator.h"

namespace cairn::ft {

struct SniffTimes {
  std::vector<double> probe_s;  // per rank: the least of its compute probes (sections.h: why the least)
  // Per ring edge k (ranks k and k+1 mod n; one edge when n == 2): the least exchange
  // time, the smaller of its two ends' (the end that came later waited less).
  std::vector<double> edge_s;
};

// Ring edges of an n-rank job (n for n >= 3, 1 for n == 2, 0 alone), and their ends.
int ring_edges(int n);
inline int edge_left(int k) { return k; }
inline int edge_right(int k, int n) { return (k + 1) % n; }

// Collective over `comm`: every rank calls it at the same point. In each of `reps`
// rounds every rank in turn calls the probe (its seconds, returned by it) while the
// others wait at a barrier; then in an untimed round and `reps` timed ones every edge in
// turn is exchanged, `bytes` each way, while the ranks off it wait: nothing else of the
// job competes with what is timed, and a rank's samples spread over the whole sniff. (The ranks off an edge make fewer operations
// than its ends: the communicator's sequence numbers differ across ranks by the sniff's
// exchanges.)
SniffTimes run_sniff(coll::Communicator& comm, const std::function<double()>& compute_probe, std::size_t bytes,
                     int reps);

// The probe of `rank` against the others': probe / median(others) - 1.
double probe_slowdown(const SniffTimes& t, int rank);

// Exchanges must be this much slower than the reference before a link is named (twice
// as long): exchange times scatter far more than a GEMM's, and not only with load: on
// one 2-core host the edges between two ranks that share a core took 1.5-1.7x as long as
// the others, sniff after sniff (a context switch per message), which is placement,
// not a fault.
inline constexpr double kLinkSlowdownFloor = 1.0;

struct LinkFinding {
  int rank = -1;       // the rank whose link is slow
  int peer = -1;       // the other end when one edge alone is slow; -1: both its edges are
  int left = -1, right = -1;  // the rank's ring neighbours
  double slowdown = 0;        // its (slower) exchange against the reference, - 1
  double exchange_s = 0, reference_s = 0;
};

// A rank both of whose edges are slower than the median of the edges that do not touch
// it (its own link), else one edge slower than those sharing no rank with it (that pair's
// path); by at least max(min_slowdown, kLinkSlowdownFloor). None for fewer than 3 ranks
// (no edge to compare with).
std::optional<LinkFinding> find_slow_link(const SniffTimes& t, double min_slowdown);

}  // namespace cairn::ft
