// The built `cairn bench`: bad flags are one line on stderr and exit 2; under
// `cairn launch -n 3` on UCX every collective checks clean, in the table and in JSON.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "common/text_file.h"

namespace {

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs argv without a shell, stdout and stderr to separate files.
Result run(const std::vector<std::string>& argv) {
  const auto dir = std::filesystem::temp_directory_path() / ("cairn_test_bench_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out").string(), err = (dir / "err").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(126);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = cairn::read_text_file(out, true);
  r.err = cairn::read_text_file(err, true);
  std::filesystem::remove_all(dir);
  return r;
}

std::vector<std::string> bench_args(std::vector<std::string> flags) {
  std::vector<std::string> argv = {kCairn, "bench"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

TEST(BenchCli, BadFlagsAreOneLineNamingTheFlagAndExit2) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-b", "12X"}, "-b '12X' is not a size"},
      {{"-e", "1TB"}, "-e '1TB'"},
      {{"--backend", "mpi"}, "--backend 'mpi'"},
      {{"--op", "sum"}, "-o/--redop"},
      {{"--op", "allreduce"}, "unknown collective 'allreduce'"},
      {{"-d", "int8"}, "int8"},
      {{"-o", "mulsum"}, "mulsum"},
      {{"-z", "2"}, "-z 2"},
      {{"-a", "4"}, "-a 4"},
      {{"-n", "0"}, "-n 0"},
      {{"-t", "2"}, "-t and -g must be 1"},
      {{"-b", "1M", "-e", "1K"}, "is larger than -e"},
      {{"-b", "0", "-e", "1K", "-f", "2"}, "-b 0 with -f"},
      {{"--iters", "many"}, "iters"},
      {{"--frobnicate"}, "frobnicate"},
  };
  for (const auto& [flags, needle] : cases) {
    const Result r = run(bench_args(flags));
    const std::string what = flags[0] + " " + (flags.size() > 1 ? flags[1] : "");
    EXPECT_EQ(r.code, 2) << what << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << what << ": " << r.out;
    ASSERT_FALSE(r.err.empty()) << what;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << what << ": not one line: " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << what << ": " << r.err;
  }
}

TEST(BenchCli, NcclBackendWithoutAGpuSaysSoAndExits2) {
  const Result r = run(bench_args({"--backend", "nccl", "-b", "8", "-e", "8"}));
  if (r.code == 0) GTEST_SKIP() << "a GPU is visible: the NCCL path ran (see test_bench_nccl)";
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find("--backend nccl"), std::string::npos) << r.err;
}

TEST(BenchCli, ThreeRanksUnderLaunchCheckCleanInTheNcclTestsTable) {
  // The brief's command, verbatim: all_reduce, 8 B to 1 MiB by 4.
  const Result r = run({kCairn, "launch", "-n", "3", "--no-prefix", "--", kCairn, "bench", "--backend", "ucx", "-b",
                        "8", "-e", "1M", "-f", "4", "-c", "1"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("# Collective test starting: all_reduce_perf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("#  Rank  2 Group  0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# Out of bounds values : 0 OK"), std::string::npos) << r.out;
  int rows = 0;
  std::size_t pos = 0;
  while ((pos = r.out.find("     float     sum      -1", pos)) != std::string::npos) ++rows, ++pos;
  EXPECT_EQ(rows, 9) << r.out;  // 8, 32, ..., 512K
}

TEST(BenchCli, EveryCollectiveUnderLaunchChecksCleanInJson) {
  const Result r = run({kCairn, "launch", "-n", "3", "--no-prefix", "--", kCairn, "bench", "--backend", "ucx", "-b",
                        "8", "-e", "1M", "-f", "4", "-c", "1", "--op", "all", "--json"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const cairn::Json doc = cairn::parse_json(r.out, "cairn bench --json");
  cairn::require_schema(doc, "cairn.bench", 2, "cairn bench --json");
  EXPECT_EQ(doc["nranks"], 3);
  EXPECT_EQ(doc["backend"], "ucx");
  ASSERT_EQ(doc["collectives"].size(), 7u);
  for (const auto& c : doc["collectives"]) {
    const std::string name = c["name"];
    EXPECT_EQ(c["out_of_bounds"], 0) << name;
    EXPECT_EQ(c["results"].size(), 9u) << name;
    for (const auto& row : c["results"]) {
      EXPECT_EQ(row["out_of_place"]["wrong"], 0) << name << " " << row["size"];
      if (name == "sendrecv") {
        EXPECT_TRUE(row["in_place"]["wrong"].is_null()) << name;  // N/A as in nccl-tests
      } else {
        EXPECT_EQ(row["in_place"]["wrong"], 0) << name << " " << row["size"];
      }
      EXPECT_GT(row["out_of_place"]["time_us"].get<double>(), 0) << name;
    }
  }
}

}  // namespace
