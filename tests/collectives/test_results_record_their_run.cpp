// Results describe themselves: `cairn bench --json` (cairn.bench v2) and `cairn pairs
// --json` (cairn.pairs v2) record the host backend's algorithm knobs in effect and the
// NCCL_*, UCX_* and Cairn knob variables they ran under (a secret as "(set)"), through
// the reports' to_json and through the built command.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/report.h"
#include "collectives/measure/pairs/analysis.h"
#include "common/env_knobs.h"
#include "common/json_io.h"
#include "common/text_file.h"

namespace cairn::coll {
namespace {

const env::Vars kVars = {{"NCCL_ALGO", "Ring"}, {"UCX_TLS", "tcp,self"}, {"CAIRN_SECRET", "hunter2"},
                         {"CAIRN_UCX_SPIN_US", "0"}, {"PATH", "/usr/bin"}};
const Json kRecorded = {
    {"CAIRN_SECRET", "(set)"}, {"CAIRN_UCX_SPIN_US", "0"}, {"NCCL_ALGO", "Ring"}, {"UCX_TLS", "tcp,self"}};

TEST(ResultsRecordTheirRun, DefaultAlgoConfigIsRecordedWithTheDefaultsFilledIn) {
  const Json algo = bench::host_algo_config_json(AlgoConfig{});
  EXPECT_EQ(algo, (Json{{"algorithm", "auto"}, {"chunk_bytes", 131072}, {"pipeline_depth", 2}, {"channels", 1}}))
      << algo.dump();
}

TEST(ResultsRecordTheirRun, BenchJsonCarriesAlgoConfigAndEnvironment) {
  bench::RunInfo info;
  info.backend = "ucx";
  info.algo = {Algorithm::ring, 65536, 4, 2};
  info.environment = env::recorded_environment(kVars);
  const Json doc = bench::to_json(info, {});
  require_schema(doc, "cairn.bench", 2, "test");
  EXPECT_EQ(doc["host_algo_config"],
            (Json{{"algorithm", "ring"}, {"chunk_bytes", 65536}, {"pipeline_depth", 4}, {"channels", 2}}));
  EXPECT_EQ(doc["environment"], kRecorded);
  EXPECT_EQ(doc.dump().find("hunter2"), std::string::npos);
}

TEST(ResultsRecordTheirRun, RunInfoTakesThisProcesssEnvironmentByDefault) {
  ::setenv("NCCL_PROTO", "Simple", 1);
  ::setenv("UCX_RNDV_THRESH", "8k", 1);
  bench::RunInfo info;
  ::unsetenv("NCCL_PROTO");
  ::unsetenv("UCX_RNDV_THRESH");
  EXPECT_EQ(info.environment.at("NCCL_PROTO"), "Simple");
  EXPECT_EQ(info.environment.at("UCX_RNDV_THRESH"), "8k");
  EXPECT_EQ(info.environment.count("PATH"), 0u);
}

TEST(ResultsRecordTheirRun, PairsJsonCarriesAlgoConfigAndEnvironment) {
  pairs::PairsMatrix m({{0, "a"}, {1, "b"}});
  m.set(0, 1, 10.0, 3.0);
  const pairs::FlagRule rule{0.5, {}};
  const Json doc = pairs::to_json(m, pairs::analyze(m, rule), rule, Json{{"backend", "ucx"}},
                                  AlgoConfig{Algorithm::tree, 0, 0, 3}, env::recorded_environment(kVars));
  require_schema(doc, "cairn.pairs", 2, "test");
  EXPECT_EQ(doc["host_algo_config"],
            (Json{{"algorithm", "tree"}, {"chunk_bytes", 131072}, {"pipeline_depth", 2}, {"channels", 3}}));
  EXPECT_EQ(doc["environment"], kRecorded);
  EXPECT_EQ(doc["run"]["backend"], "ucx");
}

// The built command on one rank: what its environment held is in its JSON.
TEST(ResultsRecordTheirRun, BuiltBenchRecordsItsEnvironment) {
  const auto dir = std::filesystem::temp_directory_path() / ("cairn_test_results_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out").string();
  const std::string cmd = "env NCCL_DEBUG=WARN UCX_WARN_UNUSED_ENV_VARS=n CAIRN_UCX_SPIN_US=3 " +
                          std::string(CAIRN_BINARY_DIR) +
                          "/bin/cairn bench --backend ucx -b 8 -e 64 -f 2 -n 2 -w 1 --json >'" + out + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string text = read_text_file(out, true);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(status, 0) << text;
  const Json doc = parse_json(text, "cairn bench --json");
  require_schema(doc, "cairn.bench", 2, "cairn bench --json");
  EXPECT_EQ(doc["environment"]["NCCL_DEBUG"], "WARN");
  EXPECT_EQ(doc["environment"]["UCX_WARN_UNUSED_ENV_VARS"], "n");
  EXPECT_EQ(doc["environment"]["CAIRN_UCX_SPIN_US"], "3");
  EXPECT_EQ(doc["host_algo_config"]["algorithm"], "auto");
}

}  // namespace
}  // namespace cairn::coll
