// How the ranks of a job agree that a checkpoint is complete: each rank, once its shard
// is durable and read back whole, publishes what it wrote (or why it could not); rank 0
// gathers every report, writes the manifest only if all are good, and announces the
// verdict, which the other ranks wait for, so every rank knows the last verified step.
// Over the job's rendezvous store: the background writer must not use the Communicator,
// which the training thread drives, and it polls (a counter) rather than blocking in a
// store read, since the store client serialises requests and the hang watchdog's
// heartbeats must not queue behind a long wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectives/rendezvous/store.h"
#include "ft/checkpoint/manifest.h"

namespace cairn::ft {

struct ShardReport {
  int rank = 0;
  bool ok = false;
  std::string error;  // when !ok: the whole message (names the file and the fix)
  ShardEntry entry;
};

class CommitChannel {
 public:
  virtual ~CommitChannel() = default;
  virtual void publish(std::int64_t step, const ShardReport& r) = 0;
  // Rank 0: every rank's report, in rank order. cairn::Error if they do not all come
  // within the channel's timeout, or `stop` is set.
  virtual std::vector<ShardReport> gather(std::int64_t step, int ranks, const std::atomic<bool>& stop) = 0;
  // Rank 0: the step committed (its manifest is durable) or not.
  virtual void announce(std::int64_t step, bool committed) = 0;
  // Every other rank: the verdict. cairn::Error on timeout or stop.
  virtual bool await_verdict(std::int64_t step, const std::atomic<bool>& stop) = 0;
};

// One rank alone: what it publishes is what it gathers.
std::unique_ptr<CommitChannel> local_commit_channel();

// Keys under `prefix` (unique to this start of the job: a restarted job must not read
// the reports of the run before it).
std::unique_ptr<CommitChannel> store_commit_channel(coll::Store& store, std::string prefix,
                                                    std::chrono::milliseconds timeout);

}  // namespace cairn::ft
