// libnccl-tuner-cairn.so as NCCL 2.28 loads and calls it (nccl_tuner_host.h): the four
// shapes, rules applied to the flat cost table, nChannels left at 0 without a rule,
// disabled entries skipped, every kind of unusable profile falling back with exactly one
// WARN, sweep mode, and two communicators' contexts at once. No GPU and no NCCL: this
// executable plays NCCL, including the ncclGetVersion the plugin looks up.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/tuner/nccl_tuner_host.h"
#include "tests/tuner/sample_profile.h"
#include "tuner/plugin/sweep_control.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/topology_hash.h"

namespace {
int g_nccl_version = 22809;
bool g_nccl_version_fails = false;
}  // namespace

// What the plugin finds through dlsym(RTLD_DEFAULT) in a process that runs NCCL
// (nccl.h: ncclResult_t ncclGetVersion(int*)); exported by ENABLE_EXPORTS.
extern "C" int ncclGetVersion(int* version) {
  if (g_nccl_version_fails) return 3;
  *version = g_nccl_version;
  return 0;
}

namespace cairn::test {
namespace {
namespace fs = std::filesystem;
using tuner::NcclAlgo;
using tuner::NcclProto;

constexpr int kAllReduce = 4, kAllGather = 2, kSendRecv = 5;
constexpr int kTree = 0, kRing = 1, kPat = 6;
constexpr int kLL = 0, kLL128 = 1, kSimple = 2;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class Plugin : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn_tuner_plugin_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    // A node with one H100 and one ConnectX-7: what the plugin hashes (CAIRN_TUNER_SYSFS_ROOT).
    for (auto [bdf, vendor, device, cls] : {std::tuple{"0000:17:00.0", "0x10de", "0x2330", "0x030200"},
                                            std::tuple{"0000:18:00.0", "0x15b3", "0x1021", "0x020700"}}) {
      const fs::path d = dir_ / "sysfs/bus/pci/devices" / bdf;
      write(d / "vendor", std::string(vendor) + "\n");
      write(d / "device", std::string(device) + "\n");
      write(d / "class", std::string(cls) + "\n");
      write(d / "numa_node", "0\n");
    }
    sysfs_ = (dir_ / "sysfs").string();
    hash_ = tuner::node_topology_hash(sysfs_);
    profile_path_ = (dir_ / "profile.json").string();
    tuner::write_profile_file(sample_profile(hash_), profile_path_);
    ::setenv("CAIRN_TUNER_SYSFS_ROOT", sysfs_.c_str(), 1);
    ::setenv("CAIRN_TUNER_PROFILE", profile_path_.c_str(), 1);
    g_nccl_version = 22809;
    g_nccl_version_fails = false;
    plugin_log().clear();
    ASSERT_NE(host_.lib(), nullptr) << dlerror();
  }
  void TearDown() override {
    ::unsetenv("CAIRN_TUNER_PROFILE");
    ::unsetenv("CAIRN_TUNER_SYSFS_ROOT");
    if (auto clear = reinterpret_cast<void (*)()>(dlsym(host_.lib(), CAIRN_TUNER_SWEEP_CLEAR_SYMBOL))) clear();
    fs::remove_all(dir_);
  }

  // One call as getAlgoInfo makes it: a fresh typical table, nChannels 0.
  struct Call {
    CostTable table;
    int nchannels = 0;
    abi::Result result;
  };
  Call call(int version, void* ctx, int func, std::size_t nbytes, CostTable table = typical_table()) {
    Call c{table, 0, abi::success};
    c.result = host_.coll_info(version, ctx, func, nbytes, c.table, &c.nchannels);
    return c;
  }

  fs::path dir_;
  std::string sysfs_, hash_, profile_path_;
  NcclTunerHost host_{CAIRN_TUNER_PLUGIN_PATH};
};

TEST_F(Plugin, ExportsEveryShapeAndNcclPicksV5) {
  for (int v : {5, 4, 3, 2}) {
    EXPECT_TRUE(host_.has(v)) << "ncclTunerPlugin_v" << v;
    EXPECT_STREQ(host_.name(v), "Cairn");
  }
  EXPECT_EQ(host_.version_nccl_picks(), 5);
  EXPECT_NE(dlsym(host_.lib(), CAIRN_TUNER_SWEEP_SET_SYMBOL), nullptr);
  // Nothing of Cairn's own code leaks out of the library.
  EXPECT_EQ(dlsym(host_.lib(), "_ZN5cairn4failERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES7_"), nullptr);
}

