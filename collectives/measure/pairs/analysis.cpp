#include "collectives/measure/pairs/analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "collectives/measure/harness/report.h"
#include "common/error.h"

namespace cairn::coll::pairs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxColumns = 100;

// Three significant digits in at most 8 characters: 0.0114, 1.02, 103, 1.23e+04.
std::string number(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3g}", v); }

std::string clip(const std::string& s, std::size_t width) {
  return s.size() <= width ? s : s.substr(0, width - 1) + "~";
}

const FlaggedPair* find_flag(const Verdict& verdict, int i, int j) {
  if (i > j) std::swap(i, j);
  for (const auto& f : verdict.flagged)
    if (f.i == i && f.j == j) return &f;
  return nullptr;
}

// Flagged cells carry a '*' when `mark` (the bandwidth matrix, which the flags are about).
std::string format_one_matrix(const PairsMatrix& m, const Verdict& verdict, const char* title,
                              double (PairsMatrix::*value)(int, int) const, bool mark) {
  // Row label "%4d " then cells of 10 characters: " " + value right-aligned in 8 + flag.
  constexpr int kLabel = 5, kCell = 10;
  const int per_block = std::max(1, (kMaxColumns - kLabel) / kCell);
  std::ostringstream os;
  const int n = m.size();
  for (int first = 0; first < n; first += per_block) {
    const int last = std::min(n, first + per_block);
    os << title;
    if (n > per_block) os << fmt::format(" (columns {}-{})", first, last - 1);
    os << "\n" << std::string(kLabel, ' ');
    for (int j = first; j < last; ++j) os << fmt::format(" {:>8} ", j);
    os << "\n";
    for (int i = 0; i < n; ++i) {
      os << fmt::format("{:>4} ", i);
      for (int j = first; j < last; ++j) {
        const bool flagged = mark && i != j && find_flag(verdict, i, j);
        os << fmt::format(" {:>8}{}", i == j ? "." : number((m.*value)(i, j)), flagged ? '*' : ' ');
      }
      os << "\n";
    }
  }
  return os.str();
}

Json participant_json(const PairsMatrix& m, int i) {
  const auto& p = m.participants()[static_cast<std::size_t>(i)];
  return {{"index", i}, {"rank", p.rank}, {"host", p.host}};
}

Json number_or_null(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

}  // namespace

