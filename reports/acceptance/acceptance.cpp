#include "reports/acceptance/acceptance.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "collectives/measure/harness/harness.h"
#include "collectives/measure/pairs/analysis.h"
#include "common/error.h"
#include "common/progress_bar.h"
#include "probe/discover.h"
#include "probe/health.h"
#include "reports/acceptance/gpu_checks.h"
#include "reports/acceptance/node_rates.h"
#include "reports/acceptance/thresholds.h"

namespace cairn::acceptance {
namespace {

namespace pairs = coll::pairs;

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

bool any_inconclusive(const std::vector<Check>& checks) {
  return std::any_of(checks.begin(), checks.end(), [](const Check& c) { return c.outcome == Outcome::inconclusive; });
}

// An inconclusive check after all its samples (with the per-node rates' extra rounds) is
// a failure: the node could not show that it meets the threshold.
void settle(Check& c) {
  if (c.outcome != Outcome::inconclusive) return;
  c.outcome = Outcome::fail;
  c.evidence += "; still inconclusive after all its samples";
}

// One busbw sample of all_reduce at the options' size over comm.
double all_reduce_busbw(coll::Communicator& comm, coll::bench::Memory& memory, const AcceptanceOptions& o) {
  coll::bench::SweepOptions sweep;
  sweep.min_bytes = sweep.max_bytes = o.bench_bytes;
  sweep.iters = o.bench_iters;
  sweep.warmup_iters = 1;
  sweep.check_iters = 0;
  const auto report = coll::bench::run_collective(comm, memory, coll::bench::all_reduce_test, sweep, nullptr);
  return report.rows.at(0).out_of_place.busbw_gb_s;
}

// The busbw a group of nodes reaches, known to every rank of comm: the group's ranks run
// it on a communicator of their own; the rest wait.
double group_busbw(coll::Communicator& comm, coll::bench::Memory& memory, const std::vector<pairs::Participant>& nodes,
                   const std::vector<std::string>& hosts, const std::vector<int>& members, const AcceptanceOptions& o) {
  const std::string& my_host = hosts[static_cast<std::size_t>(comm.rank())];
  bool in = false;
  for (int m : members) in = in || nodes[static_cast<std::size_t>(m)].host == my_host;
  std::unique_ptr<coll::Communicator> group = comm.split(in ? 0 : -1, comm.rank());
  std::vector<double> mine = {0.0};
  if (group) {
    std::vector<double> samples;
    for (int i = 0; i < std::max(1, o.repeats / 2 + 1); ++i) samples.push_back(all_reduce_busbw(*group, memory, o));
    mine[0] = summarize(samples).median;
  }
  group.reset();
  double best = 0;
  for (const auto& v : gather_values(comm, memory, mine)) best = std::max(best, v[0]);
  return best;
}

std::string probe_line(const AcceptanceOptions& o) {
  try {
    const probe::NodeInfo node = probe::probe_live("");
    const auto findings = probe::check_node(node, o.expect.value_or(probe::ExpectSpec{}));
    int errors = 0;
    std::string first;
    for (const auto& f : findings)
      if (f.severity == probe::Severity::error && errors++ == 0) first = f.check + ": " + f.subject + ": " + f.message;
    return errors == 0 ? "ok" : fmt::format("fail {} error finding(s), first {}", errors, first);
  } catch (const std::exception& e) {
    return std::string("skip probe could not run: ") + e.what();
  }
}

}  // namespace

void validate(const AcceptanceOptions& o) {
  require(o.repeats >= 3 && o.repeats <= 1000, fmt::format("--repeats {}: give 3 to 1000 (a median needs three)", o.repeats));
  require(o.extra_rounds >= 0 && o.extra_rounds <= 10, fmt::format("--extra-rounds {}: give 0 to 10", o.extra_rounds));
  for (const auto& [flag, v] : {std::pair{"--fleet-fraction", o.fleet_fraction},
                                {"--baseline-fraction", o.baseline_fraction},
                                {"--spec-fraction", o.spec_fraction},
                                {"--bench-fraction", o.bench_fraction},
                                {"--datasheet-fraction", o.datasheet_fraction},
                                {"--pairs-threshold", o.pairs_fraction}})
    require(v > 0 && v <= 1, fmt::format("{} {}: give a fraction above 0 and at most 1", flag, v));
  require(o.bench_bytes >= 8, "--bench-bytes: give at least 8 bytes");
  require(o.bench_iters >= 1, fmt::format("--bench-iters {}: give at least 1", o.bench_iters));
  require(o.triad_elements >= 1024, "--triad-bytes: give at least 24 KiB");
  require(o.gemm_side >= 16 && o.gemm_side <= 8192, fmt::format("--gemm-side {}: give 16 to 8192", o.gemm_side));
  require(o.pairs.bytes >= 1, "--pairs-bytes: give at least 1 byte (e.g. 4M)");
  require(o.pairs.iters >= 1, fmt::format("--pairs-iters {}: give at least 1", o.pairs.iters));
  coll::pairs::validate(o.pairs);
  const auto storage = probe_options(o.storage, o.storage.data_path);
  require(o.storage.bytes / static_cast<std::uint64_t>(storage.threads) >= storage.block_bytes,
          fmt::format("--storage-size {}: give at least {} bytes (a block of {} for each of the {} threads)",
                      o.storage.bytes, storage.block_bytes * static_cast<std::uint64_t>(storage.threads),
                      storage.block_bytes, storage.threads));
  probe::storage::validate(o.storage.demand);
  for (const auto& f : o.inject)
    require(f.kind == ft::FaultKind::slow_compute,
            fmt::format("--inject {}: acceptance takes slow-compute:rank=R,factor=F (a drill of the per-node "
                        "verdict); slow a link with tc instead",
                        f.text));
}

Json read_baseline(const std::string& path) {
  Json doc = read_json_file(path);
  require_schema(doc, kAcceptanceSchema, kAcceptanceSchemaVersion, path);
  if (!doc.contains("checks") || !doc["checks"].is_array())
    throw Error(path + ": no \"checks\" list; give a report that cairn acceptance --output wrote");
  for (std::size_t i = 0; i < doc["checks"].size(); ++i) {
    const Json& c = doc["checks"][i];
    const std::string where = fmt::format("{}: checks[{}]", path, i);
    json_field<std::string>(c, "name", where);
    json_field<std::string>(c, "host", where);
    if (c.contains("median") && !c["median"].is_null() && !c["median"].is_number())
      throw Error(where + ": \"median\" is not a number; give a report that cairn acceptance --output wrote");
  }
  return doc;
}

bool AcceptanceResult::accepted() const {
  return std::all_of(nodes.begin(), nodes.end(), [](const NodeVerdict& n) { return n.pass; }) && links.empty() &&
         std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.outcome == Outcome::fail; });
}

