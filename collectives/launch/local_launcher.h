// `cairn launch`: N ranks of a command on this node, each with the environment the
// bootstrap reads (CAIRN_* and torchrun's RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/...),
// a fresh job secret, output lines prefixed "[rank r] ", signals forwarded, and the whole
// job stopped when one rank fails. Three steps, one file each: launch_plan (who gets what:
// pure), spawn (fork and exec one rank), supervise (wait, stop, forward, exit code).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "collectives/launch/launch_plan.h"
#include "collectives/rendezvous/bootstrap.h"

namespace cairn::coll {

struct LaunchOptions {
  int ranks = 1;                     // on this node
  std::vector<std::string> command;  // program and its arguments (looked up in PATH)
  // Several nodes, each running `cairn launch` (as torchrun's --nnodes/--node-rank): node
  // k's local rank l is global rank k * ranks + l. They need master_addr, master_port
  // and one CAIRN_SECRET in the environment of every node.
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr;           // empty: 127.0.0.1 (one node only)
  int master_port = 0;               // 0: a port that is free now (one node only)
  bool bind = false;                 // CPUs, GPU and NIC per rank (rank_binding.h)
  bool prefix_output = true;         // false: ranks write straight to our stdout/stderr
  // Allow more than kRanksPerCpuWithoutOversubscribe ranks per usable CPU (launch_limits.h).
  bool oversubscribe = false;
  // After a rank fails or a signal arrives: how long the others get after SIGTERM before
  // SIGKILL.
  std::chrono::milliseconds grace{5000};
  // --max-restarts: after a rank fails (not after SIGINT/SIGTERM to the launcher), stop
  // the others and start the whole job again, up to this many times: every rank, a fresh
  // port and secret, CAIRN_RESTART=k (k-th restart) in their environment. One node only.
  int max_restarts = 0;
  // --incidents: each failure appended there as one JSON line (incident.h).
  std::string incidents;
};

// The most --max-restarts allows: a job that failed this often needs a person, not a loop.
inline constexpr int kMaxRestarts = 1000;

// Runs the ranks until all exit. Returns 0 if every rank exited 0; otherwise the exit code
// of the first rank that failed (128 + signal if a signal killed it), after stopping the
// others, with a line on stderr naming that rank; 128 + signal when SIGINT/SIGTERM
// stopped the job. Installs handlers for SIGINT, SIGTERM and SIGCHLD while it runs
// (one launch per process at a time). Throws cairn::Error, before anything starts, for
// bad options, a command not found, or more ranks than the node's CPUs, memory, open
// files or processes allow (launch_limits.h).
// With max_restarts, a failed job is started again (above); each failure prints one
// incident line (incident.h) and the job that keeps failing returns the last failure's
// exit code after a line saying it gave up after N restarts.
int launch_local_ranks(const LaunchOptions& options, const EnvMap& base_env);

}  // namespace cairn::coll