double median_of(std::vector<double> v) {
  if (v.empty()) throw Error("pairs: the median of no values");
  const std::size_t n = v.size(), mid = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (n % 2) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

PairsMatrix::PairsMatrix(std::vector<Participant> participants)
    : participants_(std::move(participants)),
      bandwidth_(participants_.size() * participants_.size(), kNaN),
      latency_(participants_.size() * participants_.size(), kNaN) {}

std::size_t PairsMatrix::index(int i, int j) const {
  if (i < 0 || j < 0 || i >= size() || j >= size())
    throw Error(fmt::format("pairs matrix: pair ({}, {}) is outside {} participants", i, j, size()));
  return static_cast<std::size_t>(i) * participants_.size() + static_cast<std::size_t>(j);
}

void PairsMatrix::set(int i, int j, double bandwidth_gb_s, double latency_us) {
  if (i == j) throw Error(fmt::format("pairs matrix: participant {} cannot pair with itself", i));
  bandwidth_[index(i, j)] = bandwidth_[index(j, i)] = bandwidth_gb_s;
  latency_[index(i, j)] = latency_[index(j, i)] = latency_us;
}

void validate(const FlagRule& rule) {
  if (!(rule.fraction > 0 && rule.fraction <= 1))
    throw Error(fmt::format("--threshold {} is not a fraction: give a value in (0, 1], e.g. 0.5",
                            rule.fraction));
  if (rule.expect_gb_s && !(*rule.expect_gb_s > 0 && std::isfinite(*rule.expect_gb_s)))
    throw Error(fmt::format("--expect-gb-s {} must be a positive rate in GB/s (10^9 B/s)",
                            *rule.expect_gb_s));
}

Verdict analyze(const PairsMatrix& m, const FlagRule& rule) {
  validate(rule);
  const int n = m.size();
  if (n < 2) throw Error("pairs: need at least two participants to measure a pair");
  std::vector<double> bandwidths, latencies;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      if (std::isnan(m.bandwidth_gb_s(i, j)) || std::isnan(m.latency_us(i, j)))
        throw Error(fmt::format("pairs: pair {} <-> {} was never measured",
                                participant_name(m.participants()[static_cast<std::size_t>(i)]),
                                participant_name(m.participants()[static_cast<std::size_t>(j)])));
      bandwidths.push_back(m.bandwidth_gb_s(i, j));
      latencies.push_back(m.latency_us(i, j));
    }
  Verdict v;
  v.median_bandwidth_gb_s = median_of(bandwidths);
  v.median_latency_us = median_of(latencies);

  const double median_limit = rule.fraction * v.median_bandwidth_gb_s;
  const double expect_limit = rule.expect_gb_s ? rule.fraction * *rule.expect_gb_s : 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double bw = m.bandwidth_gb_s(i, j);
      std::vector<std::string> reasons;
      if (bw < median_limit)
        reasons.push_back(fmt::format("below {:g} x median {} GB/s", rule.fraction, number(v.median_bandwidth_gb_s)));
      if (bw < expect_limit)
        reasons.push_back(fmt::format("below {:g} x expected {:g} GB/s", rule.fraction, *rule.expect_gb_s));
      if (reasons.empty()) continue;
      FlaggedPair f{i, j, bw, std::max(bw < median_limit ? median_limit : 0, bw < expect_limit ? expect_limit : 0),
                    reasons[0]};
      for (std::size_t r = 1; r < reasons.size(); ++r) f.reason += "; " + reasons[r];
      v.flagged.push_back(std::move(f));
    }

  // Two distinct pairs share at most one participant, so at most one is common to all.
  if (v.flagged.size() >= 2) {
    for (int c : {v.flagged[0].i, v.flagged[0].j}) {
      if (std::all_of(v.flagged.begin(), v.flagged.end(), [c](const FlaggedPair& f) { return f.i == c || f.j == c; }))
        v.common = c;
    }
  }
  return v;
}

std::string crowded_host_warning(const std::vector<Participant>& participants, const std::string& host, int cpus) {
  const auto here = std::count_if(participants.begin(), participants.end(), [&](const Participant& p) { return p.host == host; });
  if (here <= cpus) return "";
  return fmt::format("warning: {} participants share the {} CPU(s) of host {}: pairs measured at the same time compete "
                     "for them, so their rates are not comparable; start at most {} rank(s) there or measure with "
                     "--per-node\n",
                     here, cpus, host, cpus);
}

std::string participant_name(const Participant& p) {
  return p.host.empty() ? fmt::format("r{}", p.rank) : fmt::format("r{} ({})", p.rank, p.host);
}

std::string flagged_lines(const PairsMatrix& m, const Verdict& v) {
  std::string out;
  const auto& ps = m.participants();
  for (const auto& f : v.flagged)
    out += fmt::format("slow pair {} <-> {}: {} GB/s, {}\n", participant_name(ps[static_cast<std::size_t>(f.i)]),
                       participant_name(ps[static_cast<std::size_t>(f.j)]), number(f.bandwidth_gb_s), f.reason);
  if (v.common)
    out += fmt::format("all {} slow pairs include {}: suspect its NIC, cable or switch port\n", v.flagged.size(),
                       participant_name(ps[static_cast<std::size_t>(*v.common)]));
  return out;
}

