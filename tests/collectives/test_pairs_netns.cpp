// `cairn pairs` finds one slow link in a 4-host cluster built from
// network namespaces, and finds nothing when no link is slow.
//
// The cluster: four namespaces, a full mesh of veth pairs (one per pair of hosts, six in
// all). Each host has one address, 10.201.0.(k+1)/32, on every one of its veth ends, and a
// /32 route to each peer through the veth that reaches it directly, so every pair's
// traffic crosses its own link and nothing else. UCX sees one device per host
// (UCX_NET_DEVICES) whose address is the host's, and only TCP (UCX_TLS=tcp): otherwise it
// would move data between processes of one machine through shared memory or CMA and the
// links would never see it.
//
// Unshaped veth runs at whatever the CPUs give, which on a shared 2-core CI box changes
// tenfold from minute to minute; so every link gets a line rate of 100 Mbit/s with
// `tc tbf` on both of its ends, like a NIC's, and the throttled link gets a tenth of it.
// The bucket (128 KiB) must hold a whole GSO packet (64 KiB): tbf drops or splits larger
// ones, and a 32 KiB bucket cut a 500 Mbit/s link to an eighth of its rate. The queue
// (2 MB) holds a whole transfer, so TCP sees delay rather than loss and retransmission
// timeouts. Transfers are 1 MiB, 84 ms on a healthy link: long enough that a rank the
// busy box leaves unscheduled for tens of milliseconds does not pass for a slow link
// (with 128 KiB, 10 ms, a healthy pair once measured a third of the median).
//
// Needs root, `ip netns`, veth and tc's tbf; skips with the reason otherwise. Namespaces
// are named cairn-pairs-<pid>-<k>, removed by the fixture even when a check fails, and
// those a killed earlier run left behind (its pid gone) are removed on the next run.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/rendezvous/bootstrap.h"
#include "common/json_io.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kHosts = 4;
constexpr const char* kLineRate = "100mbit";  // every link
constexpr const char* kSlowRate = "10mbit";   // the throttled link: a tenth
constexpr const char* kPrefix = "cairn-pairs-";

struct CommandResult {
  int status = -1;
  std::string output;
};

// Runs a shell command line made only of our own tokens; stdout and stderr together.
CommandResult sh(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string address(int host) { return "10.201.0." + std::to_string(host + 1); }

// Namespaces of earlier runs whose process is gone (killed at a ctest timeout, say).
void remove_stale_namespaces() {
  DIR* d = opendir("/var/run/netns");
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(kPrefix, 0) != 0) continue;
    const int pid = std::atoi(name.c_str() + std::string(kPrefix).size());
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  closedir(d);
  for (const auto& name : stale) sh("ip netns del " + name);
}

