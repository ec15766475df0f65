// launch_plan.h: the ranks' slots, environments and bindings.
#include "collectives/launch/launch_plan.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "collectives/launch/local_launcher.h"
#include "common/env_knobs.h"
#include "common/error.h"

namespace cairn::coll {

namespace {

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw Error(fmt::format("cannot find a free port for the store: {}: pass --master-port",
                            std::strerror(errno)));
  ::close(fd);
  return ntohs(a.sin_port);
}

// GPUs a CUDA_VISIBLE_DEVICES already in the environment leaves us, in its order.
void restrict_to_visible_gpus(NodeFacts& facts, const EnvMap& env) {
  auto it = env.find("CUDA_VISIBLE_DEVICES");
  if (it == env.end()) return;
  std::vector<NodeFacts::Gpu> kept;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    int index = -1;
    try {
      std::size_t used = 0;
      index = std::stoi(item, &used);
      if (used != item.size()) index = -1;
    } catch (const std::exception&) {
    }
    if (index < 0)
      throw Error(fmt::format("--bind: CUDA_VISIBLE_DEVICES='{}' names GPUs by UUID; use indexes "
                              "or unset it",
                              it->second));
    for (const auto& g : facts.gpus)
      if (g.index == index) kept.push_back(g);
  }
  facts.gpus = kept;
}

// The slot every rank shares, but for its local rank.
RankSlot job_slot(const LaunchOptions& o, const EnvMap& base_env, const FreshJob& fresh) {
  RankSlot slot;
  slot.local_size = o.ranks;
  slot.node_rank = o.node_rank;
  slot.nnodes = o.nnodes;
  slot.master_addr = o.master_addr.empty() ? "127.0.0.1" : o.master_addr;
  if (o.nnodes == 1) {
    slot.master_port = o.master_port ? o.master_port : fresh.free_port;
    slot.secret = fresh.secret;
    slot.job_id = "local-" + fresh.job_tag;
  } else {
    // Every node must derive the same job: nothing here may be random.
    if (o.master_addr.empty() || o.master_port == 0)
      throw Error(fmt::format("--nnodes {}: give --master-addr (node 0's host, as the other nodes reach it) "
                              "and --master-port",
                              o.nnodes));
    slot.master_port = o.master_port;
    slot.secret = env::text("CAIRN_SECRET", base_env).value_or("");
    if (slot.secret.empty())
      throw Error(fmt::format("--nnodes {}: export the same CAIRN_SECRET on every node (for instance from a "
                              "Kubernetes Secret); only a one-node launch makes its own",
                              o.nnodes));
    slot.job_id = env::text("CAIRN_JOB_ID", base_env).value_or("");
    if (slot.job_id.empty()) slot.job_id = store_address(o.master_addr, o.master_port);
  }
  return slot;
}

}  // namespace

EnvMap rank_environment(const EnvMap& base, const RankSlot& slot) {
  EnvMap env = base;
  const std::string rank = std::to_string(slot.rank()), size = std::to_string(slot.nnodes * slot.local_size),
                    local_rank = std::to_string(slot.local_rank), local_size = std::to_string(slot.local_size),
                    port = std::to_string(slot.master_port);
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, const std::string&>>{
           {"CAIRN_RANK", rank},
           {"CAIRN_WORLD_SIZE", size},
           {"CAIRN_LOCAL_RANK", local_rank},
           {"CAIRN_LOCAL_SIZE", local_size},
           {"CAIRN_MASTER_ADDR", slot.master_addr},
           {"CAIRN_MASTER_PORT", port},
           {"CAIRN_SECRET", slot.secret},
           {"CAIRN_JOB_ID", slot.job_id},
           {"RANK", rank},
           {"WORLD_SIZE", size},
           {"LOCAL_RANK", local_rank},
           {"LOCAL_WORLD_SIZE", local_size},
           {"MASTER_ADDR", slot.master_addr},
           {"MASTER_PORT", port}})
    env[k] = v;
  return env;
}

FreshJob draw_fresh_job(const LaunchOptions& o) {
  FreshJob fresh;
  if (o.nnodes != 1) return fresh;
  if (o.master_port == 0) fresh.free_port = pick_free_port();
  fresh.secret = random_secret();
  fresh.job_tag = random_secret().substr(0, 8);
  return fresh;
}

void validate_launch_options(const LaunchOptions& o) {
  if (o.ranks < 1) throw Error(fmt::format("-n {} must be at least 1", o.ranks));
  if (o.command.empty()) throw Error("no command: give it after '--' (cairn launch -n 4 -- python train.py)");
  if (o.master_port < 0 || o.master_port > 65535)
    throw Error(fmt::format("--master-port {} is out of range 1-65535", o.master_port));
  if (o.nnodes < 1 || o.node_rank < 0 || o.node_rank >= o.nnodes)
    throw Error(fmt::format("--node-rank {} must be in [0, --nnodes {})", o.node_rank, o.nnodes));
}

LaunchPlan plan_launch(const LaunchOptions& o, const EnvMap& base_env, const FreshJob& fresh,
                       const std::optional<NodeFacts>& node) {
  validate_launch_options(o);
  RankSlot slot = job_slot(o, base_env, fresh);

  LaunchPlan plan;
  std::vector<RankBinding> bindings;
  if (o.bind) {
    if (!node) throw Error("--bind: no facts about this node to plan from");
    NodeFacts facts = *node;
    restrict_to_visible_gpus(facts, base_env);
    bindings = plan_binding(facts, o.ranks);
    if (!facts.gpus.empty() && static_cast<int>(facts.gpus.size()) < o.ranks)
      plan.messages.push_back(fmt::format("cairn launch: {} ranks share {} GPUs\n", o.ranks, facts.gpus.size()));
    for (int r = 0; r < o.ranks; ++r) {
      const auto& b = bindings[static_cast<std::size_t>(r)];
      plan.messages.push_back(fmt::format("cairn launch: rank {}: CPUs {}{}{}\n", o.node_rank * o.ranks + r,
                                          cpu_list_text(b.cpus), b.gpu ? fmt::format(", GPU {}", *b.gpu) : "",
                                          b.nic ? ", NIC " + *b.nic : ""));
    }
  }
  for (int r = 0; r < o.ranks; ++r) {
    slot.local_rank = r;
    RankLaunch rank{slot.rank(), rank_environment(base_env, slot), {}};
    if (o.bind) {
      const auto& b = bindings[static_cast<std::size_t>(r)];
      for (const auto& [k, v] : binding_environment(b)) rank.env[k] = v;
      rank.cpus = b.cpus;
    }
    plan.ranks.push_back(std::move(rank));
  }
  return plan;
}

}  // namespace cairn::coll
