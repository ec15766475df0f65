// Heartbeats and operation counters of every rank, kept in the job's rendezvous store
// (collectives/rendezvous/store.h) under plain keys, so a rank whose collective is stuck
// can see how far each peer got:
//   cairn/ft/watchdog/<rank>/enqueued    OpProgressSnapshot::enqueued
//   cairn/ft/watchdog/<rank>/completed   OpProgressSnapshot::completed
//   cairn/ft/watchdog/<rank>/beat        heartbeats sent (one per publish)
// Everything goes through Store::add, which answers at once (a key never written reads 0)
// where get() would block until the key appears: a peer that never published must cost
// the reader nothing. A request to a store that stopped answering fails after the
// client's reply grace (10 s; tcp_store_client.cpp) and every later one at once.
#pragma once

#include <cstdint>
#include <string>

#include "collectives/rendezvous/store.h"
#include "ft/watchdog/op_progress.h"

namespace cairn::ft {

std::string progress_key(int rank, const char* what);  // what: "enqueued", "completed", "beat"

// One rank's writer: counters are sent as the difference to what it sent before.
class ProgressPublisher {
 public:
  ProgressPublisher(coll::Store& store, int rank) : store_(store), rank_(rank) {}
  // Throws cairn::Error when the store cannot be reached.
  void publish(const OpProgressSnapshot& s);

 private:
  coll::Store& store_;
  int rank_;
  std::int64_t sent_enqueued_ = 0, sent_completed_ = 0;
};

struct PeerProgress {
  int rank = 0;
  std::int64_t enqueued = 0, completed = 0, beat = 0;
};

// Throws cairn::Error when the store cannot be reached.
PeerProgress read_progress(coll::Store& store, int rank);

}  // namespace cairn::ft
