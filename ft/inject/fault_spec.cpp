#include "ft/inject/fault_spec.h"

#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "common/env_knobs.h"
#include "common/error.h"
#include "common/untrusted_text.h"

namespace cairn::ft {
namespace {

struct KindInfo {
  FaultKind kind;
  std::string_view name;
  std::set<std::string_view> required, optional;
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> k = {
      {FaultKind::slow_compute, "slow-compute", {"rank", "factor"}, {"from", "attempt"}},
      {FaultKind::slow_link, "slow-link", {"rank", "factor"}, {"from", "attempt"}},
      {FaultKind::bit_flip, "bitflip", {"rank", "step", "where", "bit"}, {"element", "attempt"}},
      {FaultKind::kill, "kill", {"rank", "step"}, {"attempt"}},
      {FaultKind::hang, "hang", {"rank", "step"}, {"attempt"}},
      {FaultKind::corrupt_checkpoint, "corrupt-checkpoint", {"step"}, {"attempt"}},
      {FaultKind::disk_full, "disk-full", {"step"}, {"attempt"}},
  };
  return k;
}

std::string kind_list() {
  std::string out;
  for (const auto& k : kinds()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

[[noreturn]] void bad(std::string_view text, const std::string& what) {
  throw Error(fmt::format("--inject {}: {}", quote_excerpt(text), what));
}

std::int64_t whole(std::string_view text, std::string_view key, std::string_view value, std::int64_t lo,
                   std::int64_t hi) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < lo || v > hi)
    bad(text, fmt::format("{}={} must be a whole number from {} to {}", key, quote_excerpt(value), lo, hi));
  return v;
}

double factor_of(std::string_view text, std::string_view value) {
  // from_chars for double: no locale, no leading '+' or spaces, the whole value.
  double v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v <= 1 || v > 1000)
    bad(text, fmt::format("factor={} must be a number above 1 and at most 1000 (1.25: 25 % slower)",
                          quote_excerpt(value)));
  return v;
}

}  // namespace

std::string_view to_string(FaultKind k) {
  for (const auto& info : kinds())
    if (info.kind == k) return info.name;
  return "?";
}

std::string_view to_string(FlipSite s) {
  switch (s) {
    case FlipSite::gradient: return "gradient";
    case FlipSite::transit: return "transit";
    case FlipSite::reduced: return "reduced";
  }
  return "?";
}

bool FaultSpec::applies(int on_rank, int in_attempt) const {
  if (attempt != kAnyAttempt && attempt != in_attempt) return false;
  return rank < 0 || rank == on_rank;
}

FaultSpec parse_fault_spec(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const KindInfo* info = nullptr;
  for (const auto& k : kinds())
    if (k.name == name) info = &k;
  if (!info) bad(text, "unknown fault " + quote_excerpt(name) + "; give one of " + kind_list() + " (KIND:key=value,...)");
  if (colon == std::string_view::npos) bad(text, fmt::format("{} needs its settings after ':' (docs/ft.md)", name));

  std::map<std::string_view, std::string_view> values;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size())
      bad(text, fmt::format("{} is not key=value", quote_excerpt(item)));
    const std::string_view key = item.substr(0, eq);
    if (!info->required.count(key) && !info->optional.count(key)) {
      std::string keys;
      for (const auto& set : {info->required, info->optional})
        for (auto k : set) keys += (keys.empty() ? "" : ", ") + std::string(k);
      bad(text, fmt::format("{} takes no key {}; its keys are {}", name, quote_excerpt(key), keys));
    }
    if (!values.emplace(key, item.substr(eq + 1)).second) bad(text, fmt::format("{} is given twice", key));
  }
  for (auto key : info->required)
    if (!values.count(key)) bad(text, fmt::format("{} needs {}=...", name, key));

  FaultSpec f;
  f.kind = info->kind;
  f.text = std::string(text);
  for (const auto& [key, value] : values) {
    if (key == "rank") f.rank = static_cast<int>(whole(text, key, value, 0, 1 << 30));
    else if (key == "step" || key == "from") f.step = whole(text, key, value, 0, std::int64_t{1} << 50);
    else if (key == "factor") f.factor = factor_of(text, value);
    else if (key == "bit") f.bit = static_cast<int>(whole(text, key, value, 0, 31));
    else if (key == "element") f.element = whole(text, key, value, 0, std::int64_t{1} << 50);
    else if (key == "attempt") f.attempt = value == "any" ? kAnyAttempt : static_cast<int>(whole(text, key, value, 0, 1 << 30));
    else if (key == "where") {
      if (value == "gradient") f.where = FlipSite::gradient;
      else if (value == "transit") f.where = FlipSite::transit;
      else if (value == "reduced") f.where = FlipSite::reduced;
      else bad(text, fmt::format("where={} must be gradient, transit or reduced", quote_excerpt(value)));
    }
  }
  if ((f.kind == FaultKind::slow_compute || f.kind == FaultKind::slow_link) && f.step < 0) f.step = 0;
  return f;
}

std::vector<FaultSpec> parse_fault_specs(const std::vector<std::string>& texts) {
  std::vector<FaultSpec> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(parse_fault_spec(t));
  return out;
}

void check_fault_ranks(const std::vector<FaultSpec>& faults, int world) {
  for (const auto& f : faults)
    if (f.rank >= world)
      throw Error(fmt::format("--inject {}: rank={} is not in a job of {} rank{}; name a rank from 0 to {}",
                              quote_excerpt(f.text), f.rank, world, world == 1 ? "" : "s", world - 1));
}

std::vector<FaultSpec> faults_for(const std::vector<FaultSpec>& faults, FaultKind kind, int rank) {
  std::vector<FaultSpec> out;
  const int attempt = current_attempt();
  for (const auto& f : faults)
    if (f.kind == kind && f.applies(rank, attempt)) out.push_back(f);
  return out;
}

int current_attempt() { return static_cast<int>(env::integer("CAIRN_RESTART").value_or(0)); }

}  // namespace cairn::ft
