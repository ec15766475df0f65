// cairn launch -n N [--bind] [--master-port P] -- CMD ARGS...: N local ranks of CMD with
// the environment the bootstrap reads (collectives/launch/local_launcher.h); with --nnodes and
// --node-rank, one node's share of a multi-node job, as torchrun does it; with
// --max-restarts, started again after a failure (docs/launch.md).
#include <algorithm>

#include <fmt/format.h>

#include "cli/options.h"
#include "collectives/launch/launch_limits.h"
#include "collectives/launch/local_launcher.h"
#include "common/error.h"

namespace cairn::cli {

int cmd_launch(const Args& args) {
  const auto dash = std::find(args.begin(), args.end(), "--");
  const Args own(args.begin(), dash);

  coll::LaunchOptions o;
  double grace_s = 5;
  bool no_prefix = false;
  po::options_description desc("Options");
  desc.add_options()
      ("ranks,n", po::value<int>(&o.ranks)->required(), "number of ranks to start on this node")
      ("bind", po::bool_switch(&o.bind), "give each rank its GPU, the CPUs of that GPU's NUMA node and its NIC "
                                         "(without GPUs: an even split of the allowed CPUs)")
      ("nnodes", po::value<int>(&o.nnodes)->default_value(1), "nodes in the job, each running cairn launch")
      ("node-rank", po::value<int>(&o.node_rank)->default_value(0), "this node's index in [0, nnodes)")
      ("master-addr", po::value<std::string>(&o.master_addr),
       "host of node 0, where rank 0's rendezvous store listens (default on one node: 127.0.0.1)")
      ("master-port", po::value<int>(&o.master_port),
       "port of rank 0's rendezvous store (default on one node: a free one)")
      ("no-prefix", po::bool_switch(&no_prefix), "pass rank output through without the \"[rank r] \" prefix")
      ("oversubscribe", po::bool_switch(&o.oversubscribe),
       fmt::format("allow more than {} ranks per CPU this process may use (the launch is refused otherwise)",
                   coll::kRanksPerCpuWithoutOversubscribe)
           .c_str())
      ("grace-s", po::value<double>(&grace_s)->default_value(5),
       "after a rank fails or on SIGINT/SIGTERM: seconds the others get before SIGKILL")
      ("max-restarts", po::value<int>(&o.max_restarts)->default_value(0),
       "after a rank fails, stop the others and start the whole job again, up to N times (one node; never after "
       "SIGINT/SIGTERM); each start gets CAIRN_RESTART=k")
      ("incidents", po::value<std::string>(&o.incidents),
       "append each failure (time to detect, time to resume) to FILE as one JSON line");
  po::variables_map vm;
  if (!parse_options("launch", "-n N [--bind] [--oversubscribe] [--max-restarts N] [--nnodes M --node-rank K --master-addr HOST] [--master-port P] -- CMD [ARGS...]", own, desc, vm))
    return 0;
  if (dash == args.end() || dash + 1 == args.end())
    throw Error("no command: give it after '--' (cairn launch -n 4 -- python train.py)");
  if (!(grace_s >= 0 && grace_s <= 86400))
    throw Error(fmt::format("--grace-s {} must be from 0 to 86400 seconds (a day)", grace_s));
  o.command.assign(dash + 1, args.end());
  o.prefix_output = !no_prefix;
  o.grace = std::chrono::milliseconds(static_cast<std::int64_t>(grace_s * 1000));
  return coll::launch_local_ranks(o, coll::process_environment());
}

}  // namespace cairn::cli
