#include "collectives/backends/ucx/chunk_schedule.h"

#include <sched.h>

#include <algorithm>
#include <cstring>

namespace cairn::coll::detail {
namespace {

constexpr std::size_t kScratchAlign = 64;

std::size_t round_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

// One job in flight and what it needs.
struct Slot {
  int channel = 0;
  std::size_t piece = 0;
  std::unique_ptr<Job> job;
  Completion done;
  std::byte* scratch = nullptr;
  bool finished = false;  // step() said done; its last transfers may still be in flight
};

// The peer waited on may itself be waiting on the rank that is really stuck (a ring
// passes the stall along), so a stopped rank on this host is named first.
[[noreturn]] void timed_out(const OpRun& run, int peer) {
  std::string msg = run.name + " timed out after " + std::to_string(run.timeout.count()) + " ms";
  if (const auto stopped = run.transport.stopped_local_peer()) {
    msg += ": " + stopped->second;
    throw OpFailure(msg, stopped->first);
  }
  if (peer >= 0) msg += " waiting for rank " + std::to_string(peer);
  throw OpFailure(msg, peer);
}

}  // namespace

std::byte* scratch_area(OpRun& run, std::size_t bytes) {
  if (run.scratch->size() < bytes + kScratchAlign) run.scratch->resize(bytes + kScratchAlign);
  auto p = reinterpret_cast<std::uintptr_t>(run.scratch->data());
  return run.scratch->data() + (round_up(p, kScratchAlign) - p);
}

void run_plan(OpRun& run, Plan& plan) {
  UcxTransport& t = run.transport;
  const int channels = plan.channels();
  const int depth = std::max(1, run.depth);
  const std::uint32_t steps = plan.steps_per_job();
  const std::size_t per_job = round_up(plan.scratch_bytes(), kScratchAlign);

  std::vector<std::size_t> next_piece(static_cast<std::size_t>(channels), 0);
  std::vector<Slot> slots(static_cast<std::size_t>(channels) * static_cast<std::size_t>(depth));
  std::byte* scratch = per_job ? scratch_area(run, per_job * slots.size()) : nullptr;

  // Starts the next piece of the slot's channel; false when the channel has none left.
  auto advance = [&](Slot& s) {
    for (;;) {
      if (s.finished) {
        t.release(s.done);
        s.job.reset();
        s.finished = false;
      }
      if (!s.job) {
        auto& next = next_piece[static_cast<std::size_t>(s.channel)];
        if (next >= plan.pieces(s.channel)) return false;
        s.piece = next++;
        s.job = plan.job(s.channel, s.piece, s.scratch);
      }
      t.release(s.done);
      s.done.status = UCS_OK;
      Links links(t, s.done, run.seq, s.channel, std::uint64_t(s.piece) * steps);
      s.finished = !s.job->step(links);
      // A finished job keeps its slot until its last transfers complete.
      if (!s.finished || s.done.pending > 0) return true;
    }
  };

  std::size_t active = 0;
  try {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      Slot& s = slots[i];
      s.channel = static_cast<int>(i % static_cast<std::size_t>(channels));
      s.scratch = scratch ? scratch + i * per_job : nullptr;
      if (advance(s)) ++active;
    }
    auto last_progress = Clock::now();
    unsigned idle_rounds = 0;
    while (active > 0) {
      bool moved = t.progress();
      for (Slot& s : slots) {
        if (!s.job || s.done.pending > 0) continue;
        moved = true;
        if (!advance(s)) --active;
      }
      if (moved) {
        idle_rounds = 0;
        continue;
      }
      // Reading the clock costs more than a progress round: look every few rounds.
      if (++idle_rounds % 16 != 0) continue;
      const auto now = Clock::now();
      if (idle_rounds == 16) last_progress = now;
      if (now >= run.deadline) {
        int peer = -1;
        for (const Slot& s : slots)
          if (s.job && peer < 0) peer = t.waiting_on(s.done);
        timed_out(run, peer);
      }
      const auto idle = now - last_progress;
      if (idle < run.idle.spin) continue;
      if (idle < run.idle.spin + run.idle.yield) {
        sched_yield();
        continue;
      }
      t.watch_local_peers();
      t.wait_for_event(run.deadline);
    }
  } catch (...) {
    for (Slot& s : slots) t.abandon(s.done);
    throw;
  }
}

}  // namespace cairn::coll::detail
