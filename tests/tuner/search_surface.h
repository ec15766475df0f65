// Test inputs for the search's unit tests, not models of Cairn's code: a deterministic
// time per (candidate knobs, size) shaped like the UCX backend's all_reduce (latency per
// step, per-message overhead hidden by pipelining, bandwidth that grows with channels up
// to a point, a pipeline bubble for chunks too large for the buffer), and a Measurer that
// returns it with seeded multiplicative noise. The noise of one (call, round, candidate)
// is a pure function of the seed, the cell, the call's candidate set and rounds, the
// round and the candidate: a search replayed through a journal sees the same times.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "collectives/backends/ucx/algo_select.h"
#include "tuner/search/candidate.h"

namespace cairn::tuner::test {

using Truth = std::function<double(const Candidate&, const Cell&)>;

// The UCX-like surface at `nranks` ranks (times in microseconds).
inline double ucx_like_time(const Candidate& c, const Cell& cell, int nranks) {
  const double n = nranks, bytes = double(cell.bytes);
  const coll::detail::Knobs k = coll::detail::resolve_knobs(c.host);
  const coll::Algorithm algo = coll::detail::choose_all_reduce(c.host, cell.bytes, nranks);
  const double log_n = std::ceil(std::log2(n));
  double steps = 2 * (n - 1), traffic = 2 * (n - 1) / n;
  if (algo == coll::Algorithm::tree) steps = 2 * log_n, traffic = 2.2;
  if (algo == coll::Algorithm::rhd) steps = 2 * log_n, traffic = 2.5 * (n - 1) / n;
  const double bw = 10e3;  // bytes per microsecond (10 GB/s)
  const double chunk = double(k.chunk_bytes), per_channel = bytes / k.channels;
  const double messages = std::max(1.0, per_channel / chunk) * steps;
  const double latency = steps * 4.0 + 2.0 * k.channels;
  const double overhead = messages * 1.5 / std::min(k.depth, 4);
  const double transfer = bytes * traffic / (bw * std::pow(std::min(k.channels, 2), 0.7));
  const double bubble = std::min(chunk, per_channel) * (steps / 2) / bw;
  return latency + overhead + transfer + bubble + 0.3 * k.depth;
}

inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}
inline std::uint64_t hash_text(const std::string& s) { return std::hash<std::string>{}(s); }

class SurfaceMeasurer : public Measurer {
 public:
  SurfaceMeasurer(Truth truth, double sigma, std::uint64_t seed, int nranks = 8)
      : truth_(std::move(truth)), sigma_(sigma), seed_(seed), nranks_(nranks) {}

  std::vector<std::vector<double>> measure(const Cell& cell, std::span<const Candidate* const> candidates,
                                           int rounds) override {
    ++calls;
    series += int(candidates.size());
    std::uint64_t set = mix(mix(seed_, hash_text(cell.key())), std::uint64_t(rounds));
    for (const Candidate* c : candidates) set = mix(set, hash_text(c->key));
    std::vector<std::vector<double>> out(candidates.size());
    for (int r = 0; r < rounds; ++r)
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        std::mt19937_64 rng(mix(mix(set, std::uint64_t(r)), hash_text(candidates[i]->key)));
        std::normal_distribution<double> z(0.0, 1.0);
        out[i].push_back(truth_(*candidates[i], cell) * std::exp(sigma_ * z(rng)));
      }
    return out;
  }
  int nranks() const override { return nranks_; }
  int nnodes() const override { return 1; }

  int calls = 0;   // measure() calls
  int series = 0;  // (candidate, call) series returned

 private:
  Truth truth_;
  double sigma_;
  std::uint64_t seed_;
  int nranks_;
};

}  // namespace cairn::tuner::test