TEST_F(Plugin, RulesApplyInEveryShape) {
  for (int v : {5, 4, 3, 2}) {
    SCOPED_TRACE("tuner v" + std::to_string(v));
    plugin_log().clear();
    void* ctx = nullptr;
    ASSERT_EQ(host_.init(v, &ctx, 8, 1), abi::success);
    EXPECT_EQ(count_log(abi::log_warn), 0);
    ASSERT_EQ(count_log(abi::log_info), 1);
    EXPECT_NE(plugin_log()[0].text.find("3 rules for 8 ranks over 1 nodes"), std::string::npos) << plugin_log()[0].text;

    // 16 KiB: ring/LL128 with 4 channels. The entry becomes 0, the minimum.
    Call c = call(v, ctx, kAllReduce, 16384);
    EXPECT_EQ(c.result, abi::success);
    EXPECT_EQ(c.table.at(kRing, kLL128), 0.0f);
    EXPECT_EQ(c.table.pick(), std::pair(kRing, kLL128));
    EXPECT_EQ(c.nchannels, 4);
    // 1 KiB .. 2 KiB: tree/LL, channels left to NCCL (0, where NCCL's example forces 1).
    c = call(v, ctx, kAllReduce, 1500);
    EXPECT_EQ(c.table.pick(), std::pair(kTree, kLL));
    EXPECT_EQ(c.nchannels, 0);
    // all_gather is measured on 2 nodes only: no rule for this 1-node communicator.
    c = call(v, ctx, kAllGather, 65536);
    EXPECT_EQ(c.table.t, typical_table().t);
    // No rule: the default cell (4 KiB), the sparse gap, outside the range, send/recv.
    for (auto [func, bytes] : {std::pair{kAllReduce, 4096}, {kAllReduce, 200000}, {kAllReduce, 512},
                               {kAllReduce, 1 << 22}, {kSendRecv, 16384}}) {
      c = call(v, ctx, func, static_cast<std::size_t>(bytes));
      EXPECT_EQ(c.result, abi::success);
      EXPECT_EQ(c.table.t, typical_table().t) << func << " " << bytes;
      EXPECT_EQ(c.table.pick(), std::pair(kRing, kSimple));
      EXPECT_EQ(c.nchannels, 0) << func << " " << bytes;
    }
    EXPECT_EQ(host_.finalize(v, ctx), abi::success);
  }
}

TEST_F(Plugin, DisabledEntryIsSkippedWithOneLine) {
  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 8, 1), abi::success);
  // NCCL_PROTO=^LL128 (or LL128 unavailable): NCCL sets the entry to -1 (tuning.cc).
  CostTable no_ll128 = typical_table();
  for (int a = 0; a < 7; ++a) no_ll128.at(a, kLL128) = abi::kAlgoProtoIgnore;
  plugin_log().clear();
  for (int i = 0; i < 5; ++i) {
    Call c = call(5, ctx, kAllReduce, 16384, no_ll128);
    EXPECT_EQ(c.table.t, no_ll128.t);  // left as NCCL made it
    EXPECT_EQ(c.nchannels, 0);         // nor the rule's channels
  }
  ASSERT_EQ(plugin_log().size(), 1u);
  EXPECT_EQ(plugin_log()[0].level, abi::log_info);
  EXPECT_EQ(plugin_log()[0].flags, abi::kLogTuning);
  EXPECT_NE(plugin_log()[0].text.find("disabled in NCCL's cost table"), std::string::npos) << plugin_log()[0].text;
  host_.finalize(5, ctx);
}

TEST_F(Plugin, DecisionsAreLoggedOncePerCellAtInfoUnderTuning) {
  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 8, 1), abi::success);
  plugin_log().clear();
  for (int i = 0; i < 10; ++i) {
    call(5, ctx, kAllReduce, 16384);
    call(5, ctx, kAllReduce, 9000);  // the same cell (8193..16384)
    call(5, ctx, kAllReduce, 4096);  // default stays
    call(5, ctx, kAllReduce, 300000);  // sparse gap
  }
  ASSERT_EQ(plugin_log().size(), 3u);
  for (const auto& l : plugin_log()) {
    EXPECT_EQ(l.level, abi::log_info);
    EXPECT_EQ(l.flags, abi::kLogTuning);
    EXPECT_EQ(l.text.rfind("TUNER/Cairn: ", 0), 0u);
  }
  EXPECT_NE(plugin_log()[0].text.find("ring/ll128, 4 channels: applied"), std::string::npos) << plugin_log()[0].text;
  EXPECT_NE(plugin_log()[1].text.find("NCCL's default stays"), std::string::npos) << plugin_log()[1].text;
  EXPECT_NE(plugin_log()[2].text.find("NCCL decides"), std::string::npos) << plugin_log()[2].text;
  host_.finalize(5, ctx);
}

