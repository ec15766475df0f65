#include "ft/straggler/sniff.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "ft/alerting/robust_stats.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// How long the ranks off turn sleep while one rank probes. They sleep rather than wait in
// the barrier: a barrier's waiters poll, and a rank polling on the sibling hyperthread or
// time-sharing the probe's vCPU took the probe's CPU time from 0.37 to 1.04 ms on the
// 2-core VM (4 ranks, turn-taking at barriers), more than the 25 % slowdown it must
// confirm. The CPU probe takes 0.4-0.7 ms; one that outlasts the slot only costs its
// turn more noise, the least of the rounds counts.
constexpr auto kProbeSlot = std::chrono::milliseconds(3);


}  // namespace

int ring_edges(int n) { return n >= 3 ? n : n == 2 ? 1 : 0; }

SniffTimes run_sniff(coll::Communicator& comm, const std::function<double()>& compute_probe, std::size_t bytes,
                     int reps) {
  const int n = comm.size(), me = comm.rank();
  reps = std::max(reps, 1);
  // One rank at a time, the others asleep (kProbeSlot): ranks that share a host's cores
  // (4 ranks on 2 cores in CI) would otherwise time each other's probes. And round by round, each rank once a round: a
  // rank's samples are spread over the whole sniff, so a moment when another process
  // held its core spoils one of them, not all (the least counts).
  double my_probe = -1;
  for (int round = 0; round < reps && compute_probe; ++round)
    for (int turn = 0; turn < n; ++turn) {
      if (turn == me) {
        const double s = compute_probe();
        my_probe = my_probe < 0 ? s : std::min(my_probe, s);
      } else {
        std::this_thread::sleep_for(kProbeSlot);
      }
      comm.barrier().wait();
    }
  my_probe = std::max(my_probe, 0.0);

  // One edge at a time, round by round, for the same reasons; the ranks off the edge wait
  // at the barrier. Round 0 is untimed: it absorbs the partners' arrival skew.
  const int edges = ring_edges(n);
  double left_s = -1, right_s = -1;
  std::vector<std::uint8_t> out(bytes, static_cast<std::uint8_t>(me)), in(bytes);
  for (int round = 0; round <= reps; ++round)
    for (int k = 0; k < edges; ++k) {
      const int a = edge_left(k), b = edge_right(k, n);
      if (me == a || me == b) {
        const int peer = me == a ? b : a;
        const auto t0 = Clock::now();
        comm.send_recv(out.data(), bytes, peer, in.data(), bytes, peer, coll::DataType::u8).wait();
        const double s = seconds_since(t0);
        double& least = me == a ? right_s : left_s;
        if (round > 0) least = least < 0 ? s : std::min(least, s);
      }
      comm.barrier().wait();
    }
  left_s = std::max(left_s, 0.0);
  right_s = std::max(right_s, 0.0);

  std::vector<double> mine = {my_probe, left_s, right_s}, all(3 * static_cast<std::size_t>(n));
  comm.all_gather(mine.data(), all.data(), 3, coll::DataType::f64).wait();
  SniffTimes t;
  for (int r = 0; r < n; ++r) t.probe_s.push_back(all[3 * static_cast<std::size_t>(r)]);
  for (int k = 0; k < edges; ++k) {
    const double at_left = all[3 * static_cast<std::size_t>(edge_left(k)) + 2];    // its right edge
    const double at_right = all[3 * static_cast<std::size_t>(edge_right(k, n)) + 1];  // its left edge
    t.edge_s.push_back(n == 2 ? at_left : std::min(at_left, at_right));
  }
  return t;
}

double probe_slowdown(const SniffTimes& t, int rank) {
  std::vector<double> others;
  for (std::size_t r = 0; r < t.probe_s.size(); ++r)
    if (static_cast<int>(r) != rank) others.push_back(t.probe_s[r]);
  return slowdown_vs(t.probe_s.at(static_cast<std::size_t>(rank)), others);
}

std::optional<LinkFinding> find_slow_link(const SniffTimes& t, double min_slowdown) {
  const int n = static_cast<int>(t.edge_s.size());
  if (n < 3) return std::nullopt;
  const double need = std::max(min_slowdown, kLinkSlowdownFloor);
  auto touches = [n](int k, int r) { return edge_left(k) == r || edge_right(k, n) == r; };
  std::optional<LinkFinding> best;
  // A rank's own link: both of its edges slow.
  for (int r = 0; r < n; ++r) {
    const int kl = (r - 1 + n) % n, kr = r;
    std::vector<double> ref;
    for (int k = 0; k < n; ++k)
      if (!touches(k, r)) ref.push_back(t.edge_s[static_cast<std::size_t>(k)]);
    const double reference = median_of(ref);
    const double slower = std::min(t.edge_s[static_cast<std::size_t>(kl)], t.edge_s[static_cast<std::size_t>(kr)]);
    if (!(reference > 0)) continue;
    const double s = slower / reference - 1;
    if (s > need && (!best || s > best->slowdown))
      best = LinkFinding{r, -1, (r - 1 + n) % n, (r + 1) % n, s, slower, reference};
  }
  if (best) return best;
  // One pair's path: an edge slower than the edges that share no rank with it.
  for (int k = 0; k < n; ++k) {
    const int a = edge_left(k), b = edge_right(k, n);
    std::vector<double> ref;
    for (int j = 0; j < n; ++j)
      if (j != k && !touches(j, a) && !touches(j, b)) ref.push_back(t.edge_s[static_cast<std::size_t>(j)]);
    if (ref.empty())
      for (int j = 0; j < n; ++j)
        if (j != k) ref.push_back(t.edge_s[static_cast<std::size_t>(j)]);
    const double reference = median_of(ref);
    if (!(reference > 0)) continue;
    const double e = t.edge_s[static_cast<std::size_t>(k)];
    const double s = e / reference - 1;
    if (s > need && (!best || s > best->slowdown)) best = LinkFinding{a, b, (a - 1 + n) % n, b, s, e, reference};
  }
  return best;
}

}  // namespace cairn::ft
