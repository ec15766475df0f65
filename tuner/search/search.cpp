#include "tuner/search/search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/report.h"
#include "common/error.h"
#include "tuner/model/alpha_beta.h"
#include "tuner/search/space.h"

namespace cairn::tuner {
namespace {

void check_inputs(std::span<const Cell> cells, std::span<const Candidate> space, const SearchOptions& o,
                  const char* what) {
  if (cells.empty()) throw Error(fmt::format("{}: no cells to tune; give the workload at least one size", what));
  if (space.empty() || !space[0].is_default)
    throw Error(fmt::format("{}: the search space must start with the default candidate (space.h)", what));
  std::set<std::string> keys;
  for (const Candidate& c : space)
    if (!keys.insert(c.key).second) throw Error(fmt::format("{}: candidate key '{}' appears twice in the space", what, c.key));
  std::set<std::string> cell_keys;
  for (const Cell& c : cells)
    if (!cell_keys.insert(c.key()).second) throw Error(fmt::format("{}: cell '{}' appears twice in the workload", what, c.key()));
  if (o.explore_rounds < 1) throw Error(fmt::format("{}: explore_rounds {} must be at least 1", what, o.explore_rounds));
  const int need = min_rounds_for(o.coverage);
  if (o.final_rounds < need)
    throw Error(fmt::format("{}: final_rounds {} is below the {} rounds a {:.0f} % interval needs; raise it", what,
                            o.final_rounds, need, 100 * o.coverage));
  if (!(o.margin >= 1)) throw Error(fmt::format("{}: margin {} must be at least 1", what, o.margin));
  if (!(o.max_fraction > 0 && o.max_fraction <= 1))
    throw Error(fmt::format("{}: max_fraction {} must lie in (0, 1]", what, o.max_fraction));
  if (o.batch < 1 || o.max_survivors < 1)
    throw Error(fmt::format("{}: batch {} and max_survivors {} must be at least 1", what, o.batch, o.max_survivors));
}

// What a fit may pool across cells: the same collective, data type and operation.
std::string group_of(const Cell& c) {
  return fmt::format("{}/{}/{}", c.collective, coll::to_string(c.dtype), coll::to_string(c.op));
}

double median_of(const std::vector<double>& v) { return summarize(v).median; }

// The state both searches share: every time measured, per cell and candidate.
class Sweep {
 public:
  Sweep(Measurer& m, std::span<const Cell> cells, std::span<const Candidate> space, const SearchOptions& o)
      : m_(m), cells_(cells), space_(space), o_(o), times_(cells.size()) {}

  std::vector<std::vector<double>> measure(std::size_t ci, const std::vector<int>& idx, int rounds, const char* phase) {
    std::vector<const Candidate*> ptrs;
    for (int j : idx) ptrs.push_back(&space_[std::size_t(j)]);
    auto t = m_.measure(cells_[ci], ptrs, rounds);
    if (t.size() != idx.size())
      throw Error(fmt::format("tuner: the measurer returned {} time series for {} candidates at {}", t.size(), idx.size(),
                              cells_[ci].key()));
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (int(t[k].size()) != rounds)
        throw Error(fmt::format("tuner: the measurer returned {} times for {} rounds of {} at {}", t[k].size(), rounds,
                                space_[std::size_t(idx[k])].key, cells_[ci].key()));
      auto& all = times_[ci][idx[k]];
      all.insert(all.end(), t[k].begin(), t[k].end());
      pairs_.insert({ci, idx[k]});
    }
    ++calls_;
    if (o_.progress)
      o_.progress(done_, int(cells_.size()), fmt::format("{} {}: {} candidates x {} rounds", phase, cells_[ci].key(),
                                                          idx.size(), rounds));
    return t;
  }

  bool measured(std::size_t ci, int j) const { return times_[ci].count(j) > 0; }
  double median(std::size_t ci, int j) const { return median_of(times_[ci].at(j)); }
  // The fastest candidate measured at the cell (-1 if none); `skip_default`: the fastest
  // other than the default.
  int best(std::size_t ci, bool skip_default = false) const {
    int b = -1;
    double bt = 0;
    for (const auto& [j, t] : times_[ci]) {
      if (skip_default && space_[std::size_t(j)].is_default) continue;
      const double m = median_of(t);
      if (b < 0 || m < bt) b = j, bt = m;
    }
    return b;
  }
  long pairs() const { return long(pairs_.size()); }
  const std::map<int, std::vector<double>>& times(std::size_t ci) const { return times_[ci]; }

