// Cairn's tuner plugin under the real NCCL on a GPU machine (label gpu; skips without a
// GPU): NCCL loads it by path and by name, a profile for this node applies at init with no
// warning, every kind of bad profile warns once and changes nothing (the collective still
// runs and checks clean), a user's NCCL_ALGO/NCCL_PROTO leave it working, and `cairn tune`
// on one GPU is refused. On one rank NCCL asks no tuner for a call (enqueue.cc,
// ncclLaunchOneRank): what a forced choice changes is the multi-GPU issue's to show.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "probe/cuda_devices.h"
#include "tests/hostile/hostile.h"
#include "tuner/profile/profile.h"
#include "tuner/profile/topology_hash.h"

namespace cairn::tuner {
namespace {

using hostile::Command;
using hostile::Outcome;
using hostile::Sandbox;

const std::string kPlugin = CAIRN_TUNER_PLUGIN_PATH;

// A profile of this node for one rank: every cell forces ring/LL on 2 channels.
Profile one_rank_profile(int nccl_version, const std::string& topology_hash) {
  Profile p;
  p.backend = "nccl";
  p.nccl_version = nccl_version;
  p.topology_hash = topology_hash;
  for (std::size_t bytes : {std::size_t{1} << 20, std::size_t{4} << 20}) {
    ProfileCell c;
    c.collective = "all_reduce";
    c.bytes = bytes;
    c.default_figure = {100, 10, 0.01, 12};
    c.tuned_figure = CellFigure{50, 20, 0.01, 12};
    Choice ch;
    ch.nccl_algorithm = NcclAlgo::ring;
    ch.nccl_protocol = NcclProto::ll;
    ch.channels = 2;
    ch.key = "nccl:ring/ll/ch2";
    c.tuned = ch;
    c.speedup = 2;
    c.speedup_low = 1.8;
    c.speedup_high = 2.2;
    p.cells.push_back(c);
  }
  return p;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The harness starts cairn in a clean environment; where the GPU machine finds the
// libraries cairn carries (UCX) must still reach it.
void forward_library_path(std::vector<std::string>& env) {
  for (const char* name : {"LD_LIBRARY_PATH", "UCX_MODULE_DIR"}) {
    const std::string prefix = std::string(name) + "=";
    const bool given = std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(prefix); });
    if (const char* v = std::getenv(name); v && !given) env.push_back(prefix + v);
  }
}

class PluginUnderNccl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (probe::visible_cuda_device_count() == 0) GTEST_SKIP() << "needs a GPU: NCCL loads tuner plugins at init";
  }
  // cairn bench through NCCL with the plugin and `env`; NCCL's log is on stdout.
  Outcome bench(std::vector<std::string> env) {
    forward_library_path(env);
    env.push_back("NCCL_DEBUG=INFO");
    env.push_back("NCCL_DEBUG_SUBSYS=INIT,TUNING");
    Command c;
    c.args = {"bench", "--backend", "nccl", "-b", "4M", "-e", "4M", "-n", "3", "-w", "1"};
    c.env = env;
    c.timeout = std::chrono::minutes(2);
    return hostile::run(box, c);
  }
  Sandbox box;
};

TEST_F(PluginUnderNccl, LoadsAppliesAProfileAndWarnsOnceForEachBadOne) {
  const std::string good = box.path("good.json");
  write_profile_file(one_rank_profile(coll::nccl_library_version(), node_topology_hash()), good);

  const Outcome by_path = bench({"NCCL_TUNER_PLUGIN=" + kPlugin, "CAIRN_TUNER_PROFILE=" + good});
  ASSERT_TRUE(hostile::succeeded(by_path)) << by_path.describe();
  EXPECT_GE(count(by_path.out, "Successfully loaded external tuner plugin"), 1) << by_path.out;
  EXPECT_GE(count(by_path.out, "rules for 1 ranks"), 1) << by_path.out;
  EXPECT_EQ(count(by_path.out, " WARN "), 0) << by_path.out;

  // By name, as nccl.env sets it: libnccl-tuner-cairn.so on the library path.
  const std::string dir = std::filesystem::path(kPlugin).parent_path().string();
  const char* ld = std::getenv("LD_LIBRARY_PATH");
  const Outcome by_name = bench({"NCCL_TUNER_PLUGIN=cairn", "CAIRN_TUNER_PROFILE=" + good,
                                 "LD_LIBRARY_PATH=" + dir + (ld ? ":" + std::string(ld) : "")});
  ASSERT_TRUE(hostile::succeeded(by_name)) << by_name.describe();
  EXPECT_GE(count(by_name.out, "rules for 1 ranks"), 1) << by_name.out;

  // The user's own NCCL_ALGO and NCCL_PROTO: still loads, still runs.
  const Outcome forced = bench({"NCCL_TUNER_PLUGIN=" + kPlugin, "CAIRN_TUNER_PROFILE=" + good, "NCCL_ALGO=Tree",
                                "NCCL_PROTO=Simple"});
  EXPECT_TRUE(hostile::succeeded(forced)) << forced.describe();

  // Each bad profile: one WARN naming it, and the collective runs (and checks) as without it.
  write_profile_file(one_rank_profile(coll::nccl_library_version(), "0000000000000000"), box.path("other-node.json"));
  write_profile_file(one_rank_profile(22000, node_topology_hash()), box.path("other-nccl.json"));
  const std::vector<std::string> bad = {box.path("other-node.json"), box.path("other-nccl.json"),
                                        box.write("torn.json", R"({"schema": "cairn.tune.profile", "cells": [)"),
                                        box.path("missing.json"), box.mkdir("a-directory")};
  for (const std::string& profile : bad) {
    const Outcome o = bench({"NCCL_TUNER_PLUGIN=" + kPlugin, "CAIRN_TUNER_PROFILE=" + profile});
    EXPECT_TRUE(hostile::succeeded(o)) << profile << ": " << o.describe();
    EXPECT_EQ(count(o.out, " WARN "), 1) << profile << ":\n" << o.out;
    EXPECT_GE(count(o.out, profile), 1) << profile << ":\n" << o.out;
  }
}

TEST_F(PluginUnderNccl, TuneOnOneGpuIsRefused) {
  Command c;
  c.args = {"tune", "--backend", "nccl", "-b", "1M", "-e", "1M", "--out", box.path("t")};
  forward_library_path(c.env);
  c.timeout = std::chrono::minutes(2);
  EXPECT_TRUE(hostile::refused(hostile::run(box, c), 2, "tune", {"one rank"}));
}

}  // namespace
}  // namespace cairn::tuner
