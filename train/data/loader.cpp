#include "train/data/loader.h"

#include <algorithm>

#include "common/error.h"

namespace cairn::train {

TokenBatch read_batch(const TokenShard& shard, const SequenceSampler& sampler,
                      const SamplerConfig& cfg, std::int64_t step) {
  TokenBatch b;
  b.step = step;
  b.batch = cfg.batch;
  b.seq_len = cfg.seq_len;
  const auto T = static_cast<std::size_t>(cfg.seq_len);
  b.inputs.resize(static_cast<std::size_t>(cfg.batch) * T);
  b.targets.resize(b.inputs.size());
  std::vector<std::int32_t> window(T + 1);
  for (std::int64_t r = 0; r < cfg.batch; ++r) {
    shard.read(sampler.window_start(step, r), T + 1, window.data());
    std::copy(window.begin(), window.end() - 1, b.inputs.begin() + static_cast<std::ptrdiff_t>(r * cfg.seq_len));
    std::copy(window.begin() + 1, window.end(), b.targets.begin() + static_cast<std::ptrdiff_t>(r * cfg.seq_len));
  }
  return b;
}

DataLoader::DataLoader(const TokenShard& shard, const SamplerConfig& cfg, std::int64_t first_step, int depth)
    : shard_(shard), cfg_(cfg), sampler_(cfg, shard.size()), depth_(depth < 1 ? 1 : depth),
      next_to_read_(first_step), thread_([this] { run(); }) {}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DataLoader::run() {
  for (;;) {
    std::int64_t step;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || static_cast<int>(ready_.size()) < depth_; });
      if (stop_) return;
      step = next_to_read_++;
    }
    try {
      TokenBatch b = read_batch(shard_, sampler_, cfg_, step);
      std::lock_guard<std::mutex> lock(mu_);
      ready_.push_back(std::move(b));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::current_exception();
      cv_.notify_all();
      return;
    }
    cv_.notify_all();
  }
}

TokenBatch DataLoader::next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !ready_.empty() || error_; });
  if (ready_.empty()) std::rethrow_exception(error_);
  TokenBatch b = std::move(ready_.front());
  ready_.pop_front();
  cv_.notify_all();
  return b;
}

}  // namespace cairn::train