  // The head-to-head of the pick against the default and the noise rule.
  CellOutcome finish(std::size_t ci, int pick) {
    CellOutcome out;
    out.cell = cells_[ci];
    out.best = space_[std::size_t(pick)];
    if (pick == 0) {
      out.default_stats = out.best_stats = summarize(times_[ci].at(0));
    } else {
      const auto t = measure(ci, {0, pick}, o_.final_rounds, "head-to-head");
      out.default_stats = summarize(t[0]);
      out.best_stats = summarize(t[1]);
      out.verdict = noise_rule(t[0], t[1], o_.coverage);
      if (out.verdict.winner) out.winner = out.best;
    }
    for (const auto& [j, t] : times_[ci]) {
      const Summary s = summarize(t);
      out.measured.push_back({space_[std::size_t(j)].key, s.median, s.spread, s.n});
    }
    std::sort(out.measured.begin(), out.measured.end(),
              [](const CandidateFigure& a, const CandidateFigure& b) { return std::tie(a.median_us, a.key) < std::tie(b.median_us, b.key); });
    out.candidates_measured = int(out.measured.size());
    ++done_;
    if (o_.progress) o_.progress(done_, int(cells_.size()), fmt::format("done {}", cells_[ci].key()));
    return out;
  }

  SearchResult result(std::vector<CellOutcome> outcomes, long cap) const {
    SearchResult r;
    r.cells = std::move(outcomes);
    r.grid_pairs = long(cells_.size()) * long(space_.size());
    r.pair_cap = cap;
    r.pairs_measured = pairs();
    r.measure_calls = calls_;
    return r;
  }

 private:
  Measurer& m_;
  std::span<const Cell> cells_;
  std::span<const Candidate> space_;
  const SearchOptions& o_;
  std::vector<std::map<int, std::vector<double>>> times_;
  std::set<std::pair<std::size_t, int>> pairs_;
  int calls_ = 0;
  int done_ = 0;
};

// Whether two candidates are one coordinate move apart: the same family with knobs that
// differ in exactly one name (a value changed, or a setting added or dropped), or another
// family with the same knobs (the algorithm is a knob too: the best chunk, depth and
// channels of one algorithm are a good first guess for the next).
bool one_move_apart(const Candidate& a, const Candidate& b,
                    const std::vector<std::pair<std::string, std::string>>& ka,
                    const std::vector<std::pair<std::string, std::string>>& kb) {
  if (a.key == b.key || a.is_default || b.is_default) return false;
  if (a.family != b.family) return ka == kb && !ka.empty();
  std::map<std::string, std::pair<std::string, std::string>> merged;
  for (const auto& [n, v] : ka) merged[n].first = v;
  for (const auto& [n, v] : kb) merged[n].second = v;
  int differ = 0;
  for (const auto& [n, vv] : merged) differ += vv.first != vv.second;
  return differ == 1;
}

}  // namespace

