// What the tuner searches over and measures: cells (one collective at one size and data
// type, on the communicator the sweep runs on) and candidates (one configuration of the
// backend). The search (search.h) runs identically on every rank: it sees only times that
// were combined across ranks, so every rank makes the same decisions and issues the same
// collectives.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/backends/dtype.h"
#include "tuner/profile/profile.h"

namespace cairn::tuner {

struct Cell {
  std::string collective;                        // a CollTest name: "all_reduce", ...
  std::size_t bytes = 0;                         // nccl-tests' size column (profile.h)
  coll::DataType dtype = coll::DataType::f32;
  coll::ReduceOp op = coll::ReduceOp::sum;
  std::string key() const;                       // "all_reduce/float/sum/1048576"
};

// How far a candidate reaches: the cost of switching to it. The runner groups candidates
// by level so that a per-process setting restarts workers once for all cells it is
// measured in.
enum class Level {
  per_call,          // UCX AlgoConfig; NCCL algorithm x protocol x channels through the plugin
  per_communicator,  // ncclConfig_t fields: a new communicator
  per_process,       // NCCL_* / FI_CXI_* / UCX_* variables: fresh worker processes
  placement,         // a rank order (split with new keys) or a binding variant
};

struct Candidate {
  std::string key;      // stable, unique, readable: "ucx:ring/c131072/d2/k1", "nccl:ring/simple/ch8", "default"
  std::string family;   // the model's grouping (one alpha-beta structure): "ucx:ring", "nccl:ring/simple"
  bool is_default = false;  // the backend's own choice: AlgoConfig{} / NCCL unforced, no settings
  Level level = Level::per_call;
  coll::AlgoConfig host;                          // UCX
  Choice nccl;                                    // NCCL in-process (nccl_algorithm/protocol/channels)
  std::map<std::string, std::string> comm_config; // ncclConfig_t field -> value ("minCTAs" -> "4")
  std::map<std::string, std::string> process_env; // NAME -> value
  std::vector<int> rank_order;                    // placement: new rank of each old rank; empty: as launched
  Choice to_choice() const;                       // what a profile cell stores for it
};

// Times one cell's candidates, interleaved: round r runs every candidate once, in an order
// rotated from round to round (A B C, B C A, ...), each run timing the same number of
// calls after a warm-up. Returns, per candidate in the order given, `rounds` times in
// microseconds per call (combined across ranks, identical on every rank). Collective:
// every rank calls it with the same arguments.
class Measurer {
 public:
  virtual ~Measurer() = default;
  virtual std::vector<std::vector<double>> measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                                   int rounds) = 0;
  // Number of ranks and nodes of the communicator measured (for busbw and the profile).
  virtual int nranks() const = 0;
  virtual int nnodes() const = 0;
};

}  // namespace cairn::tuner
