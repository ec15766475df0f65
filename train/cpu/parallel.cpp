#include "train/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/env_knobs.h"
#include "common/error.h"

namespace cairn::train::cpu {
namespace {

std::atomic<int> g_threads_override{0};

int default_threads() {
  if (auto n = env::integer("CAIRN_CPU_THREADS")) return static_cast<int>(*n);
  return std::max(1u, std::thread::hardware_concurrency());
}

// Below this much work a loop runs on the calling thread.
constexpr double kMinWorkPerThread = 2e5;

}  // namespace

int cpu_threads() {
  const int o = g_threads_override.load(std::memory_order_relaxed);
  if (o > 0) return o;
  static const int n = default_threads();
  return n;
}

void set_cpu_threads(int n) {
  if (n < 0) throw Error("set_cpu_threads: thread count must be >= 0, got " + std::to_string(n));
  g_threads_override.store(n, std::memory_order_relaxed);
}

void parallel_for(std::int64_t count, double work_per_item,
                  const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (count <= 0) return;
  const double total = static_cast<double>(count) * work_per_item;
  std::int64_t threads = std::min<std::int64_t>(cpu_threads(), count);
  threads = std::min<std::int64_t>(threads,
                                   std::max<std::int64_t>(1, static_cast<std::int64_t>(total / kMinWorkPerThread)));
  if (threads <= 1) {
    body(0, count);
    return;
  }
  const std::int64_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads - 1));
  for (std::int64_t t = 1; t < threads; ++t) {
    const std::int64_t b = t * chunk, e = std::min(count, b + chunk);
    if (b < e) workers.emplace_back([&body, b, e] { body(b, e); });
  }
  body(0, std::min(count, chunk));
  for (auto& w : workers) w.join();
}

}  // namespace cairn::train::cpu
