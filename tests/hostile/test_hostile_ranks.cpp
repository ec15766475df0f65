// Hostile cases of a job's ranks failing under it: which rank a timeout blames.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Field 3 of /proc/PID/stat ('T': stopped), 0 when there is no such process.
char process_state(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

// The launcher's children by the RANK their environment gives them.
std::map<int, pid_t> ranks_of(pid_t launcher) {
  std::map<int, pid_t> ranks;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = slurp(e.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state;
    pid_t ppid = 0;
    if (!(fields >> state >> ppid) || ppid != launcher) continue;
    std::istringstream env(slurp(e.path().string() + "/environ"));
    for (std::string var; std::getline(env, var, '\0');)
      if (var.rfind("RANK=", 0) == 0) ranks[std::stoi(var.substr(5))] = static_cast<pid_t>(std::stol(name));
  }
  return ranks;
}

// A ring passes a stall along: the rank a timed-out rank waits on may itself be waiting
// on the one that stopped. Whichever rank stops, that one is named.
TEST(HostileRanks, ATimeoutNamesTheRankThatWasStopped) {
  for (int stopped = 0; stopped < 3; ++stopped) {
    Sandbox box;
    const std::string out = box.path("out");
    Running job = start(box, {.args = {"launch", "-n", "3", "--grace-s", "0.2", "--", cairn_binary(), "bench",
                                       "--backend", "ucx", "-T", "1", "-b", "8", "-e", "8", "-n", "1000000", "-w",
                                       "0", "-c", "0", "-z", "1"},
                              .stdout_path = out,
                              .timeout = 20s});
    // Rank 0 prints the table's header once every rank is connected and measuring.
    const auto give_up = std::chrono::steady_clock::now() + 15s;
    while (slurp(out).find("# Collective test starting") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(10ms);
    const std::map<int, pid_t> ranks = ranks_of(job.pid());
    if (ranks.size() != 3u) {
      job.signal(SIGTERM);  // the launcher stops its ranks, which are in groups of their own
      FAIL() << "the ranks of the launch are not all running: " << job.wait().describe();
    }
    const pid_t victim = ranks.at(stopped);
    ASSERT_EQ(::kill(victim, SIGSTOP), 0);
    const Outcome o = job.wait();
    // Had the launcher not killed it, the stopped rank would stay stopped for good.
    if (process_state(victim) == 'T') ::kill(victim, SIGKILL);
    ASSERT_TRUE(ended_cleanly(o));
    EXPECT_NE(o.exit_code, 0);
    const std::string blame = "rank " + std::to_string(stopped) + " is stopped";
    int timeouts = 0;
    std::istringstream lines(o.err);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("timed out") == std::string::npos) continue;
      ++timeouts;
      EXPECT_NE(line.find(blame), std::string::npos) << "stopped rank " << stopped << ": " << line;
    }
    EXPECT_GT(timeouts, 0) << o.describe();
  }
}

}  // namespace
}  // namespace cairn::hostile
