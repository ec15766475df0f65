// What `cairn launch` will start, before it starts anything: each local rank's global
// rank, environment and CPUs, and the lines it reports first. A pure function of the
// options, the environment, what was drawn fresh for a one-node job (port, secret) and,
// with --bind, the node's facts; so it is tested without forking.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collectives/launch/rank_binding.h"
#include "collectives/rendezvous/bootstrap.h"

namespace cairn::coll {

struct LaunchOptions;

// Where one rank sits and how it finds the others.
struct RankSlot {
  int local_rank = 0;
  int local_size = 1;
  int node_rank = 0;
  int nnodes = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
  std::string secret;
  std::string job_id;

  int rank() const { return node_rank * local_size + local_rank; }
};

// The environment of one rank: CAIRN_* (read first by the bootstrap) and torchrun's
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
EnvMap rank_environment(const EnvMap& base, const RankSlot& slot);

// What a one-node job draws for itself: a port free now, a secret and a job tag. A job of
// several nodes uses none of it (every node must derive the same job).
struct FreshJob {
  int free_port = 0;
  std::string secret;
  std::string job_tag;  // "local-<tag>" is the job id
};
// Binds a socket (unless --master-port is given) and reads /dev/urandom; nothing for a job
// of several nodes.
FreshJob draw_fresh_job(const LaunchOptions& options);

// Throws cairn::Error naming the flag: -n below 1, no command, a port out of range, a node
// rank outside --nnodes.
void validate_launch_options(const LaunchOptions& options);

struct RankLaunch {
  int rank = 0;           // global
  EnvMap env;
  std::vector<int> cpus;  // the affinity to set; empty: inherit ours
};

struct LaunchPlan {
  std::vector<RankLaunch> ranks;      // local rank order
  std::vector<std::string> messages;  // for stderr, before the ranks start ("rank 0: CPUs 0-3, ...")
};

// Throws cairn::Error for bad options (validate_launch_options, and a job of several
// nodes without its master or secret). `node` is required with bind.
LaunchPlan plan_launch(const LaunchOptions& options, const EnvMap& base_env, const FreshJob& fresh,
                       const std::optional<NodeFacts>& node);

}  // namespace cairn::coll
