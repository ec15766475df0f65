#include "train/checkpoint_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/atomic_file.h"
#include "common/error.h"
#include "train/parameter_layout.h"
#include "common/output_dir.h"
#include "ft/checkpoint/async_checkpointer.h"
#include "ft/checkpoint/checkpoint_names.h"

namespace cairn::train {
namespace {

namespace fs = std::filesystem;

// Leftovers of writes that were killed: "NAME.tmp.PID" of a manifest or a shard, and
// shards of a step whose manifest never came (the manifest is written last).
bool is_unfinished_write(const std::string& name, const std::string& dir) {
  const auto step = ft::step_of_any(name);
  if (!step || (name.size() > 8 && name.compare(name.size() - 8, 8, ft::kDamagedSuffix) == 0)) return false;
  if (name.find(kAtomicTempInfix) != std::string::npos) return true;
  std::error_code ec;
  return ft::shard_step(name) && !fs::exists(ft::manifest_path(dir, *step), ec);
}

// Moves aside a damaged checkpoint: its manifest and every shard of its step.
std::string move_aside(const std::string& dir, const CheckpointFile& f) {
  std::error_code mv;
  const std::string aside = f.path + ft::kDamagedSuffix;
  fs::rename(f.path, aside, mv);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (ft::shard_step(name) == f.step) {
      std::error_code ignored;
      fs::rename(it->path(), it->path().string() + ft::kDamagedSuffix, ignored);
    }
  }
  return mv ? " (could not move it aside: " + mv.message() + ")" : " (moved aside to " + aside + ", with its shards)";
}

}  // namespace

void prepare_checkpoint_dir(const std::string& dir) { make_output_dir("--checkpoint-dir", dir); }

int count_damaged_checkpoints(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string suffix = ft::kDamagedSuffix;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        ft::manifest_step(name.substr(0, name.size() - suffix.size())))
      ++n;
  }
  return n;
}

std::string checkpoint_path(const std::string& dir, std::int64_t step) { return ft::manifest_path(dir, step); }

std::vector<CheckpointFile> list_checkpoints(const std::string& dir) {
  std::vector<CheckpointFile> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto step = ft::manifest_step(it->path().filename().string());
    if (step && it->is_regular_file(ec)) out.push_back({*step, it->path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::string save_checkpoint(const std::string& dir, const TrainConfig& cfg, const TrainState& state, int keep) {
  if (keep < 1) fail(dir, "must keep at least 1 checkpoint (got " + std::to_string(keep) + ")");
  prepare_checkpoint_dir(dir);
  const std::int64_t n = ParameterLayout(cfg.model).total_elements();
  const std::vector<float>* buffers[] = {&state.params, &state.m, &state.v};
  ft::SaveRequest r;
  r.step = state.step;
  r.total_elements = n;
  r.meta = checkpoint_meta(cfg);
  for (int i = 0; i < 3; ++i) {
    if (static_cast<std::int64_t>(buffers[i]->size()) != n)
      fail(checkpoint_path(dir, state.step), std::string("cannot checkpoint: ") + kStateSectionNames[i] + " holds " +
                                                 std::to_string(buffers[i]->size()) + " elements, the model's layout " +
                                                 std::to_string(n));
    r.buffers.push_back({kStateSectionNames[i], buffers[i]->data()});
  }
  ft::CheckpointerOptions o;
  o.dir = dir;
  o.keep = keep;
  ft::AsyncCheckpointer writer(o);
  writer.save(r);
  writer.wait();
  for (const auto& out : writer.take_outcomes())
    if (!out.committed) throw Error(out.error);
  return checkpoint_path(dir, state.step);
}

std::optional<ResumePoint> load_latest_checkpoint(const std::string& dir, const TrainConfig& cfg,
                                                  std::int64_t world_size, const SkipReport& report,
                                                  bool tidy) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; tidy && !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!is_unfinished_write(name, dir)) continue;
    std::error_code rm;
    fs::remove(it->path(), rm);
    if (report)
      report(it->path().string(),
             it->path().string() + ": an unfinished write (its writer was killed before the step's manifest); removed");
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
      if (tidy) why += move_aside(dir, *f) + "; trying the one before it";
      if (report) report(f->path, why);
    }
  }
  return std::nullopt;
}

}  // namespace cairn::train