TEST_F(Plugin, NoProfileMeansNoRulesAndOneInfo) {
  ::unsetenv("CAIRN_TUNER_PROFILE");
  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 8, 1), abi::success);
  EXPECT_EQ(count_log(abi::log_warn), 0);
  ASSERT_EQ(plugin_log().size(), 1u);
  EXPECT_NE(plugin_log()[0].text.find("CAIRN_TUNER_PROFILE is not set"), std::string::npos);
  Call c = call(5, ctx, kAllReduce, 16384);
  EXPECT_EQ(c.table.t, typical_table().t);
  EXPECT_EQ(c.nchannels, 0);
  host_.finalize(5, ctx);
}

// Each kind of profile the plugin must not apply: init succeeds, exactly one WARN a
// process names the file and the reason, and getCollInfo leaves NCCL's table alone.
class PluginUnusable : public Plugin {
 public:
  std::string& path() { return profile_path_; }
  std::string& sysfs() { return sysfs_; }
  std::string& hash() { return hash_; }
};

TEST_F(PluginUnusable, EveryKindFallsBackWithOneWarn) {
  auto write_profile = [](PluginUnusable* t, const std::function<void(tuner::Profile&)>& change) {
    tuner::Profile p = sample_profile(t->hash());
    change(p);
    tuner::write_profile_file(p, t->path());
  };
  auto write_json = [](PluginUnusable* t, const std::function<void(Json&)>& change) {
    Json doc = tuner::profile_to_json(sample_profile(t->hash()));
    change(doc);
    std::ofstream(t->path()) << doc.dump();
  };
  const std::vector<std::tuple<const char*, std::function<void(PluginUnusable*)>, const char*, std::size_t, std::size_t>>
      cases = {
          {"missing", [](PluginUnusable* t) { fs::remove(t->path()); }, "no such file", 8, 1},
          {"directory", [](PluginUnusable* t) { fs::remove(t->path()); fs::create_directory(t->path()); },
           "not a regular file", 8, 1},
          {"empty", [](PluginUnusable* t) { std::ofstream(t->path()) << ""; }, "empty", 8, 1},
          {"FIFO (would block NCCL's init)", [](PluginUnusable* t) { fs::remove(t->path()); ::mkfifo(t->path().c_str(), 0600); },
           "not a regular file", 8, 1},
          {"malformed JSON", [](PluginUnusable* t) { std::ofstream(t->path()) << "{\"schema\": "; }, "malformed JSON", 8, 1},
          {"malformed field", [&](PluginUnusable* t) { write_json(t, [](Json& j) { j["cells"][0]["bytes"] = -1; }); },
           "cells[0].bytes", 8, 1},
          {"wrong schema", [&](PluginUnusable* t) { write_json(t, [](Json& j) { j["schema"] = "cairn.bench"; }); },
           "cairn.tune.profile", 8, 1},
          {"ucx profile", [&](PluginUnusable* t) {
             write_profile(t, [](tuner::Profile& p) { p.backend = "ucx"; p.nccl_version = 0;
               for (auto& c : p.cells) c.tuned.reset(), c.tuned_figure.reset(); });
           }, "is a ucx profile", 8, 1},
          {"other nranks", [](PluginUnusable*) {}, "measured on 8 ranks over 1 nodes; this communicator has 16 ranks", 16, 1},
          {"other nnodes", [](PluginUnusable*) {}, "this communicator has 8 ranks over 2 nodes", 8, 2},
          {"other NCCL version", [&](PluginUnusable* t) { write_profile(t, [](tuner::Profile& p) { p.nccl_version = 22703; }); },
           "measured with NCCL 22703, this process runs NCCL 22809", 8, 1},
          {"NCCL version unreadable", [](PluginUnusable*) { g_nccl_version_fails = true; },
           "NCCL version cannot be read", 8, 1},
          {"other topology", [&](PluginUnusable* t) { write_profile(t, [](tuner::Profile& p) { p.topology_hash = "00000000deadbeef"; }); },
           "measured on node topology 00000000deadbeef", 8, 1},
          {"sysfs unreadable", [](PluginUnusable* t) { ::setenv("CAIRN_TUNER_SYSFS_ROOT", (t->sysfs() + "/nope").c_str(), 1); },
           "cannot check this node's topology: ", 8, 1},
      };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [what, arrange, reason, nranks, nnodes] = cases[i];
    SCOPED_TRACE(what);
    TearDown();
    SetUp();
    // A file of its own: the plugin warns once a process for each message, and two cases
    // (a directory, a FIFO) would otherwise give the same one.
    profile_path_ = (dir_ / ("profile-" + std::to_string(i) + ".json")).string();
    tuner::write_profile_file(sample_profile(hash_), profile_path_);
    ::setenv("CAIRN_TUNER_PROFILE", profile_path_.c_str(), 1);
    arrange(this);
    for (int v : {5, 4, 3, 2}) {
      plugin_log().clear();
      void* ctx = nullptr;
      ASSERT_EQ(host_.init(v, &ctx, nranks, nnodes), abi::success);
      // One WARN a process: the first init warns, the later ones (other communicators)
      // log the same line at INFO, saying it was warned before.
      const bool first = v == 5;
      ASSERT_EQ(count_log(abi::log_warn), first ? 1 : 0) << "v" << v;
      ASSERT_EQ(plugin_log().size(), 1u);
      const std::string& warn = plugin_log()[0].text;
      EXPECT_EQ(warn.find("warned before") != std::string::npos, !first) << warn;
      EXPECT_NE(warn.find(profile_path_), std::string::npos) << warn;
      EXPECT_NE(warn.find(reason), std::string::npos) << warn;
      EXPECT_NE(warn.find("NCCL's own choices stand"), std::string::npos) << warn;
      EXPECT_EQ(warn.find('\n'), std::string::npos);
      for (std::size_t bytes : {1024u, 16384u, 1u << 20}) {
        Call c = call(v, ctx, kAllReduce, bytes);
        EXPECT_EQ(c.result, abi::success);
        EXPECT_EQ(c.table.t, typical_table().t);
        EXPECT_EQ(c.nchannels, 0);
      }
      EXPECT_EQ(plugin_log().size(), 1u) << "no more lines after the warning";
      EXPECT_EQ(host_.finalize(v, ctx), abi::success);
    }
  }
}

