#include "ft/checkpoint/checkpoint_names.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace cairn::ft {
namespace {

constexpr const char* kPrefix = "step-";

bool all_digits(const std::string& s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "step-<digits>" then the rest; the step and where the rest starts.
std::optional<std::pair<std::int64_t, std::size_t>> leading_step(const std::string& name) {
  const std::string prefix = kPrefix;
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  std::size_t end = prefix.size();
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  const std::string digits = name.substr(prefix.size(), end - prefix.size());
  if (!all_digits(digits, 18)) return std::nullopt;
  return std::make_pair(static_cast<std::int64_t>(std::stoll(digits)), end);
}

std::string step_stem(std::int64_t step) {
  char stem[32];
  std::snprintf(stem, sizeof stem, "%s%08lld", kPrefix, static_cast<long long>(step));
  return stem;
}

}  // namespace

std::string manifest_path(const std::string& dir, std::int64_t step) {
  return (std::filesystem::path(dir) / (step_stem(step) + kManifestSuffix)).string();
}

std::string shard_file_name(std::int64_t step, int rank, int ranks) {
  return step_stem(step) + ".shard-" + std::to_string(rank) + "-of-" + std::to_string(ranks);
}

std::string shard_path(const std::string& dir, std::int64_t step, int rank, int ranks) {
  return (std::filesystem::path(dir) / shard_file_name(step, rank, ranks)).string();
}

std::optional<std::int64_t> manifest_step(const std::string& name) {
  const auto lead = leading_step(name);
  if (!lead || name.substr(lead->second) != kManifestSuffix) return std::nullopt;
  return lead->first;
}

std::optional<std::int64_t> shard_step(const std::string& name) {
  const auto lead = leading_step(name);
  if (!lead) return std::nullopt;
  const std::string rest = name.substr(lead->second);  // ".shard-R-of-N"
  const std::string tag = ".shard-";
  if (rest.rfind(tag, 0) != 0) return std::nullopt;
  const std::string ranks = rest.substr(tag.size());
  const auto of = ranks.find("-of-");
  if (of == std::string::npos || !all_digits(ranks.substr(0, of), 9) || !all_digits(ranks.substr(of + 4), 9))
    return std::nullopt;
  return lead->first;
}

std::optional<std::int64_t> step_of_any(const std::string& name) {
  std::string base = name;
  const std::string damaged = kDamagedSuffix;
  if (base.size() > damaged.size() && base.compare(base.size() - damaged.size(), damaged.size(), damaged) == 0)
    base.resize(base.size() - damaged.size());
  if (const auto tmp = base.find(".tmp."); tmp != std::string::npos) base.resize(tmp);
  if (const auto s = manifest_step(base)) return s;
  return shard_step(base);
}

}  // namespace cairn::ft
