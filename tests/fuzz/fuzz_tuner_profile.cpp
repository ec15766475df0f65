// libFuzzer target: the profile the NCCL tuner plugin reads (CAIRN_TUNER_PROFILE names a
// file anyone may have written). Bytes -> a profile file -> the plugin's init and a few
// getCollInfo calls, through the plugin's own implementation (tuner_context.h, linked
// statically, not the .so). Whatever the bytes: never a crash or a hang; init logs
// exactly one line (INFO with the rules, or one WARN); a call changes at most one
// cost-table entry, only to 0, and only one that NCCL had enabled; nChannels stays in
// [0, 64].
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/fuzz/fuzz_input_file.h"
#include "tuner/plugin/tuner_context.h"

namespace abi = cairn::tuner::nccl_abi;

// What the plugin finds as this process's NCCL (nccl.h ncclGetVersion); ENABLE_EXPORTS.
extern "C" int ncclGetVersion(int* version) {
  *version = 22809;
  return 0;
}

namespace {

int g_lines = 0;
void count_lines(abi::LogLevel, unsigned long, const char*, int, const char*, ...) { ++g_lines; }

const std::string& input_path() {
  static const std::string path = [] {
    const std::string dir = cairn::fuzz::input_path("tuner_profile", "");
    // An empty PCI tree: the seed's topology_hash (XXH64 of nothing) matches it.
    ::mkdir(dir.c_str(), 0700);
    ::mkdir((dir + "/sysfs").c_str(), 0700);
    ::mkdir((dir + "/sysfs/bus").c_str(), 0700);
    ::mkdir((dir + "/sysfs/bus/pci").c_str(), 0700);
    ::mkdir((dir + "/sysfs/bus/pci/devices").c_str(), 0700);
    ::setenv("CAIRN_TUNER_SYSFS_ROOT", (dir + "/sysfs").c_str(), 1);
    ::setenv("CAIRN_TUNER_PROFILE", (dir + "/profile.json").c_str(), 1);
    return dir + "/profile.json";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = input_path();
  cairn::fuzz::write_input(path, data, size);
  g_lines = 0;
  cairn::tuner::plugin::Context* ctx = cairn::tuner::plugin::open_context(8, 1, count_lines);
  if (!ctx || g_lines != 1) std::abort();
  // Sizes around the seed's cells and the edges of size_t; every function index NCCL has.
  static constexpr std::array<std::size_t, 9> kSizes = {0, 1, 1024, 2048, 2049, 16384, 65536, 1u << 30, SIZE_MAX};
  for (int func = -1; func <= 11; ++func)
    for (std::size_t bytes : kSizes) {
      std::array<float, 21> table;
      for (std::size_t i = 0; i < table.size(); ++i) table[i] = i % 4 == 3 ? -1.0f : 1.0f + static_cast<float>(i);
      const auto before = table;
      int nchannels = 0;
      cairn::tuner::plugin::decide(ctx, func, bytes, table.data(), 7, 3, &nchannels);
      int changed = 0;
      for (std::size_t i = 0; i < table.size(); ++i)
        if (table[i] != before[i]) {
          if (table[i] != 0.0f || before[i] < 0) std::abort();
          ++changed;
        }
      if (changed > 1 || nchannels < 0 || nchannels > 64) std::abort();
      int algo = -1, proto = -1;
      nchannels = 0;
      cairn::tuner::plugin::propose(ctx, func, bytes, &algo, &proto, &nchannels);
      if (algo < -1 || algo > 6 || proto < -1 || proto > 2 || (algo < 0) != (proto < 0)) std::abort();
    }
  cairn::tuner::plugin::close_context(ctx);
  return 0;
}
