#include "ft/watchdog/hang_verdict.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cairn::ft {

namespace {

std::string ranks_text(const std::vector<int>& ranks) {
  return fmt::format("rank{} {}", ranks.size() == 1 ? "" : "s", fmt::join(ranks, ", "));
}

}  // namespace

std::string HangVerdict::stall() const {
  if (!never_reached.empty()) return "host";
  if (!store_error.empty() && unread.size() + 1 >= static_cast<std::size_t>(world)) return "unknown";
  if (!heartbeat_stopped.empty()) return "peer";
  return "device";
}

HangVerdict judge_hang(const StuckOp& op, int self, int world, const std::vector<PeerReading>& peers,
                       const std::string& store_error) {
  HangVerdict v;
  v.rank = self;
  v.world = world;
  v.op = op;
  v.store_error = store_error;
  const auto seq = static_cast<std::int64_t>(op.seq);
  v.never_completed.push_back(self);  // the watchdog's own rank is waiting on it
  for (const PeerReading& p : peers) {
    if (p.rank == self) continue;
    if (!p.answered) {
      v.unread.push_back(p.rank);
      continue;
    }
    if (p.second.enqueued <= seq)
      v.never_reached.push_back(p.rank);
    else if (p.second.completed <= seq)
      v.never_completed.push_back(p.rank);
    if (p.second.beat <= p.first.beat) v.heartbeat_stopped.push_back(p.rank);
  }
  std::sort(v.never_completed.begin(), v.never_completed.end());
  return v;
}

std::string verdict_line(const HangVerdict& v) {
  std::string line =
      fmt::format("watchdog: {} (sequence number {}, {} bytes) was in flight {:.1f} s on rank {} (timeout {:g} s)",
                  coll::to_string(v.op.kind), v.op.seq, v.op.bytes, v.op.in_flight_s, v.rank, v.op.timeout_s);
  const std::string stall = v.stall();
  if (stall == "host")
    line += fmt::format(": a host-side stall: {} never reached it (never enqueued it)", ranks_text(v.never_reached));
  else if (stall == "peer")
    line += fmt::format(": a lost peer: every rank that answered enqueued it, and the heartbeat of {} stopped",
                        ranks_text(v.heartbeat_stopped));
  else if (stall == "device")
    line += fmt::format(
        ": a device-side stall: every rank enqueued it and none completed it (a kernel, a link or "
        "the network; every heartbeat is alive)");
  else
    line += ": the store did not answer, so the peers' progress is unknown";
  line += fmt::format("; enqueued, never completed: {}", ranks_text(v.never_completed));
  if (stall != "peer" && !v.heartbeat_stopped.empty())
    line += fmt::format("; heartbeat stopped: {}", ranks_text(v.heartbeat_stopped));
  if (!v.unread.empty())
    line += fmt::format("; not read ({}): {} (rank 0 hosts the store: is its process stopped or gone?)", v.store_error,
                        ranks_text(v.unread));
  return line;
}

Json verdict_json(const HangVerdict& v) {
  Json j = {{"rank", v.rank},
            {"world", v.world},
            {"op",
             {{"kind", std::string(coll::to_string(v.op.kind))},
              {"seq", v.op.seq},
              {"bytes", v.op.bytes},
              {"in_flight_s", v.op.in_flight_s},
              {"timeout_s", v.op.timeout_s}}},
            {"stall", v.stall()},
            {"never_reached", v.never_reached},
            {"never_completed", v.never_completed},
            {"heartbeat_stopped", v.heartbeat_stopped},
            {"unread", v.unread},
            {"store_error", v.store_error}};
  return with_schema(std::move(j), "cairn.watchdog_verdict", kVerdictSchemaVersion);
}

}  // namespace cairn::ft
