#include "tuner/run/verify.h"

#include <fmt/format.h>

#include "tuner/run/session.h"

namespace cairn::tuner {

bool Verification::failed() const {
  for (const VerifiedCell& c : cells)
    if (c.slower) return true;
  return false;
}

Verification verify_profile_cells(CommMeasurer& measurer, const Profile& profile, int rounds, double coverage) {
  Verification v;
  Candidate dflt;
  dflt.key = "default";
  dflt.is_default = true;
  for (const ProfileCell& pc : profile.cells) {
    if (pc.nranks != measurer.nranks() || pc.nnodes != measurer.nnodes()) {
      ++v.skipped;
      continue;
    }
    Cell cell;
    cell.collective = pc.collective;
    cell.bytes = pc.bytes;
    cell.dtype = coll::parse_dtype(pc.dtype);
    const Candidate tuned = candidate_of(pc);
    VerifiedCell out;
    out.cell = cell;
    out.choice = tuned.key;
    if (tuned.is_default) {
      // The profile keeps the default here: nothing to compare, only its figure now.
      const Candidate* alone[] = {&dflt};
      const std::vector<std::vector<double>> t = measurer.measure(cell, alone, rounds);
      out.default_us = out.tuned_us = summarize(t[0]).median;
      out.kept_default = true;
    } else {
      const Candidate* both[] = {&dflt, &tuned};
      const std::vector<std::vector<double>> t = measurer.measure(cell, both, rounds);
      out.verdict = noise_rule(t[0], t[1], coverage);
      out.default_us = summarize(t[0]).median;
      out.tuned_us = summarize(t[1]).median;
      out.slower = out.verdict.speedup_high < 1.0;
    }
    out.default_gb_s = busbw_gb_s(cell, out.default_us, measurer.nranks());
    out.tuned_gb_s = busbw_gb_s(cell, out.tuned_us, measurer.nranks());
    v.cells.push_back(out);
  }
  return v;
}

std::string format_verification(const Verification& v, const std::string& profile_name) {
  std::string s = fmt::format("# cairn tune --verify {}: {} cell(s) measured, default vs tuned interleaved", profile_name,
                              v.cells.size());
  if (v.skipped) s += fmt::format(", {} cell(s) of another rank or node count skipped", v.skipped);
  s += "\n";
  s += fmt::format("# {:<15} {:>6} {:>12} {:>13} {:>13} {:>24}  {:<8} {}\n", "collective", "type", "size",
                   "default GB/s", "tuned GB/s", "speedup [interval]", "verdict", "choice");
  for (const VerifiedCell& c : v.cells) {
    const char* verdict = c.kept_default ? "default" : c.slower ? "SLOWER" : c.verdict.speedup_low > 1.0 ? "faster" : "same";
    s += fmt::format("  {:<15} {:>6} {:>12} {:>13.3f} {:>13.3f} {:>24}  {:<8} {}\n", c.cell.collective,
                     coll::to_string(c.cell.dtype), c.cell.bytes, c.default_gb_s, c.tuned_gb_s,
                     c.kept_default ? std::string("-")
                                    : fmt::format("{:.3f} [{:.3f}, {:.3f}]", c.verdict.speedup, c.verdict.speedup_low,
                                                  c.verdict.speedup_high),
                     verdict, c.choice);
  }
  return s;
}

}  // namespace cairn::tuner