// The four hosts and their six links. Every step that fails throws with ip's or tc's
// words; the destructor removes whatever was made (deleting a namespace deletes its
// veth ends and their qdiscs).
class Cluster {
 public:
  Cluster() {
    for (int k = 0; k < kHosts; ++k) {
      must("ip netns add " + ns(k));
      made_.push_back(ns(k));
      must("ip -n " + ns(k) + " link set lo up");
    }
    for (int a = 0; a < kHosts; ++a)
      for (int b = a + 1; b < kHosts; ++b)
        must("ip -n " + ns(a) + " link add " + dev(b) + " type veth peer name " + dev(a) + " netns " + ns(b));
    for (int k = 0; k < kHosts; ++k)
      for (int j = 0; j < kHosts; ++j) {
        if (j == k) continue;
        must("ip -n " + ns(k) + " addr add " + address(k) + "/32 dev " + dev(j));
        must("ip -n " + ns(k) + " link set " + dev(j) + " up");
        must("ip -n " + ns(k) + " route add " + address(j) + "/32 dev " + dev(j) + " src " + address(k));
        shape(k, j, kLineRate);
      }
  }
  ~Cluster() {
    for (const auto& n : made_) sh("ip netns del " + n);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  static std::string ns(int k) { return kPrefix + std::to_string(getpid()) + "-" + std::to_string(k); }
  static std::string dev(int peer) { return "p" + std::to_string(peer); }  // the veth towards `peer`

  // Both ends of the a-b link at `rate`. The warm-up exchanges empty the bucket, so the
  // timed ones see the rate.
  void throttle(int a, int b, const char* rate) {
    shape(a, b, rate);
    shape(b, a, rate);
  }

  // Bytes host k sent towards peer j (its veth end's counter).
  std::string tx_bytes(int k, int j) const {
    return sh("ip netns exec " + ns(k) + " cat /sys/class/net/" + dev(j) + "/statistics/tx_bytes").output;
  }

 private:
  static void must(const std::string& command) {
    const auto r = sh(command);
    if (r.status != 0) throw std::runtime_error("'" + command + "' failed: " + r.output);
  }
  void shape(int k, int j, const char* rate) {
    must("ip netns exec " + ns(k) + " tc qdisc replace dev " + dev(j) + " root tbf rate " + rate +
         " burst 128kb limit 2mb");
  }
  std::vector<std::string> made_;
};

// Why this machine cannot run the test, or "" if it can (probed with a namespace of its
// own, a veth pair, a tbf qdisc and a UTS namespace, then removed).
std::string missing_prerequisite() {
  if (geteuid() != 0) return "needs root to create network namespaces";
  if (sh("ip -V").status != 0) return "iproute2's 'ip' is not installed";
  const std::string probe = std::string(kPrefix) + std::to_string(getpid()) + "-probe";
  auto r = sh("ip netns add " + probe);
  if (r.status != 0) return "'ip netns add' fails here: " + r.output;
  std::string why;
  if ((r = sh("ip -n " + probe + " link add q0 type veth peer name q1")).status != 0)
    why = "veth pairs are unavailable: " + r.output;
  else if ((r = sh("ip netns exec " + probe + " tc qdisc add dev q0 root tbf rate 10mbit burst 128kb limit 2mb"))
               .status != 0)
    why = "tc tbf is unavailable: " + r.output;
  else if ((r = sh("ip netns exec " + probe + " unshare --uts hostname probe-host")).status != 0)
    why = "cannot give a rank its own host name (unshare --uts): " + r.output;
  sh("ip netns del " + probe);
  return why;
}

struct RankRun {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One `cairn pairs` rank per host, each inside its namespace with a host name of its own
// (a UTS namespace, so the report names host0..host3), torchrun-style rendezvous
// variables, and a clean environment otherwise. Ranks still running at the deadline are
// killed (by the pids started here).
std::vector<RankRun> run_pairs(const fs::path& dir, const std::vector<std::string>& extra_args) {
  const std::string cairn = std::string(CAIRN_BINARY_DIR) + "/bin/cairn";
  const std::string secret = coll::random_secret();
  std::vector<pid_t> pids;
  for (int k = 0; k < kHosts; ++k) {
    std::vector<std::string> argv = {"ip", "netns", "exec", Cluster::ns(k), "unshare", "--uts", "sh", "-c",
                                     "hostname \"$0\" && exec \"$@\"", "host" + std::to_string(k), "env", "-i",
                                     "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "RANK=" + std::to_string(k),
                                     "WORLD_SIZE=" + std::to_string(kHosts), "LOCAL_RANK=0", "LOCAL_WORLD_SIZE=1",
                                     "MASTER_ADDR=" + address(0), "MASTER_PORT=29500", "CAIRN_SECRET=" + secret,
                                     "CAIRN_STORE_TIMEOUT_S=30", "UCX_TLS=tcp",
                                     "UCX_NET_DEVICES=" + Cluster::dev(k == 0 ? 1 : 0), "UCX_MAX_RNDV_RAILS=1",
                                     "UCX_MAX_EAGER_RAILS=1", "UCX_WARN_UNUSED_ENV_VARS=n"};
    for (const char* v : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"})
      if (const char* value = std::getenv(v)) argv.push_back(std::string(v) + "=" + value);
    argv.insert(argv.end(), {cairn, "pairs", "--backend", "ucx", "--timeout-s", "30"});
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    if (k == 0) argv.insert(argv.end(), {"--output", (dir / "pairs.json").string()});

    const std::string out = (dir / ("rank" + std::to_string(k) + ".out")).string();
    const std::string err = (dir / ("rank" + std::to_string(k) + ".err")).string();
    const pid_t pid = fork();
    if (pid == 0) {
      const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0) _exit(126);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execvp(cargv[0], cargv.data());
      _exit(127);
    }
    pids.push_back(pid);
  }

  std::vector<RankRun> runs(kHosts);
  const auto deadline = Clock::now() + std::chrono::seconds(90);
  int left = kHosts;
  while (left > 0) {
    for (int k = 0; k < kHosts; ++k) {
      if (pids[static_cast<std::size_t>(k)] <= 0) continue;
      int st = 0;
      if (waitpid(pids[static_cast<std::size_t>(k)], &st, WNOHANG) == pids[static_cast<std::size_t>(k)]) {
        runs[static_cast<std::size_t>(k)].exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        pids[static_cast<std::size_t>(k)] = 0;
        --left;
      }
    }
    if (left == 0) break;
    if (Clock::now() > deadline) {
      for (int k = 0; k < kHosts; ++k)
        if (pids[static_cast<std::size_t>(k)] > 0) {
          kill(pids[static_cast<std::size_t>(k)], SIGKILL);
          waitpid(pids[static_cast<std::size_t>(k)], nullptr, 0);
          runs[static_cast<std::size_t>(k)].timed_out = true;
        }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int k = 0; k < kHosts; ++k) {
    runs[static_cast<std::size_t>(k)].out = slurp(dir / ("rank" + std::to_string(k) + ".out"));
    runs[static_cast<std::size_t>(k)].err = slurp(dir / ("rank" + std::to_string(k) + ".err"));
  }
  return runs;
}

std::string describe(const std::vector<RankRun>& runs) {
  std::string s;
  for (std::size_t k = 0; k < runs.size(); ++k)
    s += "--- rank " + std::to_string(k) + " exit " + std::to_string(runs[k].exit_code) +
         (runs[k].timed_out ? " (killed at the deadline)" : "") + "\nstdout:\n" + runs[k].out + "stderr:\n" +
         runs[k].err;
  return s;
}

class PairsNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = missing_prerequisite();
    if (!why.empty()) GTEST_SKIP() << why;
    remove_stale_namespaces();
    dir_ = fs::temp_directory_path() / ("cairn-pairs-netns-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    cluster_ = std::make_unique<Cluster>();
  }
  void TearDown() override {
    cluster_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs the 4 ranks and returns rank 0's JSON report, after checking every rank's exit.
  Json run(int want_exit) {
    const auto t0 = Clock::now();
    const auto runs = run_pairs(dir_, {"--bytes", "1M", "--iters", "5", "--warmup-iters", "1", "--latency-iters",
                                       "20"});
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << runs[0].out << runs[0].err << "[ timing ] 4 ranks of cairn pairs: " << seconds << " s\n";
    for (std::size_t k = 0; k < runs.size(); ++k)
      EXPECT_EQ(runs[k].exit_code, want_exit) << "rank " << k << "\n" << describe(runs);
    rank0_err_ = runs[0].err;
    return read_json_file((dir_ / "pairs.json").string());
  }

  fs::path dir_;
  std::unique_ptr<Cluster> cluster_;
  std::string rank0_err_;
};

TEST_F(PairsNetns, HealthyClusterRaisesNoFlag) {
  const Json doc = run(0);
  require_schema(doc, "cairn.pairs", 2, "pairs.json");
  EXPECT_TRUE(doc["healthy"].get<bool>());
  EXPECT_TRUE(doc["flagged"].empty()) << doc["flagged"].dump();
  EXPECT_EQ(rank0_err_.find("slow pair"), std::string::npos) << rank0_err_;
  ASSERT_EQ(doc["pairs"].size(), 6u);
  // The line rate is what bounds every pair: within a factor of two of each other.
  const double median = doc["median_bandwidth_gb_s"].get<double>();
  for (const auto& p : doc["pairs"]) EXPECT_GT(p["bandwidth_gb_s"].get<double>(), 0.5 * median) << p.dump();
  EXPECT_LT(median, 0.0125 * 1.1) << "100 Mbit/s is 0.0125 GB/s: faster means the links were bypassed";
  EXPECT_GT(median, 0.0125 * 0.4);
}

TEST_F(PairsNetns, ThrottledLinkIsNamedExactly) {
  const std::string before = cluster_->tx_bytes(1, 2);
  cluster_->throttle(1, 2, kSlowRate);
  const Json doc = run(1);
  require_schema(doc, "cairn.pairs", 2, "pairs.json");
  EXPECT_FALSE(doc["healthy"].get<bool>());
  ASSERT_EQ(doc["flagged"].size(), 1u) << doc["flagged"].dump();
  EXPECT_EQ(doc["flagged"][0]["i"], 1);
  EXPECT_EQ(doc["flagged"][0]["j"], 2);
  EXPECT_TRUE(doc["common"].is_null());
  EXPECT_NE(rank0_err_.find("slow pair r1 (host1) <-> r2 (host2)"), std::string::npos) << rank0_err_;
  // About a tenth of the others, and the traffic did cross the 1-2 veth.
  const double slow = doc["bandwidth_gb_s"][1][2].get<double>();
  const double median = doc["median_bandwidth_gb_s"].get<double>();
  EXPECT_LT(slow, 0.25 * median);
  EXPECT_GT(slow, 0.05 * median);
  EXPECT_GT(std::stoll(cluster_->tx_bytes(1, 2)) - std::stoll(before), 6 * (1 << 20));
}

}  // namespace
}  // namespace cairn
