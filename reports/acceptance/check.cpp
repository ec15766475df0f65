#include "reports/acceptance/check.h"

#include <fmt/format.h>

namespace cairn::acceptance {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::fail: return "fail";
    case Outcome::inconclusive: return "inconclusive";
    case Outcome::skipped: return "skipped";
  }
  return "?";
}

namespace {

// Whether x is on the good side of the threshold.
bool good(const Check& c, double x) { return c.higher_is_better ? x >= c.threshold->value : x <= c.threshold->value; }

}  // namespace

void judge(Check& c) {
  if (c.samples.empty()) {
    c.outcome = Outcome::skipped;
    if (c.evidence.empty()) c.evidence = "not measured";
    return;
  }
  c.summary = summarize(c.samples);
  const Summary& s = *c.summary;
  const std::string measured =
      fmt::format("median {:.4g} {} of {} (CI {:.4g}..{:.4g} at {:.0f} %, CV {:.1f} %)", s.median, c.unit, s.n,
                  s.ci_low, s.ci_high, 100 * s.confidence, 100 * s.cv);
  if (!c.threshold) {
    c.outcome = Outcome::pass;
    c.evidence = measured + "; no threshold";
    return;
  }
  const double best_end = c.higher_is_better ? s.ci_high : s.ci_low;
  c.outcome = good(c, s.median) ? Outcome::pass : good(c, best_end) ? Outcome::inconclusive : Outcome::fail;
  const char* side = c.outcome == Outcome::pass ? (c.higher_is_better ? "at or above" : "at or below")
                     : c.outcome == Outcome::fail ? (c.higher_is_better ? "below" : "above")
                                                  : "straddling";
  c.evidence = fmt::format("{}; {} the threshold {:.4g} {} ({})", measured, side, c.threshold->value, c.unit,
                           c.threshold->why);
}

Threshold stricter(const Check& c, const Threshold& a, const Threshold& b) {
  if (c.higher_is_better) return a.value >= b.value ? a : b;
  return a.value <= b.value ? a : b;
}

void require_threshold(Check& c, const Threshold& t) { c.threshold = c.threshold ? stricter(c, *c.threshold, t) : t; }

Json to_json(const Check& c) {
  Json j = {{"name", c.name}, {"host", c.host}, {"rank", c.rank}, {"unit", c.unit},
            {"higher_is_better", c.higher_is_better}, {"samples", c.samples}, {"verdict", to_string(c.outcome)},
            {"evidence", c.evidence}};
  j["repeats"] = c.samples.size();
  if (c.summary) {
    j["median"] = c.summary->median;
    j["ci_low"] = c.summary->ci_low;
    j["ci_high"] = c.summary->ci_high;
    j["confidence"] = c.summary->confidence;
    j["cv"] = c.summary->cv;
  }
  if (c.threshold) {
    j["threshold"] = c.threshold->value;
    j["threshold_from"] = c.threshold->from;
    j["threshold_why"] = c.threshold->why;
  }
  j["percentile"] = c.percentile ? Json(*c.percentile) : Json(nullptr);
  j["baseline"] = c.baseline ? Json(*c.baseline) : Json(nullptr);
  return j;
}


}  // namespace cairn::acceptance
