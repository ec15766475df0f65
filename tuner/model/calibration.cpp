#include "tuner/model/calibration.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "collectives/measure/pairs/analysis.h"
#include "common/error.h"
#include "tuner/model/host_model.h"

namespace cairn::tuner {
namespace {

constexpr const char* kNcclPrefix = "nccl:";

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string sample_name(std::size_t i, const Sample& s) {
  return "sample " + std::to_string(i) + " (" + s.family + " " + s.collective + ")";
}

// "nccl:ring/simple" -> (Ring, Simple); "nccl:default" -> none (NCCL's own choice).
struct NcclPair {
  bool fixed = false;
  nccl::Algo algo = nccl::Algo::ring;
  nccl::Proto proto = nccl::Proto::simple;
};

NcclPair parse_nccl_family(const std::string& family) {
  const std::string rest = lower(family.substr(std::string(kNcclPrefix).size()));
  if (rest == "default") return {};
  const std::size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    const std::string a = rest.substr(0, slash), p = rest.substr(slash + 1);
    NcclPair out;
    bool found_a = false, found_p = false;
    for (int i = 0; i < nccl::kNumAlgos; ++i)
      if (lower(nccl::to_string(static_cast<nccl::Algo>(i))) == a) out.algo = static_cast<nccl::Algo>(i), found_a = true;
    for (int i = 0; i < nccl::kNumProtos; ++i)
      if (lower(nccl::to_string(static_cast<nccl::Proto>(i))) == p) out.proto = static_cast<nccl::Proto>(i), found_p = true;
    out.fixed = true;
    if (found_a && found_p) return out;
  }
  fail("family " + family, "not an NCCL family; give nccl:default or nccl:<algorithm>/<protocol> (nccl:ring/simple, nccl:tree/ll)");
}

// NCCL's two terms for a sample's shape on `system`.
nccl::Terms nccl_terms(const std::string& family, const Sample& s, const SystemModel& system) {
  const nccl::Func f = nccl::parse_func(s.collective);
  const nccl::CommModel c = nccl::comm_model(system, s.nnodes, s.nranks);
  const nccl::CostTable t = nccl::tune_model(c, f);
  NcclPair pair = parse_nccl_family(family);
  if (!pair.fixed) {
    const nccl::Choice ch = nccl::choose(c, f, s.bytes);
    pair.algo = ch.algo;
    pair.proto = ch.proto;
  }
  const nccl::Terms x = nccl::terms(c, t, f, pair.algo, pair.proto, s.bytes);
  if (!x.enabled || x.latency_us <= 0)
    fail("family " + family, std::string("NCCL's model has no ") + nccl::to_string(pair.algo) + "/" +
                                 nccl::to_string(pair.proto) + " for " + s.collective + " on cluster " + system.name +
                                 " (disabled there); measure another pair");
  return x;
}

const SystemModel& need_system(const std::string& family, const SystemModel* system) {
  if (!system) fail("family " + family, "NCCL samples need the system they were measured on (a cluster or node preset)");
  return *system;
}

// The per-step (host) or per-latency (NCCL) scaled point of a sample.
SizeTime scaled_point(const Sample& s, const SystemModel* nccl_system) {
  if (is_nccl_family(s.family)) {
    const nccl::Terms x = nccl_terms(s.family, s, need_system(s.family, nccl_system));
    return {x.bytes_us / x.latency_us, s.time_us / x.latency_us};
  }
  const HostShape h = host_shape(s.family, s.collective, s.nranks, s.bytes);
  return {h.bytes_factor * s.bytes / h.steps, s.time_us / h.steps};
}

using GroupKey = std::pair<std::string, std::string>;  // family, collective

std::map<GroupKey, std::vector<Sample>> by_group(std::span<const Sample> samples) {
  std::map<GroupKey, std::vector<Sample>> groups;
  for (const Sample& s : samples) groups[{s.family, s.collective}].push_back(s);
  return groups;
}

}  // namespace

bool is_nccl_family(const std::string& family) { return family.rfind(kNcclPrefix, 0) == 0; }

void check_samples(std::span<const Sample> samples) {
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    const std::string what = sample_name(i, s);
    if (s.family.empty()) fail(what, "family is empty; give the candidate's family (ucx:ring, nccl:ring/simple)");
    if (!std::isfinite(s.bytes) || s.bytes < 0) fail(what, "bytes " + fmt::format("{}", s.bytes) + " is not a size; give bytes >= 0");
    if (!std::isfinite(s.time_us) || s.time_us <= 0)
      fail(what, "time_us " + fmt::format("{}", s.time_us) + " is not a time; give a measured time > 0");
    if (s.nranks < 2) fail(what, "nranks " + std::to_string(s.nranks) + ": a cost model needs 2 or more ranks");
    if (s.nnodes < 1 || s.nranks % s.nnodes != 0)
      fail(what, "nnodes " + std::to_string(s.nnodes) + " does not divide nranks " + std::to_string(s.nranks) +
                     "; give the nodes the ranks ran on, the same count on each");
  }
}

