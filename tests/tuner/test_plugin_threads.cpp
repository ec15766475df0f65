// libnccl-tuner-cairn.so under concurrent calls: several threads asking one context (and
// one each) while another flips sweep mode, as `cairn tune` does beside NCCL's enqueue
// threads. Each answer is whole (the profile's rule or the sweep's choice, never half of
// each) and each first-time log line appears once. Run under TSan by CI (label threaded).
#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/tuner/nccl_tuner_host.h"
#include "tests/tuner/sample_profile.h"
#include "tuner/plugin/sweep_control.h"
#include "tuner/profile/profile.h"

extern "C" int ncclGetVersion(int* version) {
  *version = 22809;
  return 0;
}

namespace cairn::test {
namespace {
namespace fs = std::filesystem;

std::mutex g_log_mutex;
std::vector<std::string> g_lines;
void locked_log(abi::LogLevel, unsigned long, const char*, int, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_lines.push_back(buf);
}

TEST(PluginThreads, AnswersStayWholeUnderConcurrentSweeps) {
  const fs::path dir = fs::temp_directory_path() / ("cairn_tuner_threads_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sysfs/bus/pci/devices");  // an empty PCI tree
  tuner::write_profile_file(sample_profile("ef46db3751d8e999"), (dir / "profile.json").string());
  ::setenv("CAIRN_TUNER_SYSFS_ROOT", (dir / "sysfs").c_str(), 1);
  ::setenv("CAIRN_TUNER_PROFILE", (dir / "profile.json").c_str(), 1);

  NcclTunerHost host(CAIRN_TUNER_PLUGIN_PATH);
  ASSERT_NE(host.lib(), nullptr);
  auto* v5 = static_cast<const abi::TunerV5*>(host.symbol(5));
  auto set = reinterpret_cast<int (*)(int, int, int, int)>(dlsym(host.lib(), CAIRN_TUNER_SWEEP_SET_SYMBOL));
  auto clear = reinterpret_cast<void (*)()>(dlsym(host.lib(), CAIRN_TUNER_SWEEP_CLEAR_SYMBOL));
  void* shared = nullptr;
  ASSERT_EQ(v5->init(&shared, 1, 8, 1, locked_log, nullptr, nullptr), abi::success);

  std::atomic<bool> stop{false};
  std::atomic<long> torn{0}, profile_answers{0}, sweep_answers{0};
  auto worker = [&](void* ctx) {
    for (int i = 0; i < 20000; ++i) {
      CostTable t = typical_table();
      int nch = 0;
      v5->getCollInfo(ctx, 4, 16384, 1, t.as_nccl_passes_it(), 7, 3, 0, &nch);
      const auto pick = t.pick();
      if (pick == std::pair(1, 1) && nch == 4) ++profile_answers;     // the rule: ring/LL128, 4 channels
      else if (pick == std::pair(6, 2) && nch == 2) ++sweep_answers;  // the sweep: PAT/Simple, 2 channels
      else ++torn;
    }
  };
  std::thread flipper([&] {
    while (!stop) {
      set(-1, 6, 2, 2);
      std::this_thread::yield();
      clear();
    }
  });
  std::vector<std::thread> threads;
  std::vector<void*> own(2, nullptr);
  for (auto& c : own) ASSERT_EQ(v5->init(&c, 1, 8, 1, locked_log, nullptr, nullptr), abi::success);
  for (int i = 0; i < 3; ++i) threads.emplace_back(worker, shared);
  for (void* c : own) threads.emplace_back(worker, c);
  for (auto& t : threads) t.join();
  stop = true;
  flipper.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(profile_answers.load() + sweep_answers.load(), 0);

  // One "applied" line per context for the 16 KiB cell, however many threads raced to it.
  int applied = 0;
  for (const auto& l : g_lines) applied += l.find("ring/ll128, 4 channels: applied") != std::string::npos;
  EXPECT_LE(applied, 3);
  EXPECT_GE(applied, profile_answers.load() > 0 ? 1 : 0);
  for (void* c : own) v5->finalize(c);
  v5->finalize(shared);
  ::unsetenv("CAIRN_TUNER_PROFILE");
  ::unsetenv("CAIRN_TUNER_SYSFS_ROOT");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn::test
