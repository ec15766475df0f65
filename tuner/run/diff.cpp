#include "tuner/run/diff.h"

#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace cairn::tuner {
namespace {

using CellId = std::tuple<std::string, std::string, std::size_t, int, int>;

CellId id_of(const ProfileCell& c) { return {c.collective, c.dtype, c.bytes, c.nnodes, c.nranks}; }

std::string describe(const ProfileCell& c) {
  return fmt::format("{} {} {} B, {} node(s) x {} ranks", c.collective, c.dtype, c.bytes, c.nnodes, c.nranks);
}

// What production gets from a cell: the winner's figure where one was declared.
double best_gb_s(const ProfileCell& c) {
  return c.tuned && c.tuned_figure ? c.tuned_figure->busbw_gb_s : c.default_figure.busbw_gb_s;
}

std::string choice_name(const ProfileCell& c) {
  if (!c.tuned) return "default";
  return c.tuned->key.empty() ? "tuned" : c.tuned->key;
}

}  // namespace

ProfileDiff diff_profiles(const Profile& a, const Profile& b, double threshold) {
  ProfileDiff d;
  if (a.backend != b.backend) d.context.push_back(fmt::format("backend: {} -> {}", a.backend, b.backend));
  if (a.nccl_version != b.nccl_version)
    d.context.push_back(fmt::format("NCCL version: {} -> {}", a.nccl_version, b.nccl_version));
  if (a.topology_hash != b.topology_hash)
    d.context.push_back(fmt::format("topology: {} -> {}", a.topology_hash, b.topology_hash));
  if (a.environment != b.environment) d.context.push_back("chosen environment (nccl.env) differs");

  std::map<CellId, const ProfileCell*> in_b;
  for (const ProfileCell& c : b.cells) in_b[id_of(c)] = &c;
  std::map<CellId, bool> seen;
  for (const ProfileCell& ca : a.cells) {
    auto it = in_b.find(id_of(ca));
    if (it == in_b.end()) {
      d.moved.push_back({describe(ca), best_gb_s(ca), 0, -1, "only in the first profile"});
      continue;
    }
    seen[id_of(ca)] = true;
    const ProfileCell& cb = *it->second;
    ++d.compared;
    CellChange ch{describe(ca), best_gb_s(ca), best_gb_s(cb), 0, ""};
    ch.change = ch.before_gb_s > 0 ? ch.after_gb_s / ch.before_gb_s - 1 : 0;
    if (choice_name(ca) != choice_name(cb)) ch.note = fmt::format("choice {} -> {}", choice_name(ca), choice_name(cb));
    if (std::fabs(ch.change) > threshold) {
      if (ch.change < 0) d.regressed = true;
      d.moved.push_back(ch);
    }
  }
  for (const ProfileCell& cb : b.cells)
    if (!seen.count(id_of(cb))) d.moved.push_back({describe(cb), 0, best_gb_s(cb), 0, "only in the second profile"});
  return d;
}

std::string format_diff(const ProfileDiff& d, const std::string& a_name, const std::string& b_name, double threshold) {
  std::string s = fmt::format("# cairn tune --diff {} {}: {} cells in both, {} moved more than {:.0f} %\n", a_name,
                              b_name, d.compared, d.moved.size(), threshold * 100);
  for (const std::string& c : d.context) s += fmt::format("# {}\n", c);
  if (d.moved.empty()) return s;
  s += fmt::format("{:<48} {:>12} {:>12} {:>9}  {}\n", "cell", "before GB/s", "after GB/s", "change", "note");
  for (const CellChange& c : d.moved) {
    const std::string change = c.note.starts_with("only in") ? "-" : fmt::format("{:+.1f} %", c.change * 100);
    s += fmt::format("{:<48} {:>12.2f} {:>12.2f} {:>9}  {}\n", c.cell, c.before_gb_s, c.after_gb_s, change, c.note);
  }
  return s;
}

}  // namespace cairn::tuner