TEST_F(Plugin, SweepModeOverridesTheProfile) {
  // The runner opens the library NCCL loaded: the same path gives the same handle.
  void* same = dlopen(CAIRN_TUNER_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_EQ(same, host_.lib());
  auto set = reinterpret_cast<int (*)(int, int, int, int)>(dlsym(same, CAIRN_TUNER_SWEEP_SET_SYMBOL));
  auto clear = reinterpret_cast<void (*)()>(dlsym(same, CAIRN_TUNER_SWEEP_CLEAR_SYMBOL));
  auto counts = reinterpret_cast<void (*)(long*, long*)>(dlsym(same, CAIRN_TUNER_SWEEP_COUNTS_SYMBOL));
  ASSERT_TRUE(set && clear && counts);

  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 8, 1), abi::success);
  ASSERT_EQ(set(kAllReduce, kPat, kSimple, 2), 0);
  for (std::size_t bytes : {1024u, 16384u, 77777u}) {  // over the profile's rules and between them
    Call c = call(5, ctx, kAllReduce, bytes);
    EXPECT_EQ(c.table.pick(), std::pair(kPat, kSimple));
    EXPECT_EQ(c.nchannels, 2);
  }
  Call other = call(5, ctx, kAllGather, 65536);  // the choice covers all_reduce only
  EXPECT_EQ(other.table.t, typical_table().t);
  long applied = -1, refused = -1;
  counts(&applied, &refused);
  EXPECT_EQ(applied, 3);
  EXPECT_EQ(refused, 0);

  // A forced entry NCCL disabled is refused and counted; the table stays NCCL's.
  ASSERT_EQ(set(-1, 4 /* nvls */, kSimple, 0), 0);
  Call c = call(5, ctx, kAllGather, 65536);
  EXPECT_EQ(c.table.t, typical_table().t);
  counts(&applied, &refused);
  EXPECT_EQ(applied, 0);
  EXPECT_EQ(refused, 1);

  // Channels only: NCCL's algorithm and protocol, the sweep's channels.
  ASSERT_EQ(set(-1, -1, -1, 8), 0);
  c = call(5, ctx, kAllReduce, 16384);
  EXPECT_EQ(c.table.t, typical_table().t);
  EXPECT_EQ(c.nchannels, 8);

  // Out of range: refused, nothing changes.
  EXPECT_EQ(set(kAllReduce, 7, 0, 0), -1);
  EXPECT_EQ(set(kAllReduce, kRing, -1, 0), -1);
  EXPECT_EQ(set(kAllReduce, kRing, kSimple, 65), -1);
  EXPECT_EQ(set(9, kRing, kSimple, 0), -1);
  EXPECT_EQ(set(kAllReduce, -1, -1, 0), -1);

  // Cleared: the profile again.
  clear();
  c = call(5, ctx, kAllReduce, 16384);
  EXPECT_EQ(c.table.pick(), std::pair(kRing, kLL128));
  EXPECT_EQ(c.nchannels, 4);
  host_.finalize(5, ctx);
  dlclose(same);
}

