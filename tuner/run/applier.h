// Puts a candidate in place before it is timed, and takes it away again. One applier a
// backend: the host backend sets the communicator's AlgoConfig; NCCL forces algorithm,
// protocol and channels per call through Cairn's tuner plugin in sweep mode
// (nccl_applier.h) and opens communicators with ncclConfig_t fields. Placements (rank
// orders) are communicators split with new keys, for either backend.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "collectives/backends/communicator.h"
#include "tuner/search/candidate.h"

namespace cairn::tuner {

class Applier {
 public:
  virtual ~Applier() = default;
  // The communicator to time `c` on, with `c` in place. Collective (a placement or a
  // per-communicator candidate makes a communicator the first time). Throws cairn::Error
  // when the candidate cannot run here (the error names it and why).
  virtual coll::Communicator& apply(const Candidate& c) = 0;
  // Around the calls that are timed (and their warm-up), not around the barriers and the
  // reductions of the times between them: per-call choices (NCCL's algorithm, protocol
  // and channels) apply to the cell's collective only while armed.
  virtual void arm(const Candidate&, const Cell&) {}
  virtual void disarm() {}
  // After the last armed window of `c`: false when the backend did not run what was
  // asked (NCCL refused a forced algorithm and protocol it had disabled, or never asked
  // the tuner), so the run does not count.
  virtual bool honoured(const Candidate& c) = 0;
  // Back to the backend's own choices.
  virtual void reset() = 0;
  virtual coll::Communicator& base() = 0;
};

// The host backend (UCX): AlgoConfig per call, rank orders by split.
std::unique_ptr<Applier> make_host_applier(coll::Communicator& comm);

// Shared by the appliers: the communicator of a placement, split once from `base` with
// the candidate's rank order as keys (new rank of each old rank), then reused.
class PlacementCache {
 public:
  coll::Communicator& get(coll::Communicator& base, const Candidate& c);

 private:
  std::map<std::vector<int>, std::unique_ptr<coll::Communicator>> comms_;
};

}  // namespace cairn::tuner
