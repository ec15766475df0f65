#include "ft/straggler/sniff.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "ft/straggler/robust_stats.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Which phase edge k of an n-ring is exchanged in: disjoint pairs in each.
int phase_of(int k, int n) {
  if (n % 2 == 1 && k == n - 1) return 2;  // the wrap edge of an odd ring meets rank 0 and n-1
  return k % 2;
}

}  // namespace

int ring_edges(int n) { return n >= 3 ? n : n == 2 ? 1 : 0; }

SniffTimes run_sniff(coll::Communicator& comm, const std::function<double()>& compute_probe, std::size_t bytes,
                     int reps) {
  const int n = comm.size(), me = comm.rank();
  reps = std::max(reps, 1);
  std::vector<double> probes;
  for (int i = 0; i < reps && compute_probe; ++i) probes.push_back(compute_probe());
  const double my_probe = median_of(probes);

  // My two edges: k = me - 1 (to my left) and k = me (to my right); one when n == 2.
  const int edges = ring_edges(n);
  double left_s = 0, right_s = 0;
  std::vector<std::uint8_t> out(bytes, static_cast<std::uint8_t>(me)), in(bytes);
  for (int phase = 0; phase < 3; ++phase)
    for (int k = 0; k < edges; ++k) {
      if (phase_of(k, n) != phase) continue;
      const int a = edge_left(k), b = edge_right(k, n);
      if (me != a && me != b) continue;
      const int peer = me == a ? b : a;
      std::vector<double> times;
      for (int i = 0; i <= reps; ++i) {
        const auto t0 = Clock::now();
        comm.send_recv(out.data(), bytes, peer, in.data(), bytes, peer, coll::DataType::u8).wait();
        if (i > 0) times.push_back(seconds_since(t0));
      }
      (me == a ? right_s : left_s) = median_of(std::move(times));
    }

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