std::string format_pair_table(const PairsMatrix& m, const Verdict& v) {
  constexpr std::size_t kName = 24;
  std::string out = fmt::format("{:<{}} {:<{}} {:>9} {:>9} {:>8}  {}\n", "# from", kName, "to", kName, "GB/s",
                                "lat us", "x median", "flag");
  const auto& ps = m.participants();
  for (int i = 0; i < m.size(); ++i)
    for (int j = i + 1; j < m.size(); ++j) {
      const double bw = m.bandwidth_gb_s(i, j);
      out += fmt::format("{:<{}} {:<{}} {:>9} {:>9} {:>8}  {}\n",
                         clip(participant_name(ps[static_cast<std::size_t>(i)]), kName), kName,
                         clip(participant_name(ps[static_cast<std::size_t>(j)]), kName), kName, number(bw),
                         number(m.latency_us(i, j)),
                         v.median_bandwidth_gb_s > 0 ? fmt::format("{:.2f}", bw / v.median_bandwidth_gb_s) : "-",
                         find_flag(v, i, j) ? "SLOW" : "");
    }
  out += fmt::format("# median {} GB/s, {} us over {} pairs; {} flagged\n", number(v.median_bandwidth_gb_s),
                     number(v.median_latency_us), m.size() * (m.size() - 1) / 2, v.flagged.size());
  return out;
}

std::string format_matrices(const PairsMatrix& m, const Verdict& v) {
  std::string out = "# participants\n";
  for (int i = 0; i < m.size(); ++i)
    out += fmt::format("{:>4}  {}\n", i, clip(participant_name(m.participants()[static_cast<std::size_t>(i)]), 90));
  out += format_one_matrix(m, v, "# bandwidth GB/s (one direction, 10^9 B/s; * flagged)",
                           &PairsMatrix::bandwidth_gb_s, true);
  out += format_one_matrix(m, v, "# latency us (half round trip)", &PairsMatrix::latency_us, false);
  return out;
}

Json to_json(const PairsMatrix& m, const Verdict& v, const FlagRule& rule, const Json& run, const AlgoConfig& algo,
             const env::Vars& environment) {
  const int n = m.size();
  Json doc = Json::object();
  doc["run"] = run;
  doc["host_algo_config"] = bench::host_algo_config_json(algo);
  doc["environment"] = environment;
  doc["participants"] = Json::array();
  for (int i = 0; i < n; ++i) doc["participants"].push_back(participant_json(m, i));
  Json bw = Json::array(), lat = Json::array(), pair_list = Json::array();
  for (int i = 0; i < n; ++i) {
    Json bw_row = Json::array(), lat_row = Json::array();
    for (int j = 0; j < n; ++j) {
      bw_row.push_back(i == j ? Json(nullptr) : number_or_null(m.bandwidth_gb_s(i, j)));
      lat_row.push_back(i == j ? Json(nullptr) : number_or_null(m.latency_us(i, j)));
      if (j <= i) continue;
      const FlaggedPair* f = find_flag(v, i, j);
      Json p = {{"i", i},
                {"j", j},
                {"bandwidth_gb_s", number_or_null(m.bandwidth_gb_s(i, j))},
                {"latency_us", number_or_null(m.latency_us(i, j))},
                {"flagged", f != nullptr}};
      if (f) {
        p["limit_gb_s"] = f->limit_gb_s;
        p["reason"] = f->reason;
      }
      pair_list.push_back(std::move(p));
    }
    bw.push_back(std::move(bw_row));
    lat.push_back(std::move(lat_row));
  }
  doc["bandwidth_gb_s"] = std::move(bw);
  doc["latency_us"] = std::move(lat);
  doc["pairs"] = std::move(pair_list);
  doc["median_bandwidth_gb_s"] = v.median_bandwidth_gb_s;
  doc["median_latency_us"] = v.median_latency_us;
  doc["threshold"] = rule.fraction;
  doc["expect_gb_s"] = rule.expect_gb_s ? Json(*rule.expect_gb_s) : Json(nullptr);
  doc["flagged"] = Json::array();
  for (const auto& f : v.flagged) doc["flagged"].push_back({{"i", f.i}, {"j", f.j}});
  doc["common"] = v.common ? participant_json(m, *v.common) : Json(nullptr);
  doc["healthy"] = v.healthy();
  return with_schema(std::move(doc), kPairsSchema, kPairsSchemaVersion);
}

}  // namespace cairn::coll::pairs
