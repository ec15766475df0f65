#include "tuner/run/predict_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "collectives/measure/pairs/analysis.h"
#include "common/text_file.h"
#include "topology/cluster.h"
#include "tuner/model/alpha_beta.h"
#include "tuner/model/calibration.h"
#include "tuner/model/host_model.h"
#include "tuner/model/predict.h"
#include "tuner/profile/profile.h"
#include "tuner/search/journal.h"

namespace cairn::tuner {
namespace {

// The journal's measurements as (candidate key, collective, bytes) -> the median time of
// each series, with the communicator's size (journal.h reads and checks the file).
struct Measured {
  int nranks = 0, nnodes = 0;
  std::map<std::tuple<std::string, std::string, double>, std::vector<double>> medians;
};

Measured read_journal(const std::string& path) {
  const Journal journal = Journal::from_text(read_text_file(path), path);
  if (journal.header().backend != "ucx")
    throw Error(fmt::format("{}: --from fits the host model; this journal is of the {} backend", path,
                            journal.header().backend));
  Measured m;
  m.nranks = journal.header().nranks;
  m.nnodes = journal.header().nnodes;
  for (const JournalEntry& e : journal.entries()) {
    // The cell key is "<collective>/<dtype>/<op>/<bytes>" (Cell::key).
    const std::string collective = e.cell.substr(0, e.cell.find('/'));
    const double bytes = std::strtod(e.cell.c_str() + e.cell.rfind('/') + 1, nullptr);
    for (std::size_t k = 0; k < e.candidates.size(); ++k) {
      std::vector<double> finite;  // a run the backend did not honour is +inf
      for (double t : e.times_us[k])
        if (std::isfinite(t)) finite.push_back(t);
      if (!finite.empty()) m.medians[{e.candidates[k], collective, bytes}].push_back(coll::pairs::median_of(finite));
    }
  }
  return m;
}

// The host family a candidate key belongs to ("ucx:ring/c131072/d2/k1" -> "ucx:ring"; the
// default's algorithm changes with the size, which host_model.h resolves as the backend does).
std::string family_of(const std::string& key) {
  if (key == "default") return "ucx:automatic";  // host_model.h resolves it per size
  if (!key.starts_with("ucx:")) return {};
  return key.substr(0, key.find('/'));
}

// A candidate's series is held out of only where it has enough sizes that every other one
// still leaves a curve to fit: the guided search measures most candidates at a few sizes
// near where they win, and its seeds (each family's default knobs) at every size.
constexpr std::size_t kMinSizesForHoldout = 5;

// Per candidate: sizes sorted, every other one (the 2nd, 4th, ...) held out, the rest
// fitted, the held-out ones predicted. The fit is alpha-beta per size range (alpha_beta.h
// through the two fitted sizes around a held-out one), as NCCL keeps one latency and one
// bandwidth per protocol, each over its range of sizes: host memory has such ranges too
// (UCX's eager and rendezvous protocols, the last-level cache), and one line through all
// sizes misses the held-out ones by 13-20 % on this machine where ranges miss by 7-10 %.
HoldoutReport holdout_of(const Measured& m) {
  std::map<std::pair<std::string, std::string>, std::vector<Sample>> by_candidate;
  for (const auto& [id, medians] : m.medians) {
    const auto& [key, collective, bytes] = id;
    const std::string family = family_of(key);
    if (family.empty()) continue;
    by_candidate[{key, collective}].push_back({family, collective, bytes, m.nranks, m.nnodes, coll::pairs::median_of(medians)});
  }
  HoldoutReport report;
  std::map<std::string, std::vector<double>> errors_by_family;
  std::map<std::string, int> fitted_by_family;
  std::vector<double> all;
  for (auto& [id, samples] : by_candidate) {
    if (samples.size() < kMinSizesForHoldout) continue;
    std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.bytes < b.bytes; });
    // Held out: the odd positions that have a fitted size on both sides.
    for (std::size_t i = 1; i + 1 < samples.size(); i += 2) {
      const SizeTime range[] = {{samples[i - 1].bytes, samples[i - 1].time_us}, {samples[i + 1].bytes, samples[i + 1].time_us}};
      const AlphaBetaFit fit = fit_alpha_beta(range);
      const double e = std::fabs(fit.predict_us(samples[i].bytes) - samples[i].time_us) / samples[i].time_us;
      errors_by_family[samples[i].family].push_back(e);
      all.push_back(e);
    }
    fitted_by_family[samples.front().family] += static_cast<int>((samples.size() + 1) / 2);
  }
  for (const auto& [family, errors] : errors_by_family)
    report.families.push_back({family, fitted_by_family[family], static_cast<int>(errors.size()), coll::pairs::median_of(errors)});
  report.held_out = static_cast<int>(all.size());
  report.median_abs_rel_error = all.empty() ? 0 : coll::pairs::median_of(all);
  return report;
}

}  // namespace

std::string predict_report(const std::string& cluster_name, int nodes,
                           const std::vector<const coll::bench::CollTest*>& tests,
                           const coll::bench::SweepOptions& sweep, const std::string& from) {
  topology::ClusterSpec cluster;
  try {
    cluster = topology::cluster_preset(cluster_name, nodes);
  } catch (const Error& e) {
    throw Error(fmt::format("--cluster {} --nodes {}: {}", cluster_name, nodes, e.what()));
  }
  std::vector<std::string> collectives;
  for (const coll::bench::CollTest* t : tests)
    if (nccl_func_of(std::string(t->name))) collectives.emplace_back(t->name);
  if (collectives.empty())
    throw Error("--op: none of these collectives is in NCCL's cost model; predict all_reduce, all_gather, "
                "reduce_scatter, broadcast or reduce");
  const std::vector<PredictionRow> rows = predict_cluster(cluster, collectives, coll::bench::sweep_sizes(sweep));
  if (from.empty()) return format_prediction(cluster, rows);
  const HoldoutReport holdout = holdout_of(read_journal(from));
  if (holdout.held_out == 0)
    throw Error(fmt::format("{}: no candidate was measured at 3 sizes or more, so no size can be held out; tune "
                            "more sizes (-b, -e, -f)",
                            from));
  return format_prediction(cluster, rows, &holdout);
}

}  // namespace cairn::tuner