SearchResult exhaustive_search(Measurer& measurer, std::span<const Cell> cells, std::span<const Candidate> space,
                               const SearchOptions& options) {
  check_inputs(cells, space, options, "exhaustive search");
  Sweep sweep(measurer, cells, space, options);
  std::vector<int> all(space.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<CellOutcome> out;
  for (std::size_t ci = 0; ci < cells.size(); ++ci) {
    sweep.measure(ci, all, options.explore_rounds, "grid");
    out.push_back(sweep.finish(ci, sweep.best(ci)));
  }
  const long grid = long(cells.size()) * long(space.size());
  return sweep.result(std::move(out), grid);
}

SearchResult guided_search(Measurer& measurer, std::span<const Cell> cells, std::span<const Candidate> space,
                           const SearchOptions& options) {
  check_inputs(cells, space, options, "guided search");
  const SearchOptions& o = options;
  const long grid = long(cells.size()) * long(space.size());
  const long cap = long(double(grid) * o.max_fraction);
  Sweep sweep(measurer, cells, space, o);

  // 1. Seeds: the default and each family's first candidate.
  std::vector<int> seeds{0};
  std::set<std::string> families{space[0].family};
  for (std::size_t j = 1; j < space.size(); ++j)
    if (families.insert(space[j].family).second) seeds.push_back(int(j));
  if (long(seeds.size()) * long(cells.size()) > cap)
    throw Error(fmt::format("guided search: seeding {} candidates at {} cells exceeds the cap of {} pairs ({:.0f} % of "
                            "{}); the space is too small to guide, use the exhaustive search",
                            seeds.size(), cells.size(), cap, 100 * o.max_fraction, grid));
  for (std::size_t ci = 0; ci < cells.size(); ++ci) sweep.measure(ci, seeds, o.explore_rounds, "seed");

  std::vector<std::vector<std::pair<std::string, std::string>>> knobs;
  for (const Candidate& c : space) knobs.push_back(family_knobs(c));
  auto neighbours = [&](int b) {
    std::vector<int> n;
    for (std::size_t j = 0; j < space.size(); ++j)
      if (one_move_apart(space[std::size_t(b)], space[j], knobs[std::size_t(b)], knobs[j])) n.push_back(int(j));
    return n;
  };

  // Predicted time of candidate j at cell ci from the other cells of its group: an
  // alpha-beta fit over the sizes it was measured at, where this size lies within 4x of
  // them; else (one size, or far outside) its ratio to the default at the nearest measured
  // size, carried over to this cell's default. None when it was measured nowhere.
  auto predict = [&](std::size_t ci, int j) -> std::optional<double> {
    std::vector<SizeTime> pts;
    std::optional<std::size_t> nearest;
    double lo = 0, hi = 0;
    const double here = double(cells[ci].bytes);
    auto distance = [&](std::size_t c) { return std::fabs(std::log(double(cells[c].bytes) + 1) - std::log(here + 1)); };
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (c != ci && group_of(cells[c]) == group_of(cells[ci]) && sweep.measured(c, j)) {
        const double b = double(cells[c].bytes);
        pts.push_back({b, sweep.median(c, j)});
        lo = pts.size() == 1 ? b : std::min(lo, b);
        hi = pts.size() == 1 ? b : std::max(hi, b);
        if (!nearest || distance(c) < distance(*nearest)) nearest = c;
      }
    if (!nearest) return std::nullopt;
    if (pts.size() >= 2 && here >= lo / 4 && here <= hi * 4) return fit_alpha_beta(pts).predict_us(here);
    return sweep.median(*nearest, j) / sweep.median(*nearest, 0) * sweep.median(ci, 0);
  };

  // 2. Explore, cells in order of group and size, each with its share of what the cap leaves.
  std::vector<std::size_t> order(cells.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::make_pair(group_of(cells[a]), cells[a].bytes) < std::make_pair(group_of(cells[b]), cells[b].bytes);
  });
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const std::size_t ci = order[pos];
    const long share = (cap - sweep.pairs()) / long(order.size() - pos);
    const long limit = sweep.pairs() + share;
    while (sweep.pairs() < limit) {
      const int b = sweep.best(ci);
      const double bt = sweep.median(ci, b);
      // Every one-knob move from the best candidate that has knobs (the default has none:
      // moves start from the best other one), ordered by prediction (one nobody measured
      // counts as good as the best), and whatever else is predicted within the margin.
      std::set<int> moves;
      const int anchor = sweep.best(ci, /*skip_default=*/true);
      if (anchor >= 0)
        for (int j : neighbours(anchor)) moves.insert(j);
      std::vector<std::pair<double, int>> ranked;
      for (std::size_t j = 0; j < space.size(); ++j) {
        if (sweep.measured(ci, int(j))) continue;
        const std::optional<double> p = predict(ci, int(j));
        if (moves.count(int(j))) ranked.push_back({p.value_or(bt), int(j)});
        else if (p && *p <= o.margin * bt) ranked.push_back({*p, int(j)});
      }
      if (ranked.empty()) break;
      std::sort(ranked.begin(), ranked.end());
      const long take = std::min<long>({long(o.batch), long(ranked.size()), limit - sweep.pairs()});
      std::vector<int> idx{b};  // measured with the best, interleaved
      for (long k = 0; k < take; ++k) idx.push_back(ranked[std::size_t(k)].second);
      sweep.measure(ci, idx, o.explore_rounds, "explore");
    }
  }

  // 3. Successive halving and 4. the head-to-head, cell by cell.
  std::vector<CellOutcome> out;
  for (std::size_t ci = 0; ci < cells.size(); ++ci) {
    std::vector<std::pair<double, int>> ranked;
    for (const auto& [j, t] : sweep.times(ci)) ranked.push_back({median_of(t), j});
    std::sort(ranked.begin(), ranked.end());
    std::vector<int> survivors;
    for (const auto& [m, j] : ranked)
      if (m <= o.margin * ranked[0].first && int(survivors.size()) < o.max_survivors) survivors.push_back(j);
    int rounds = 2 * o.explore_rounds;
    while (survivors.size() > 1) {
      const auto t = sweep.measure(ci, survivors, rounds, "halve");
      std::vector<std::pair<double, int>> now;
      for (std::size_t k = 0; k < survivors.size(); ++k) now.push_back({median_of(t[k]), survivors[k]});
      std::sort(now.begin(), now.end());
      survivors.clear();
      for (std::size_t k = 0; k < (now.size() + 1) / 2; ++k) survivors.push_back(now[k].second);
      rounds *= 2;
    }
    out.push_back(sweep.finish(ci, survivors[0]));
  }
  return sweep.result(std::move(out), cap);
}

