#include "tests/support/netns_cluster.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "collectives/rendezvous/bootstrap.h"

namespace cairn::test::netns {
namespace {

using Clock = std::chrono::steady_clock;

void must(const std::string& command) {
  const auto r = sh(command);
  if (r.status != 0) throw std::runtime_error("'" + command + "' failed: " + r.output);
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

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

std::string missing_prerequisite(const std::string& prefix) {
  if (geteuid() != 0) return "needs root to create network namespaces";
  if (sh("ip -V").status != 0) return "iproute2's 'ip' is not installed";
  const std::string probe = prefix + std::to_string(getpid()) + "-probe";
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

void remove_stale_namespaces(const std::string& prefix) {
  DIR* d = opendir("/var/run/netns");
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    const int pid = std::atoi(name.c_str() + prefix.size());
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  closedir(d);
  for (const auto& name : stale) sh("ip netns del " + name);
}

Cluster::Cluster(std::string prefix, int hosts, std::string line_rate) : prefix_(std::move(prefix)), hosts_(hosts) {
  for (int k = 0; k < hosts_; ++k) {
    must("ip netns add " + ns(k));
    made_.push_back(ns(k));
    must("ip -n " + ns(k) + " link set lo up");
  }
  for (int a = 0; a < hosts_; ++a)
    for (int b = a + 1; b < hosts_; ++b)
      must("ip -n " + ns(a) + " link add " + dev(b) + " type veth peer name " + dev(a) + " netns " + ns(b));
  for (int k = 0; k < hosts_; ++k)
    for (int j = 0; j < hosts_; ++j) {
      if (j == k) continue;
      must("ip -n " + ns(k) + " addr add " + address(k) + "/32 dev " + dev(j));
      must("ip -n " + ns(k) + " link set " + dev(j) + " up");
      must("ip -n " + ns(k) + " route add " + address(j) + "/32 dev " + dev(j) + " src " + address(k));
      shape(k, j, line_rate);
    }
}

Cluster::~Cluster() {
  for (const auto& n : made_) sh("ip netns del " + n);
}

std::string Cluster::ns(int k) const { return prefix_ + std::to_string(getpid()) + "-" + std::to_string(k); }
std::string Cluster::dev(int peer) { return "p" + std::to_string(peer); }
std::string Cluster::address(int host) { return "10.201.0." + std::to_string(host + 1); }

void Cluster::throttle(int a, int b, const std::string& rate) {
  shape(a, b, rate);
  shape(b, a, rate);
}

std::string Cluster::tx_bytes(int k, int j) const {
  return sh("ip netns exec " + ns(k) + " cat /sys/class/net/" + dev(j) + "/statistics/tx_bytes").output;
}

void Cluster::shape(int k, int j, const std::string& rate) {
  must("ip netns exec " + ns(k) + " tc qdisc replace dev " + dev(j) + " root tbf rate " + rate +
       " burst 128kb limit 2mb");
}

std::vector<RankRun> run_ranks(const Cluster& cluster, const std::filesystem::path& dir,
                               const std::function<std::vector<std::string>(int k)>& command,
                               std::chrono::seconds deadline_after) {
  const int hosts = cluster.hosts();
  const std::string secret = coll::random_secret();
  std::vector<pid_t> pids;
  for (int k = 0; k < hosts; ++k) {
    std::vector<std::string> argv = {"ip", "netns", "exec", cluster.ns(k), "unshare", "--uts", "sh", "-c",
                                     "hostname \"$0\" && exec \"$@\"", "host" + std::to_string(k), "env", "-i",
                                     "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "RANK=" + std::to_string(k),
                                     "WORLD_SIZE=" + std::to_string(hosts), "LOCAL_RANK=0", "LOCAL_WORLD_SIZE=1",
                                     "MASTER_ADDR=" + Cluster::address(0), "MASTER_PORT=29500", "CAIRN_SECRET=" + secret,
                                     "CAIRN_STORE_TIMEOUT_S=30", "UCX_TLS=tcp",
                                     "UCX_NET_DEVICES=" + Cluster::dev(k == 0 ? 1 : 0), "UCX_MAX_RNDV_RAILS=1",
                                     "UCX_MAX_EAGER_RAILS=1", "UCX_WARN_UNUSED_ENV_VARS=n"};
    for (const char* v : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"})
      if (const char* value = std::getenv(v)) argv.push_back(std::string(v) + "=" + value);
    const auto tail = command(k);
    argv.insert(argv.end(), tail.begin(), tail.end());

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

  std::vector<RankRun> runs(static_cast<std::size_t>(hosts));
  const auto deadline = Clock::now() + deadline_after;
  int left = hosts;
  while (left > 0) {
    for (std::size_t k = 0; k < pids.size(); ++k) {
      if (pids[k] <= 0) continue;
      int st = 0;
      if (waitpid(pids[k], &st, WNOHANG) == pids[k]) {
        runs[k].exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        pids[k] = 0;
        --left;
      }
    }
    if (left == 0) break;
    if (Clock::now() > deadline) {
      for (std::size_t k = 0; k < pids.size(); ++k)
        if (pids[k] > 0) {
          kill(pids[k], SIGKILL);
          waitpid(pids[k], nullptr, 0);
          runs[k].timed_out = true;
        }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int k = 0; k < hosts; ++k) {
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

}  // namespace cairn::test::netns
