// `cairn launch`: N ranks of a command on this node, each with the environment the
// bootstrap reads (CAIRN_* and torchrun's RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/...),
// a fresh job secret, output lines prefixed "[rank r] ", signals forwarded, and the whole
// job stopped when one rank fails.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "collectives/bootstrap.h"

namespace cairn::coll {

struct LaunchOptions {
  int ranks = 1;
  std::vector<std::string> command;  // program and its arguments (looked up in PATH)
  int master_port = 0;               // 0: a port that is free now
  bool bind = false;                 // CPUs, GPU and NIC per rank (rank_binding.h)
  bool prefix_output = true;         // false: ranks write straight to our stdout/stderr
  // After a rank fails or a signal arrives: how long the others get after SIGTERM before
  // SIGKILL.
  std::chrono::milliseconds grace{5000};
};

// The environment of local rank `rank` (exposed for tests and `--dry-run`-style checks).
EnvMap rank_environment(const EnvMap& base, int rank, int ranks, int master_port, const std::string& secret,
                        const std::string& job_id);

// Runs the ranks until all exit. Returns 0 if every rank exited 0; otherwise the exit code
// of the first rank that failed (128 + signal if a signal killed it), after stopping the
// others, with a line on stderr naming that rank; 128 + signal when SIGINT/SIGTERM
// stopped the job. Installs handlers for SIGINT, SIGTERM and SIGCHLD while it runs
// (one launch per process at a time). Throws cairn::Error for bad options.
int launch_local_ranks(const LaunchOptions& options, const EnvMap& base_env);

}  // namespace cairn::coll