JournalHeader journal_header(const std::string& backend, const Measurer& measurer, std::span<const Cell> cells,
                             std::span<const Candidate> space, const SearchOptions& options) {
  JournalHeader h;
  h.backend = backend;
  h.nranks = measurer.nranks();
  h.nnodes = measurer.nnodes();
  for (const Cell& c : cells) h.cells.push_back(c.key());
  for (const Candidate& c : space) h.candidates.push_back(c.key);
  h.rounds = {{"explore", options.explore_rounds}, {"final", options.final_rounds}};
  return h;
}

Profile to_profile(const std::vector<CellOutcome>& outcomes, const ProfileContext& ctx) {
  Profile p;
  p.backend = ctx.backend;
  p.nccl_version = ctx.nccl_version;
  p.topology_hash = ctx.topology_hash;
  p.nnodes = ctx.nnodes;
  p.nranks = ctx.nranks;
  p.created_utc = ctx.created_utc;
  p.host = ctx.host;
  p.environment = ctx.environment;
  for (const CellOutcome& o : outcomes) {
    const double bus_factor = coll::bench::find_collective(o.cell.collective).bus_factor(ctx.nranks);
    // nccl-tests: algbw = size / time (GB/s of 1e9 bytes), busbw = algbw x bus factor.
    auto figure = [&](const Summary& s) {
      CellFigure f;
      f.time_us = s.median;
      f.busbw_gb_s = s.median > 0 ? double(o.cell.bytes) / (s.median * 1e3) * bus_factor : 0;
      f.spread = s.spread;
      f.rounds = s.n;
      return f;
    };
    ProfileCell cell;
    cell.collective = o.cell.collective;
    cell.dtype = std::string(coll::bench::nccl_tests_name(o.cell.dtype));  // the profile spells "float"
    cell.bytes = o.cell.bytes;
    cell.nnodes = ctx.nnodes;
    cell.nranks = ctx.nranks;
    cell.default_figure = figure(o.default_stats);
    if (o.winner) {
      cell.tuned_figure = figure(o.best_stats);
      cell.tuned = o.winner->to_choice();
    }
    cell.speedup = o.verdict.speedup;
    cell.speedup_low = o.verdict.speedup_low;
    cell.speedup_high = o.verdict.speedup_high;
    cell.candidates_measured = o.candidates_measured;
    p.cells.push_back(std::move(cell));
  }
  return p;
}

}  // namespace cairn::tuner