AcceptanceResult run_acceptance(coll::Communicator& comm, coll::bench::Memory& memory, const AcceptanceOptions& o,
                                bool show_progress) {
  validate(o);
  ft::check_fault_ranks(o.inject, comm.size());
  ProgressBar bar(show_progress && comm.rank() == 0);
  AcceptanceResult r;
  const auto hosts = pairs::gather_hosts(comm, memory);
  const auto nodes = pairs::choose_participants(hosts, true);
  const auto machines = coll::bench::gather_lines(comm, memory, machine_id());
  std::map<std::string, int> per_machine;
  for (const auto& n : nodes) ++per_machine[machines[static_cast<std::size_t>(n.rank)]];
  for (const auto& [m, count] : per_machine)
    if (count > 1)
      r.notes.push_back(fmt::format("{} nodes share one machine: their per-node rates were taken in turns", count));

  for (const auto& n : nodes) r.nodes.push_back({n.host, n.rank, true, {}});
  const auto fail_node = [&](std::size_t i, std::string why) {
    r.nodes[i].pass = false;
    r.nodes[i].reasons.push_back(std::move(why));
  };
  // A per-node check, settled; its failure fails its node.
  const auto settle_node_check = [&](Check& c) {
    settle(c);
    if (c.outcome == Outcome::fail) {
      const auto it = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.rank == c.rank; });
      fail_node(static_cast<std::size_t>(it - nodes.begin()), c.name + ": " + c.evidence);
    }
    r.checks.push_back(std::move(c));
  };

  // The probe, on each node's first rank.
  if (o.probe) {
    bar.update(0, 1, "probe");
    const bool first = std::any_of(nodes.begin(), nodes.end(), [&](const auto& n) { return n.rank == comm.rank(); });
    const auto lines = coll::bench::gather_lines(comm, memory, first ? probe_line(o) : "");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const std::string& line = lines[static_cast<std::size_t>(nodes[i].rank)];
      Check c;
      c.name = "probe";
      c.host = nodes[i].host;
      c.rank = nodes[i].rank;
      c.outcome = line == "ok" ? Outcome::pass : line.rfind("fail ", 0) == 0 ? Outcome::fail : Outcome::skipped;
      c.evidence = line == "ok" ? "no error-level finding" + std::string(o.expect ? " against --expect" : "")
                                : line.substr(5);
      if (c.outcome == Outcome::fail) fail_node(i, "probe: " + c.evidence);
      r.checks.push_back(std::move(c));
    }
  }

  // Per-node rates, repeated; more rounds while a verdict is inconclusive.
  RateSettings rates{o.triad_elements, o.gemm_side, o.repeats, o.inject};
  NodeRateSamples samples;
  std::vector<Check> rate;
  for (int round = 0; round <= o.extra_rounds; ++round) {
    const NodeRateSamples more = measure_node_rates(comm, memory, nodes, machines, rates, [&](int done, int total) {
      bar.update(done, total, round == 0 ? "memory bandwidth and GEMM" : "memory bandwidth and GEMM (again)");
    });
    if (samples.triad_gb_s.empty()) {
      samples = more;
    } else {
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        samples.triad_gb_s[i].insert(samples.triad_gb_s[i].end(), more.triad_gb_s[i].begin(), more.triad_gb_s[i].end());
        samples.gemm_gflop_s[i].insert(samples.gemm_gflop_s[i].end(), more.gemm_gflop_s[i].begin(),
                                       more.gemm_gflop_s[i].end());
      }
    }
    const auto spec = o.expect.value_or(probe::ExpectSpec{});
    rate = fleet_checks("memory_bandwidth", "GB/s", samples.triad_gb_s, nodes, spec.memory_bandwidth_gb_s, o);
    auto gemm = fleet_checks("gemm", "GFLOP/s", samples.gemm_gflop_s, nodes, spec.gemm_gflop_s, o);
    rate.insert(rate.end(), gemm.begin(), gemm.end());
    if (!any_inconclusive(rate)) break;
  }
  for (Check& c : rate) settle_node_check(c);

  // The storage a run reads from and checkpoints to, on each node.
  for (Check& c : storage_checks(comm, memory, nodes, machines, o, [&](int done, int total) {
         bar.update(done, total, "storage");
       }))
    settle_node_check(c);

  // Every GPU, on its own.
  for (Check& c : gpu_checks(comm, memory, hosts, o, [&](int done, int total) { bar.update(done, total, "GPU GEMM and copy"); })) {
    settle(c);
    if (c.outcome == Outcome::fail) {
      const auto it = std::find_if(nodes.begin(), nodes.end(), [&](const auto& n) { return n.host == hosts[static_cast<std::size_t>(c.rank)]; });
      fail_node(static_cast<std::size_t>(it - nodes.begin()), c.name + " of rank " + std::to_string(c.rank) + ": " + c.evidence);
    }
    r.checks.push_back(std::move(c));
  }

  // Every pair of nodes.
  double pair_median = 0;
  if (nodes.size() >= 2) {
    bar.update(0, 1, "pairs");
    pairs::FlagRule rule;
    rule.fraction = o.pairs_fraction;
    if (o.expect && o.expect->pair_bandwidth_gb_s) rule.expect_gb_s = o.spec_fraction * *o.expect->pair_bandwidth_gb_s;
    const auto matrix = pairs::measure_pairs(comm, memory, nodes, o.pairs);
    const auto verdict = pairs::analyze(matrix, rule);
    pair_median = verdict.median_bandwidth_gb_s;
    Check c;
    c.name = "pairs";
    c.host = "*";
    c.unit = "GB/s";
    for (int i = 0; i < matrix.size(); ++i)
      for (int j = i + 1; j < matrix.size(); ++j) c.samples.push_back(matrix.bandwidth_gb_s(i, j));
    judge(c);
    c.outcome = verdict.healthy() ? Outcome::pass : Outcome::fail;
    c.evidence = fmt::format("{} pairs, {} slow; median {:.4g} GB/s one direction", c.samples.size(),
                             verdict.flagged.size(), pair_median);
    r.checks.push_back(c);
    for (const auto& f : verdict.flagged)
      r.links.push_back({nodes[static_cast<std::size_t>(f.i)].host, nodes[static_cast<std::size_t>(f.j)].host, false,
                         fmt::format("{:.4g} GB/s, {}", f.bandwidth_gb_s, f.reason)});
    if (verdict.common)
      fail_node(static_cast<std::size_t>(*verdict.common),
                "every slow pair includes it (its NIC, cable or switch port)");
  }

  // The job's collective; when slow, the node that slows it.
  if (nodes.size() >= 2) {
    Check c;
    c.name = "bench.all_reduce";
    c.host = "*";
    c.unit = "GB/s";
    for (int i = 0; i < o.repeats; ++i) {
      bar.update(i, o.repeats, "all_reduce");
      c.samples.push_back(all_reduce_busbw(comm, memory, o));
    }
    apply_spec_and_baseline(c, o.expect ? o.expect->bus_bandwidth_gb_s : std::nullopt, o);
    if (pair_median > 0)
      require_threshold(c, {o.bench_fraction * pair_median, "pairs",
                            fmt::format("{} x the pairs' median {:.4g} GB/s", o.bench_fraction, pair_median)});
    judge(c);
    if (c.outcome != Outcome::pass && c.threshold) {
      const double limit = c.threshold->value;
      const Isolation iso = isolate_slow_nodes(static_cast<int>(nodes.size()), [&](const std::vector<int>& members) {
        bar.update(0, 1, "isolating the slow node");
        return group_busbw(comm, memory, nodes, hosts, members, o) < limit;
      });
      Json j = {{"check", c.name}, {"runs", iso.runs}, {"evidence", iso.evidence}};
      j["suspects"] = Json::array();
      for (int s : iso.suspects) {
        j["suspects"].push_back(nodes[static_cast<std::size_t>(s)].host);
        fail_node(static_cast<std::size_t>(s), fmt::format("slows {} (group testing, {} runs)", c.name, iso.runs));
      }
      if (!iso.suspects.empty()) j["suspect"] = nodes[static_cast<std::size_t>(iso.suspects.front())].host;
      const auto names = [&](const std::vector<int>& g) {
        Json list = Json::array();
        for (int m : g) list.push_back(nodes[static_cast<std::size_t>(m)].host);
        return list;
      };
      j["between"] = Json::array();
      for (const auto& [a, b] : iso.between) j["between"].push_back({names(a), names(b)});
      r.isolation.push_back(std::move(j));
    }
    settle(c);
    r.checks.push_back(std::move(c));
  }
  bar.finish();
  return r;
}

}  // namespace cairn::acceptance