TEST_F(Plugin, SweepWorksWithoutAProfile) {
  ::unsetenv("CAIRN_TUNER_PROFILE");
  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 2, 1), abi::success);
  auto set = reinterpret_cast<int (*)(int, int, int, int)>(dlsym(host_.lib(), CAIRN_TUNER_SWEEP_SET_SYMBOL));
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set(kAllReduce, kTree, kLL128, 0), 0);
  Call c = call(5, ctx, kAllReduce, 1 << 20);
  EXPECT_EQ(c.table.pick(), std::pair(kTree, kLL128));
  EXPECT_EQ(c.nchannels, 0);
  host_.finalize(5, ctx);
}

TEST_F(Plugin, TwoCommunicatorsHaveTheirOwnContexts) {
  void* a = nullptr;
  void* b = nullptr;
  void* a2 = nullptr;
  ASSERT_EQ(host_.init(5, &a, 8, 1), abi::success);
  ASSERT_EQ(host_.init(5, &b, 16, 2), abi::success);  // another scale: one WARN, no rules
  EXPECT_EQ(count_log(abi::log_warn), 1);
  ASSERT_EQ(host_.init(5, &a2, 8, 1), abi::success);
  ASSERT_NE(a, b);
  ASSERT_NE(a, a2);
  plugin_log().clear();
  Call ca = call(5, a, kAllReduce, 16384);
  Call cb = call(5, b, kAllReduce, 16384);
  Call ca2 = call(5, a2, kAllReduce, 16384);
  EXPECT_EQ(ca.table.pick(), std::pair(kRing, kLL128));
  EXPECT_EQ(cb.table.t, typical_table().t);
  EXPECT_EQ(ca2.table.pick(), std::pair(kRing, kLL128));
  EXPECT_EQ(plugin_log().size(), 2u);  // each 8-rank context logs its own first decision
  EXPECT_EQ(host_.finalize(5, a), abi::success);
  Call again = call(5, a2, kAllReduce, 1024);  // a's finalize left a2 alone
  EXPECT_EQ(again.table.pick(), std::pair(kTree, kLL));
  EXPECT_EQ(host_.finalize(5, b), abi::success);
  EXPECT_EQ(host_.finalize(5, a2), abi::success);
}

TEST_F(Plugin, BadArgumentsFromTheCallerAreHarmless) {
  void* ctx = nullptr;
  ASSERT_EQ(host_.init(5, &ctx, 8, 1), abi::success);
  auto* v5 = static_cast<const abi::TunerV5*>(host_.symbol(5));
  int nch = 0;
  EXPECT_EQ(v5->getCollInfo(ctx, kAllReduce, 16384, 1, nullptr, 7, 3, 0, &nch), abi::success);
  EXPECT_EQ(nch, 0);
  CostTable small = typical_table();
  // A 2x3 table (a future NCCL with fewer algorithms): ring/LL128 is inside, used.
  EXPECT_EQ(v5->getCollInfo(ctx, kAllReduce, 16384, 1, small.as_nccl_passes_it(), 2, 3, 0, &nch), abi::success);
  EXPECT_EQ(small.at(kRing, kLL128), 0.0f);
  // A 1x3 table: the rule's ring row is outside it; nothing is written.
  CostTable tiny = typical_table();
  EXPECT_EQ(v5->getCollInfo(ctx, kAllReduce, 16384, 1, tiny.as_nccl_passes_it(), 1, 3, 0, &nch), abi::success);
  EXPECT_EQ(tiny.t, typical_table().t);
  EXPECT_EQ(v5->getCollInfo(nullptr, kAllReduce, 16384, 1, tiny.as_nccl_passes_it(), 7, 3, 0, &nch), abi::success);
  EXPECT_EQ(v5->finalize(nullptr), abi::success);
  host_.finalize(5, ctx);
}

}  // namespace
}  // namespace cairn::test
