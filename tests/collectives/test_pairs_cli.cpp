// The built `cairn pairs`: bad flags are one line on stderr and exit 2 before any rank
// waits for another; a lone rank is told it makes no pair; under `cairn launch -n 3` on
// UCX it measures the three pairs, prints the tables and writes the JSON report.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "common/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Result {
  int code = -1;
  std::string out, err;
};

class PairsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn_test_pairs_cli_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `words` is a command line of our own tokens (no quoting needed), run with a clean
  // environment so that no launcher variables of the test's own leak in.
  Result run(const std::string& words) {
    const std::string out = (dir_ / "out").string(), err = (dir_ / "err").string();
    const std::string line = "env -i PATH=/usr/bin:/bin " + words + " >" + out + " 2>" + err;
    const int status = std::system(line.c_str());
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text_file(out, true);
    r.err = read_text_file(err, true);
    return r;
  }

  const std::string cairn_ = std::string(CAIRN_BINARY_DIR) + "/bin/cairn";
  fs::path dir_;
};

TEST_F(PairsCli, BadFlagsAreOneLineNamingTheFlagAndExit2) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--threshold 2", "--threshold 2 is not a fraction"},
      {"--threshold 0", "--threshold 0 is not a fraction"},
      {"--expect-gb-s -3", "--expect-gb-s -3 must be a positive rate"},
      {"--bytes 4Q", "--bytes"},
      {"--bytes 0", "--bytes must be at least 1"},
      {"--iters 0", "--iters 0 must be at least 1"},
      {"--latency-iters 0", "--latency-iters 0"},
      {"--backend mpi", "--backend 'mpi' is not a backend: use ucx, nccl or auto"},
      {"--no-such-flag", "no-such-flag"},
  };
  for (const auto& [flags, want] : cases) {
    const Result r = run(cairn_ + " pairs " + flags);
    EXPECT_EQ(r.code, 2) << flags << "\n" << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << flags << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << flags << ": not one line: " << r.err;
  }
}

TEST_F(PairsCli, OneRankMakesNoPair) {
  const Result r = run(cairn_ + " pairs --backend ucx");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("make no pair: run at least two ranks"), std::string::npos) << r.err;
}

TEST_F(PairsCli, HelpListsTheFlags) {
  const Result r = run(cairn_ + " pairs --help");
  EXPECT_EQ(r.code, 0);
  for (const char* flag : {"--backend", "--bytes", "--iters", "--threshold", "--expect-gb-s", "--per-node", "--json",
                           "--output"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST_F(PairsCli, ThreeLocalRanksUnderCairnLaunch) {
  const std::string report = (dir_ / "pairs.json").string();
  // A generous threshold: three ranks on a shared, busy box are not a fabric to judge;
  // this checks the plumbing (launch, bootstrap, byes, gather, report), not the rates.
  const Result r = run(cairn_ + " launch -n 3 --no-prefix -- " + cairn_ +
                       " pairs --backend ucx --bytes 64K --iters 3 --latency-iters 5 --threshold 0.01 --output " +
                       report);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("# bandwidth GB/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 ranks"), std::string::npos) << r.out;
  const Json doc = read_json_file(report);
  require_schema(doc, "cairn.pairs", 2, report);
  EXPECT_EQ(doc["run"]["backend"], "ucx");
  EXPECT_EQ(doc["run"]["mode"], "ranks");
  EXPECT_EQ(doc["run"]["bytes"], 65536);
  ASSERT_EQ(doc["participants"].size(), 3u);
  ASSERT_EQ(doc["pairs"].size(), 3u);
  for (const auto& p : doc["pairs"]) {
    EXPECT_GT(p["bandwidth_gb_s"].get<double>(), 0) << p.dump();
    EXPECT_GT(p["latency_us"].get<double>(), 0) << p.dump();
  }
  EXPECT_TRUE(doc["healthy"].get<bool>());

  // --per-node on one host leaves one node: a clear error on every rank, exit 2.
  const Result one_node =
      run(cairn_ + " launch -n 2 --no-prefix -- " + cairn_ + " pairs --backend ucx --per-node --bytes 4K");
  EXPECT_EQ(one_node.code, 2) << one_node.err;
  EXPECT_NE(one_node.err.find("on at least two hosts"), std::string::npos) << one_node.err;
}

}  // namespace
}  // namespace cairn
