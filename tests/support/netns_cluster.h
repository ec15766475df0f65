// A cluster of hosts built from network namespaces, for tests that need real links to
// slow down (`cairn pairs` finding a slow link, the straggler detector typing one).
//
// The cluster: N namespaces, a full mesh of veth pairs (one per pair of hosts). Each host
// has one address, 10.201.0.(k+1)/32, on every one of its veth ends, and a /32 route to
// each peer through the veth that reaches it directly, so every pair's traffic crosses
// its own link and nothing else. UCX sees one device per host (UCX_NET_DEVICES) whose
// address is the host's, and only TCP (UCX_TLS=tcp): otherwise it would move data
// between processes of one machine through shared memory or CMA and the links would
// never see it.
//
// Unshaped veth runs at whatever the CPUs give, which on a shared 2-core CI box changes
// tenfold from minute to minute; so every link gets a line rate with `tc tbf` on both of
// its ends, like a NIC's, and a test throttles the links it wants slow. The bucket
// (128 KiB) must hold a whole GSO packet (64 KiB): tbf drops or splits larger ones, and a
// 32 KiB bucket cut a 500 Mbit/s link to an eighth of its rate. The queue (2 MB) holds a
// whole transfer, so TCP sees delay rather than loss and retransmission timeouts.
//
// Needs root, `ip netns`, veth and tc's tbf; missing_prerequisite() says why not, for a
// skip. Namespaces are named <prefix><pid>-<k>, removed by the Cluster even when a check
// fails, and those a killed earlier run left behind (its pid gone) are removed by
// remove_stale_namespaces().
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cairn::test::netns {

struct CommandResult {
  int status = -1;
  std::string output;
};

// Runs a shell command line made only of our own tokens; stdout and stderr together.
CommandResult sh(const std::string& command);

// Why this machine cannot run the test, or "" if it can (probed with a namespace of its
// own, a veth pair, a tbf qdisc and a UTS namespace, then removed).
std::string missing_prerequisite(const std::string& prefix);

// Namespaces of earlier runs whose process is gone (killed at a ctest timeout, say).
void remove_stale_namespaces(const std::string& prefix);

// The hosts and their links. Every step that fails throws std::runtime_error with ip's
// or tc's words; the destructor removes whatever was made (deleting a namespace deletes
// its veth ends and their qdiscs).
class Cluster {
 public:
  Cluster(std::string prefix, int hosts, std::string line_rate);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int hosts() const { return hosts_; }
  std::string ns(int k) const;                  // host k's namespace
  static std::string dev(int peer);             // the veth towards `peer`
  static std::string address(int host);         // 10.201.0.(host+1)

  // Both ends of the a-b link at `rate` (tc's words: "10mbit").
  void throttle(int a, int b, const std::string& rate);
  // Bytes host k sent towards peer j (its veth end's counter).
  std::string tx_bytes(int k, int j) const;

 private:
  void shape(int k, int j, const std::string& rate);
  std::string prefix_;
  int hosts_;
  std::vector<std::string> made_;
};

struct RankRun {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

// One process per host, each inside its namespace with a host name of its own (a UTS
// namespace: host0, host1, ...), torchrun-style rendezvous variables (RANK, WORLD_SIZE,
// MASTER_ADDR host 0, a fresh CAIRN_SECRET), UCX over TCP on the host's own veths, and a
// clean environment otherwise (sanitizer options passed through). `command(k)` is what
// host k runs after that environment (the cairn binary and its arguments). Ranks still
// running at the deadline are killed (by the pids started here). Their stdout and stderr
// are dir/rank<k>.out and .err.
std::vector<RankRun> run_ranks(const Cluster& cluster, const std::filesystem::path& dir,
                               const std::function<std::vector<std::string>(int k)>& command,
                               std::chrono::seconds deadline);

// Every rank's exit, stdout and stderr, for a failed check's message.
std::string describe(const std::vector<RankRun>& runs);

}  // namespace cairn::test::netns
