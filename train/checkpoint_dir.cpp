#include "train/checkpoint_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/output_dir.h"

namespace cairn::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "step-";
constexpr const char* kSuffix = ".ckpt";
constexpr const char* kDamagedSuffix = ".corrupt";

// The step of "step-<digits>.ckpt", or -1 for any other name.
std::int64_t step_of(const std::string& name) {
  const std::string prefix = kPrefix, suffix = kSuffix;
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(digits);
}

// Checkpoint files whose write was cut short: "step-N.ckpt.tmp.PID".
bool is_unfinished_write(const std::string& name) {
  const auto at = name.find(std::string(kSuffix) + kAtomicTempInfix);
  return at != std::string::npos && step_of(name.substr(0, at + std::string(kSuffix).size())) >= 0;
}

}  // namespace

void prepare_checkpoint_dir(const std::string& dir) { make_output_dir("--checkpoint-dir", dir); }

int count_damaged_checkpoints(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string suffix = kDamagedSuffix;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        step_of(name.substr(0, name.size() - suffix.size())) >= 0)
      ++n;
  }
  return n;
}

std::string checkpoint_path(const std::string& dir, std::int64_t step) {
  char name[40];
  std::snprintf(name, sizeof name, "%s%08lld%s", kPrefix, static_cast<long long>(step), kSuffix);
  return (fs::path(dir) / name).string();
}

std::vector<CheckpointFile> list_checkpoints(const std::string& dir) {
  std::vector<CheckpointFile> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::int64_t step = step_of(it->path().filename().string());
    if (step >= 0 && it->is_regular_file(ec)) out.push_back({step, it->path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::string save_checkpoint(const std::string& dir, const TrainConfig& cfg, const TrainState& state, int keep,
                            std::int64_t world_size) {
  if (keep < 1) fail(dir, "must keep at least 1 checkpoint (got " + std::to_string(keep) + ")");
  prepare_checkpoint_dir(dir);
  std::error_code ec;
  const std::string path = checkpoint_path(dir, state.step);
  write_checkpoint(path, cfg, state, world_size);
  // Only now, with the new one durable: drop the oldest beyond `keep`. Newer files than
  // this one are not counted (a resume moved any broken ones aside).
  std::vector<CheckpointFile> older;
  for (auto& f : list_checkpoints(dir))
    if (f.step < state.step) older.push_back(std::move(f));
  const auto keep_older = static_cast<std::size_t>(keep - 1);
  for (std::size_t i = 0; i + keep_older < older.size(); ++i) fs::remove(older[i].path, ec);
  return path;
}

std::optional<ResumePoint> load_latest_checkpoint(const std::string& dir, const TrainConfig& cfg,
                                                  std::int64_t world_size, const SkipReport& report,
                                                  bool tidy) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; tidy && !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_unfinished_write(name)) continue;
    std::error_code rm;
    fs::remove(it->path(), rm);
    if (report) report(it->path().string(), it->path().string() + ": an unfinished write (its writer was killed); removed");
  }
  auto files = list_checkpoints(dir);
  for (auto f = files.rbegin(); f != files.rend(); ++f) {
    try {
      ResumePoint r{f->path, read_checkpoint(f->path)};
      if (r.checkpoint.info.step != f->step)
        throw CorruptCheckpoint(f->path + ": not whole: its name says step " + std::to_string(f->step) +
                                " but its header holds step " + std::to_string(r.checkpoint.info.step) +
                                " (renamed or copied over)");
      require_resumable(r.checkpoint.info, cfg, world_size, f->path);
      return r;
    } catch (const CorruptCheckpoint& e) {
      std::string why = e.what();
      if (tidy) {
        const std::string aside = f->path + kDamagedSuffix;
        std::error_code mv;
        fs::rename(f->path, aside, mv);
        why += mv ? " (could not move it aside: " + mv.message() + ")" : " (moved aside to " + aside + ")";
        why += "; trying the one before it";
      }
      if (report) report(f->path, why);
    }
  }
  return std::nullopt;
}

}  // namespace cairn::train
