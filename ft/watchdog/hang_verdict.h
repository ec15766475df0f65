// The watchdog's verdict on a stuck operation, from what the store says of every rank
// (progress_board.h): which ranks never reached the operation (their enqueued count is
// at most its sequence number: a host-side stall, the rank never enqueued it), which
// enqueued it and never completed it (a device-side stall, a lost link or peer), and
// whose heartbeat stopped (a dead or stopped process). A pure function of its readings,
// so every case is tested without a hang.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/backends/op_observer.h"
#include "common/json_io.h"
#include "ft/watchdog/progress_board.h"

namespace cairn::ft {

struct StuckOp {
  coll::OpKind kind = coll::OpKind::barrier;
  std::uint64_t seq = 0;
  std::size_t bytes = 0;
  double in_flight_s = 0;  // when the watchdog aborted it
  double timeout_s = 0;
};

// Two readings of a peer, a few heartbeats apart: counters from the later one, the
// heartbeat compared between them.
struct PeerReading {
  int rank = 0;
  bool answered = false;  // false: the store failed before this peer was read
  PeerProgress first, second;
};

struct HangVerdict {
  int rank = 0;  // whose watchdog judged (it enqueued the operation and waits on it)
  int world = 1;
  StuckOp op;
  std::vector<int> never_reached;      // enqueued <= seq
  std::vector<int> never_completed;    // enqueued > seq, completed <= seq (this rank among them)
  std::vector<int> heartbeat_stopped;  // no heartbeat between the two readings
  std::vector<int> unread;             // the store did not answer for them
  std::string store_error;             // why, when it did not
  double aborted_at_s = 0;             // steady clock (job_events.h) when the watchdog aborted

  // "host" (a rank never enqueued it), "peer" (every rank that answered enqueued it but
  // some heartbeat stopped: a dead or stopped process), "device" (all enqueued it, none
  // completed it, all alive: a kernel, a link or the network), or "unknown" (the store
  // did not answer).
  std::string stall() const;
};

HangVerdict judge_hang(const StuckOp& op, int self, int world, const std::vector<PeerReading>& peers,
                       const std::string& store_error);

// One line for the log, starting "watchdog: ".
std::string verdict_line(const HangVerdict& v);
// {"schema": "cairn.watchdog_verdict", "schema_version": 1, ...} (docs/ft.md).
Json verdict_json(const HangVerdict& v);
inline constexpr int kVerdictSchemaVersion = 1;

}  // namespace cairn::ft
