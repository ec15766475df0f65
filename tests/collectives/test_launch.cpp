// The built `cairn launch`: ranks get their environment and a working rendezvous, output
// is prefixed, a failing rank stops the job and its exit code and name come back, signals
// are forwarded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv (no shell involved in our own quoting), capturing both streams.
Result run(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(126);
  }
  ::close(pipefd[1]);
  Result r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(CairnLaunch, RunsNRanksWithTheirEnvironmentAndPrefixes) {
  const Result r = run({kCairn, "launch", "-n", "3", "--", "/bin/sh", "-c",
                        "echo $RANK/$WORLD_SIZE/$LOCAL_RANK $MASTER_ADDR; echo err$CAIRN_RANK >&2"});
  EXPECT_EQ(r.code, 0) << r.output;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(contains(r.output, "[rank " + std::to_string(i) + "] " + std::to_string(i) + "/3/" +
                                       std::to_string(i) + " 127.0.0.1\n"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "[rank " + std::to_string(i) + "] err" + std::to_string(i) + "\n")) << r.output;
  }
}

TEST(CairnLaunch, RanksRendezvousThroughTheStore) {
  const Result r = run({kCairn, "launch", "-n", "4", "--", LAUNCH_RANK_HELPER});
  EXPECT_EQ(r.code, 0) << r.output;
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(contains(r.output, "[rank " + std::to_string(i) + "] rank " + std::to_string(i) +
                                       " of 4 via cairn: sum 6"))
        << r.output;
}

// Two `cairn launch` processes as two nodes of one job, as a Kubernetes Indexed Job runs
// them (deploy/kubernetes).
TEST(CairnLaunch, TwoNodesFormOneJob) {
  int port;
  {
    // A port free a moment ago.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  auto node = [&](int k) {
    return std::async(std::launch::async, [=] {
      return run({"/usr/bin/env", "CAIRN_SECRET=two-node-test", kCairn, "launch", "-n", "2", "--nnodes", "2",
                  "--node-rank", std::to_string(k), "--master-addr", "localhost", "--master-port",
                  std::to_string(port), "--", LAUNCH_RANK_HELPER});
    });
  };
  auto node0 = node(0), node1 = node(1);
  const Result r0 = node0.get(), r1 = node1.get();
  EXPECT_EQ(r0.code, 0) << r0.output;
  EXPECT_EQ(r1.code, 0) << r1.output;
  EXPECT_TRUE(contains(r0.output, "[rank 1] rank 1 of 4 via cairn: sum 6")) << r0.output;
  EXPECT_TRUE(contains(r1.output, "[rank 3] rank 3 of 4 via cairn: sum 6")) << r1.output;
  // Without a shared secret a node refuses to start.
  const Result lone = run({"/usr/bin/env", "-u", "CAIRN_SECRET", kCairn, "launch", "-n", "2", "--nnodes", "2", "--node-rank", "1", "--master-addr",
                           "localhost", "--master-port", "29500", "--", "/bin/true"});
  EXPECT_EQ(lone.code, 2);
  EXPECT_TRUE(contains(lone.output, "export the same CAIRN_SECRET on every node")) << lone.output;
}

