// The local launcher (local_launcher.h): plan, spawn every rank, supervise.
#include "collectives/launch/local_launcher.h"

#include <unistd.h>

#include <optional>

#include "collectives/launch/launch_limits.h"
#include "collectives/launch/launch_plan.h"
#include "collectives/launch/rank_binding.h"
#include "collectives/launch/spawn.h"
#include "collectives/launch/supervise.h"

namespace cairn::coll {

int launch_local_ranks(const LaunchOptions& o, const EnvMap& base_env) {
  validate_launch_options(o);
  check_launch_fits(o, read_launch_resources());
  // execvp searches the PATH the ranks inherit, which is ours; glibc's default without one.
  const auto path = base_env.find("PATH");
  find_program(o.command[0], path == base_env.end() ? "/bin:/usr/bin" : path->second);
  const FreshJob fresh = draw_fresh_job(o);
  std::optional<NodeFacts> node;
  if (o.bind) node = read_node_facts();
  const LaunchPlan plan = plan_launch(o, base_env, fresh, node);
  for (const auto& line : plan.messages) write_all(2, line);

  LauncherSignals signals;  // before the first fork: a Ctrl-C from now on is forwarded
  const bool keep_stdin = !::isatty(0);
  std::vector<SupervisedRank> started;
  for (std::size_t r = 0; r < plan.ranks.size(); ++r) {
    const RankLaunch& rank = plan.ranks[r];
    try {
      const SpawnedRank s = spawn_rank(o.command, rank.env, rank.cpus, o.prefix_output, keep_stdin && r == 0,
                                       static_cast<int>(r));
      started.push_back({rank.rank, s.pid, s.out_fd, s.err_fd});
    } catch (...) {
      signal_ranks(started, SIGKILL);
      throw;
    }
  }
  return supervise(std::move(started), signals, {o.nnodes * o.ranks, o.grace});
}

}  // namespace cairn::coll
