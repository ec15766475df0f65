// One measured acceptance check (a rate on one node, or the job's collective rate), its
// threshold and where the threshold came from, and its verdict from repeated samples.
//
// The verdict is statistical so that a healthy node passes every time (a verdict that
// flips between two runs of one node is worse than none, superbenchmark#626): a check
// fails when the whole confidence interval of its median lies on the wrong side of the
// threshold; it passes when the median lies on the right side; otherwise (the median is
// wrong but the interval reaches the threshold) it is inconclusive, and the caller takes
// more samples before it calls it a failure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/json_io.h"
#include "reports/acceptance/statistics.h"

namespace cairn::acceptance {

enum class Outcome { pass, fail, inconclusive, skipped };
const char* to_string(Outcome o);

struct Threshold {
  double value = 0;
  std::string from;  // "spec", "fleet", "baseline", "pairs"
  std::string why;   // "0.8 x the fleet's median 20.1 GB/s"
};

struct Check {
  std::string name;   // "memory_bandwidth", "gemm", "bench.all_reduce"
  std::string host;   // the node, or "*" for the whole job
  int rank = -1;      // the node's rank, -1 for the job
  std::string unit;   // "GB/s", "GFLOP/s"
  bool higher_is_better = true;
  std::vector<double> samples;
  std::optional<Summary> summary;      // of samples, once there are any
  std::optional<Threshold> threshold;  // the strictest of the thresholds that apply
  std::optional<double> percentile;    // among the nodes of its type (per-node checks)
  std::optional<double> baseline;      // the same check's median in --baseline's report
  Outcome outcome = Outcome::skipped;
  std::string evidence;                // one line: what was measured against what
};

// Summarizes the samples and sets outcome and evidence against the threshold. No
// threshold: pass (the figure is reported; nothing says what it should be).
void judge(Check& check);

// The stricter of two thresholds for the check's direction (the higher one for a rate).
Threshold stricter(const Check& check, const Threshold& a, const Threshold& b);
void require_threshold(Check& check, const Threshold& t);  // check.threshold = stricter of both

Json to_json(const Check& check);

}  // namespace cairn::acceptance