TEST(CairnLaunch, NoPrefixPassesOutputThrough) {
  const Result r = run({kCairn, "launch", "-n", "2", "--no-prefix", "--", "/bin/sh", "-c", "echo plain$RANK"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(contains(r.output, "plain0\n") && contains(r.output, "plain1\n")) << r.output;
  EXPECT_FALSE(contains(r.output, "[rank")) << r.output;
}

TEST(CairnLaunch, AFailingRankStopsTheRestAndItsCodeComesBack) {
  const auto t0 = Clock::now();
  const Result r = run({kCairn, "launch", "-n", "3", "--grace-s", "5", "--", "/bin/sh", "-c",
                        "if [ $RANK = 1 ]; then exit 7; fi; sleep 30"});
  EXPECT_LT(Clock::now() - t0, 5s) << "the other ranks were not stopped by SIGTERM";
  EXPECT_EQ(r.code, 7) << r.output;
  EXPECT_TRUE(contains(r.output, "cairn launch: rank 1 exited with code 7 (of 3 ranks); stopping the other 2 ranks"))
      << r.output;
  // Said once, when it happened.
  EXPECT_EQ(r.output.find("exited with code 7"), r.output.rfind("exited with code 7")) << r.output;
}

TEST(CairnLaunch, RanksIgnoringSigtermAreKilledAfterTheGrace) {
  const auto t0 = Clock::now();
  // Rank 1 ignores SIGTERM and says so through a file; rank 0 fails once it has.
  char dir[] = "/tmp/cairn-launch-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string armed = std::string(dir) + "/armed";
  const Result r = run({kCairn, "launch", "-n", "2", "--grace-s", "0.3", "--", "/bin/sh", "-c",
                        "if [ $RANK = 0 ]; then while [ ! -e " + armed + " ]; do sleep 0.02; done; exit 3; fi; "
                        "trap '' TERM; touch " + armed + "; sleep 30"});
  ::unlink(armed.c_str());
  ::rmdir(dir);
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "still running after 0.3 s: killing")) << r.output;
}

TEST(CairnLaunch, ARankKilledBySignalIsNamed) {
  const Result r = run({kCairn, "launch", "-n", "2", "--", "/bin/sh", "-c",
                        "if [ $RANK = 1 ]; then kill -SEGV $$; fi; sleep 30"});
  EXPECT_EQ(r.code, 128 + SIGSEGV) << r.output;
  EXPECT_TRUE(contains(r.output, "rank 1 was killed by SIGSEGV")) << r.output;
}

TEST(CairnLaunch, ForwardsSigtermToEveryRank) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::close(pipefd[0]);
    ::execl(kCairn.c_str(), kCairn.c_str(), "launch", "-n", "2", "--", "/bin/sh", "-c",
            "trap 'echo got TERM; exit 5' TERM; echo ready; while true; do sleep 0.05; done", nullptr);
    ::_exit(126);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  // Both ranks ready, then SIGTERM to the launcher alone.
  while (std::count(out.begin(), out.end(), 'y') < 2 && (n = ::read(pipefd[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  ::kill(pid, SIGTERM);
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << out;
  EXPECT_TRUE(contains(out, "[rank 0] got TERM") && contains(out, "[rank 1] got TERM")) << out;
  EXPECT_TRUE(contains(out, "cairn launch: SIGTERM: stopping all 2 ranks")) << out;
}

TEST(CairnLaunch, BadInvocationsAreOneClearLine) {
  Result r = run({kCairn, "launch", "-n", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "no command: give it after '--'")) << r.output;
  r = run({kCairn, "launch", "-n", "0", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "-n 0 must be at least 1")) << r.output;
  r = run({kCairn, "launch", "-n", "2", "--", "/nonexistent/program"});
  // Found missing before any rank starts.
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.output, "cannot run '/nonexistent/program': No such file or directory")) << r.output;
  EXPECT_FALSE(contains(r.output, "[rank")) << r.output;
}

TEST(CairnLaunch, BindGivesEachRankItsOwnCpus) {
  const Result r = run({kCairn, "launch", "-n", "2", "--bind", "--", "/bin/sh", "-c",
                        "grep Cpus_allowed_list /proc/self/status"});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "cairn launch: rank 0: CPUs ")) << r.output;
  // The plan printed for each rank is what the rank's kernel view says.
  for (int i = 0; i < 2; ++i) {
    const std::string tag = "cairn launch: rank " + std::to_string(i) + ": CPUs ";
    const auto at = r.output.find(tag);
    ASSERT_NE(at, std::string::npos) << r.output;
    std::string cpus = r.output.substr(at + tag.size(), r.output.find_first_of(",\n", at + tag.size()) - at - tag.size());
    EXPECT_TRUE(contains(r.output, "[rank " + std::to_string(i) + "] Cpus_allowed_list:\t" + cpus + "\n"))
        << cpus << "\n" << r.output;
  }
}

}  // namespace