std::vector<FamilyFit> fit_families(std::span<const Sample> samples, const SystemModel* nccl_system) {
  check_samples(samples);
  std::vector<FamilyFit> fits;
  for (const auto& [key, group] : by_group(samples)) {
    std::vector<SizeTime> points;
    for (const Sample& s : group) points.push_back(scaled_point(s, nccl_system));
    FamilyFit f;
    f.family = key.first;
    f.collective = key.second;
    f.fit = fit_alpha_beta(points);
    if (!is_nccl_family(f.family)) f.segments = fit_segments(points);
    fits.push_back(f);
  }
  return fits;
}

double predict_us(const FamilyFit& fit, const Sample& shape, const SystemModel* nccl_system) {
  if (is_nccl_family(fit.family)) {
    const nccl::Terms x = nccl_terms(fit.family, shape, need_system(fit.family, nccl_system));
    return fit.fit.alpha_us * x.latency_us + fit.fit.beta_us_per_byte * x.bytes_us;
  }
  const HostShape h = host_shape(fit.family, fit.collective, shape.nranks, shape.bytes);
  const double step_bytes = h.bytes_factor * shape.bytes / h.steps;
  if (fit.segments.valid()) return h.steps * fit.segments.predict_us(step_bytes);
  return h.steps * fit.fit.predict_us(step_bytes);
}

const FamilyFit* find_fit(std::span<const FamilyFit> fits, const std::string& family, const std::string& collective) {
  for (const FamilyFit& f : fits)
    if (f.family == family && f.collective == collective) return &f;
  return nullptr;
}

nccl::Efficiency nccl_efficiency(std::span<const FamilyFit> fits, const std::string& collective) {
  nccl::Efficiency eff;
  for (const FamilyFit& f : fits) {
    if (f.collective != collective || !is_nccl_family(f.family) || !f.fit.valid()) continue;
    const NcclPair pair = parse_nccl_family(f.family);
    if (pair.fixed) continue;
    for (auto& row : eff.latency_scale) row.fill(f.fit.alpha_us);
    for (auto& row : eff.byte_scale) row.fill(f.fit.beta_us_per_byte);
  }
  for (const FamilyFit& f : fits) {
    if (f.collective != collective || !is_nccl_family(f.family) || !f.fit.valid()) continue;
    const NcclPair pair = parse_nccl_family(f.family);
    if (!pair.fixed) continue;
    eff.latency_scale[nccl::idx(pair.algo)][nccl::idx(pair.proto)] = f.fit.alpha_us;
    eff.byte_scale[nccl::idx(pair.algo)][nccl::idx(pair.proto)] = f.fit.beta_us_per_byte;
  }
  return eff;
}

HoldoutReport holdout_error(std::span<const Sample> samples, HoldOut /*which: every other size*/,
                            const SystemModel* nccl_system) {
  check_samples(samples);
  std::map<std::string, std::vector<double>> errors_by_family;
  std::map<std::string, int> fitted_by_family;
  std::vector<double> all;
  for (const auto& [key, group] : by_group(samples)) {
    std::set<double> size_set;
    for (const Sample& s : group) size_set.insert(s.bytes);
    if (size_set.size() < 3) continue;
    const std::vector<double> sizes(size_set.begin(), size_set.end());
    std::set<double> held;
    for (std::size_t i = 1; i < sizes.size(); i += 2) held.insert(sizes[i]);
    std::vector<Sample> train, test;
    for (const Sample& s : group) (held.count(s.bytes) ? test : train).push_back(s);
    const std::vector<FamilyFit> fit = fit_families(train, nccl_system);
    fitted_by_family[key.first] += static_cast<int>(train.size());
    for (const Sample& s : test) {
      const double e = std::fabs(predict_us(fit.at(0), s, nccl_system) - s.time_us) / s.time_us;
      errors_by_family[key.first].push_back(e);
      all.push_back(e);
    }
  }
  HoldoutReport r;
  for (const auto& [family, errors] : errors_by_family) {
    HoldoutLine line;
    line.family = family;
    line.fitted = fitted_by_family[family];
    line.held_out = static_cast<int>(errors.size());
    line.median_abs_rel_error = coll::pairs::median_of(errors);
    r.families.push_back(line);
  }
  r.held_out = static_cast<int>(all.size());
  if (!all.empty()) r.median_abs_rel_error = coll::pairs::median_of(all);
  return r;
}

std::vector<std::string> format_holdout(const HoldoutReport& r) {
  std::vector<std::string> lines;
  if (r.held_out == 0) {
    lines.push_back("held-out error: none (a family needs 3 or more sizes to hold every other one out)");
    return lines;
  }
  lines.push_back(fmt::format("held-out error (every other size held out of the fit), median |predicted - measured| / measured:"));
  for (const HoldoutLine& l : r.families)
    lines.push_back(fmt::format("  {:<28} {:6.1f} %  ({} held out, {} fitted)", l.family, 100 * l.median_abs_rel_error,
                                l.held_out, l.fitted));
  lines.push_back(fmt::format("  {:<28} {:6.1f} %  ({} held out)", "overall", 100 * r.median_abs_rel_error, r.held_out));
  return lines;
}

}  // namespace cairn::tuner
