// What an all-pairs run found: the N x N bandwidth and latency matrices, which pairs are
// too slow, and how to print them for people (tables within 100 columns) and machines
// (JSON, schema "cairn.pairs" v1).
//
// A pair is flagged when its bandwidth is below `fraction` x the median of all pairs, or
// below `fraction` x an expected rate when one is given. The median tolerates up to half
// the pairs being slow; a fabric where most links are slow needs the expected rate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "common/env_knobs.h"
#include "common/json_io.h"

namespace cairn::coll::pairs {

inline constexpr const char* kPairsSchema = "cairn.pairs";
inline constexpr int kPairsSchemaVersion = 2;

// One endpoint of the measured pairs: a rank, or in per-node mode a node's first rank.
struct Participant {
  int rank = 0;
  std::string host;
};

// Symmetric N x N matrices over the participants; the diagonal and unmeasured pairs hold
// NaN. Bandwidth is one direction's, in 10^9 B/s; latency is half a round trip.
class PairsMatrix {
 public:
  PairsMatrix() = default;
  explicit PairsMatrix(std::vector<Participant> participants);

  int size() const { return static_cast<int>(participants_.size()); }
  const std::vector<Participant>& participants() const { return participants_; }
  // Sets both (i, j) and (j, i). Throws cairn::Error for i == j or an index out of range.
  void set(int i, int j, double bandwidth_gb_s, double latency_us);
  double bandwidth_gb_s(int i, int j) const { return bandwidth_[index(i, j)]; }
  double latency_us(int i, int j) const { return latency_[index(i, j)]; }

 private:
  std::size_t index(int i, int j) const;
  std::vector<Participant> participants_;
  std::vector<double> bandwidth_, latency_;
};

// The middle value (the mean of the two middle ones for an even count). Throws
// cairn::Error for no values.
double median_of(std::vector<double> values);

struct FlagRule {
  double fraction = 0.5;                // --threshold
  std::optional<double> expect_gb_s;    // --expect-gb-s
};
// Throws cairn::Error naming the flag unless 0 < fraction <= 1 and expect_gb_s > 0.
void validate(const FlagRule& rule);

struct FlaggedPair {
  int i = 0, j = 0;  // participant indices, i < j
  double bandwidth_gb_s = 0;
  double limit_gb_s = 0;  // the bandwidth it fell below
  std::string reason;     // "below 0.5 x median 1.02 GB/s"
};

struct Verdict {
  double median_bandwidth_gb_s = 0;  // over every measured pair
  double median_latency_us = 0;
  std::vector<FlaggedPair> flagged;  // ordered by (i, j)
  // The participant in every flagged pair when at least two are flagged: a slow rank or
  // node (its NIC, cable or switch port) rather than slow paths.
  std::optional<int> common;
  bool healthy() const { return flagged.empty(); }
};

// Throws cairn::Error when a pair is unmeasured (NaN) or no pair exists (N < 2).
Verdict analyze(const PairsMatrix& matrix, const FlagRule& rule);

// A warning when more participants run on `host` than it has `cpus`, or "" when they fit.
// Host-memory ranks keep a CPU busy while they move data, so pairs measured at the same
// time then share CPUs unevenly: on 2 cores, 4 UCX ranks measured some healthy pairs at a
// tenth of the others' rate, and the flags say more about the scheduler than the links.
std::string crowded_host_warning(const std::vector<Participant>& participants, const std::string& host, int cpus);

// "r3 (nid002)" in rank mode, where every rank is its own participant.
std::string participant_name(const Participant& p);

// One line per flagged pair, and the common participant if any, for stderr:
// "slow pair r1 (b) <-> r2 (c): 0.0114 GB/s, below 0.5 x median 0.102 GB/s".
std::string flagged_lines(const PairsMatrix& matrix, const Verdict& verdict);

// Every pair, one row each: participants, GB/s, latency, ratio to the median, flag.
std::string format_pair_table(const PairsMatrix& matrix, const Verdict& verdict);

// Both matrices, cut into blocks of columns so no line exceeds 100 characters; flagged
// cells carry a '*'. A legend maps the row and column numbers to ranks and hosts.
std::string format_matrices(const PairsMatrix& matrix, const Verdict& verdict);

// The whole result; `run` (the measurement's settings) is stored as given, beside the host
// backend's algorithm knobs and the NCCL_*, UCX_* and Cairn knob variables in effect.
Json to_json(const PairsMatrix& matrix, const Verdict& verdict, const FlagRule& rule, const Json& run,
             const AlgoConfig& algo = {}, const env::Vars& environment = env::recorded_environment());

}  // namespace cairn::coll::pairs
