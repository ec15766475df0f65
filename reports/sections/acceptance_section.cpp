#include <fmt/format.h>

#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

std::string reasons_of(const Json& reasons) {
  std::string out;
  for (const Json& r : reasons)
    if (r.is_string()) out += (out.empty() ? "" : "; ") + r.get<std::string>();
  return out;
}

Cell verdict_cell(const std::string& v) { return {v, verdict_tone(v)}; }

// "20.1 [19.8, 20.5] GB/s"
std::string median_text(const Json& c, const std::string& where, const std::string& unit) {
  const auto median = opt_number(c, "median", where), lo = opt_number(c, "ci_low", where),
             hi = opt_number(c, "ci_high", where);
  if (!median) return "-";
  std::string out = format_value(*median);
  if (lo && hi) out += fmt::format(" [{}, {}]", format_value(*lo), format_value(*hi));
  return unit.empty() ? out : out + " " + unit;
}

}  // namespace

Section acceptance_section(const Input& in) {
  Section s;
  const std::string verdict = req_string(in.doc, "verdict", in.path);
  s.title = "Acceptance verdict (cairn acceptance)";
  s.sources = {in.path};
  s.intro = "The verdict per node, per link and per check, with the evidence: a check's median over its repeats and "
            "its confidence interval against the threshold.";
  std::string hosts;
  for (const Json& h : opt_array(in.doc, "hosts", in.path))
    if (h.is_string()) hosts += (hosts.empty() ? "" : ", ") + h.get<std::string>();

  Table nodes{{"host", "rank", "verdict", "reasons"}, {}};
  int failed_nodes = 0;
  const std::size_t node_count = for_each_object(in.doc, "nodes", in.path, [&](const Json& n, const std::string& where) {
    const std::string v = opt_string(n, "verdict", where).value_or("?");
    failed_nodes += v == "fail";
    nodes.rows.push_back({{opt_string(n, "host", where).value_or("?")}, number_cell(opt_number(n, "rank", where)),
                          verdict_cell(v), {reasons_of(opt_array(n, "reasons", where))}});
  });
  Table links{{"link", "verdict", "evidence"}, {}};
  int failed_links = 0;
  const std::size_t link_count = for_each_object(in.doc, "links", in.path, [&](const Json& l, const std::string& where) {
    const std::string lv = opt_string(l, "verdict", where).value_or("?");
    failed_links += lv == "fail";
    links.rows.push_back({{opt_string(l, "a", where).value_or("?") + " <-> " + opt_string(l, "b", where).value_or("?")},
                          verdict_cell(lv),
                          {opt_string(l, "evidence", where).value_or("")}});
  });
  Table checks{{"check", "host", "median [CI]", "threshold", "CV", "repeats", "percentile", "baseline", "verdict",
                "evidence"},
               {}};
  int failed_checks = 0;
  const std::size_t check_count = for_each_object(in.doc, "checks", in.path, [&](const Json& c, const std::string& where) {
    const std::string unit = opt_string(c, "unit", where).value_or("");
    const std::string v = opt_string(c, "verdict", where).value_or("?");
    failed_checks += v == "fail";
    const auto threshold = opt_number(c, "threshold", where);
    const auto from = opt_string(c, "threshold_from", where);
    const bool higher = !c.contains("higher_is_better") || !c["higher_is_better"].is_boolean() ||
                        c["higher_is_better"].get<bool>();
    const auto cv = opt_number(c, "cv", where);
    checks.rows.push_back({{req_string(c, "name", where)},
                           {opt_string(c, "host", where).value_or("*")},
                           {median_text(c, where, unit), Tone::plain, true},
                           {threshold ? fmt::format("{} {}{}", higher ? ">=" : "<=", or_dash(threshold, unit),
                                                    from ? " (" + *from + ")" : "")
                                      : "-", Tone::plain, true},
                           {cv ? fmt::format("{:.1f} %", *cv * 100) : "-", Tone::plain, true},
                           number_cell(opt_number(c, "repeats", where)),
                           number_cell(opt_number(c, "percentile", where)),
                           number_cell(opt_number(c, "baseline", where)),
                           verdict_cell(v),
                           {opt_string(c, "evidence", where).value_or("")}});
  });
  Table isolation{{"check", "runs", "suspect", "evidence"}, {}};
  for_each_object(in.doc, "isolation", in.path, [&](const Json& r, const std::string& where) {
    isolation.rows.push_back({{opt_string(r, "check", where).value_or("?")}, number_cell(opt_number(r, "runs", where)),
                              {opt_string(r, "suspect", where).value_or("none"), Tone::bad},
                              {opt_string(r, "evidence", where).value_or("")}});
  });
  std::string text = verdict;
  if (!hosts.empty()) text += " (" + hosts + ")";
  text += fmt::format(": {} of {} node(s) failed, {} of {} link(s) failed, {} of {} check(s) failed", failed_nodes,
                      node_count, failed_links, link_count, failed_checks, check_count);
  s.findings.push_back({"verdict", text, verdict_tone(verdict)});
  for (Table* t : {&nodes, &links, &checks, &isolation})
    if (!t->rows.empty()) s.tables.push_back(std::move(*t));
  return s;
}

ExpectedRates acceptance_bench_rates(const Input& in) {
  ExpectedRates rates;
  for_each_object(in.doc, "checks", in.path, [&](const Json& c, const std::string& where) {
    const std::string name = opt_string(c, "name", where).value_or("");
    const auto threshold = opt_number(c, "threshold", where);
    if (name.rfind("bench.", 0) == 0 && threshold && opt_string(c, "unit", where).value_or("") == "GB/s")
      rates[name.substr(6)] = *threshold;
  });
  return rates;
}

}  // namespace cairn::reports
