// Rank detection from launcher environments (bootstrap.h: detect_rank_info).
#include <unistd.h>

#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "collectives/rendezvous/bootstrap.h"
#include "common/env_knobs.h"
#include "common/error.h"

extern char** environ;

namespace cairn::coll {

namespace {

// Expansion stops here: a typo like n[1-99999999] must not eat the memory of every rank.
constexpr std::size_t kMaxHosts = 1u << 20;

std::optional<std::string> lookup(const EnvMap& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<long long> parse_integer(std::string_view s) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// An integer variable, if set; an error naming it if it is not a number in range.
std::optional<int> int_var(const EnvMap& env, const std::string& name, long long lo = 0,
                           long long hi = 1 << 30) {
  auto s = lookup(env, name);
  if (!s) return std::nullopt;
  auto v = parse_integer(*s);
  if (!v || *v < lo || *v > hi)
    throw Error(fmt::format("{}='{}' is not an integer in [{}, {}]: fix the launcher's environment",
                            name, *s, lo, hi));
  return static_cast<int>(*v);
}

int required_int(const EnvMap& env, const std::string& name, const std::string& because, long long lo = 0) {
  auto v = int_var(env, name, lo);
  if (!v) throw Error(fmt::format("{} is not set though {} is: the launcher's environment is incomplete", name, because));
  return *v;
}

// First of several variables that is set: its name and value.
std::optional<std::pair<std::string, std::string>> first_of(const EnvMap& env,
                                                            std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = lookup(env, n)) return std::make_pair(std::string(n), *v);
  return std::nullopt;
}

// Where each field came from, for error messages.
struct Sources {
  std::string rank, size, local_rank, local_size;
};

// A port for rank 0's store that every rank derives alike from the job id, so that
// two jobs sharing a node rarely collide when MASTER_PORT is not given.
int port_from_job_id(const std::string& job_id) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : job_id) h = (h ^ c) * 1099511628211ull;
  return 20000 + static_cast<int>(h % 20000);
}

void read_slurm(const EnvMap& env, RankInfo& info, Sources& src) {
  info.launcher = "slurm";
  info.rank = required_int(env, "SLURM_PROCID", "SLURM_PROCID");
  src.rank = "SLURM_PROCID";
  auto size_var = first_of(env, {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM_NPROCS"});
  if (!size_var) throw Error("SLURM_NTASKS is not set though SLURM_PROCID is: run the job through srun");
  info.size = *int_var(env, size_var->first, 1);
  src.size = size_var->first;
  info.local_rank = int_var(env, "SLURM_LOCALID").value_or(0);
  src.local_rank = "SLURM_LOCALID";
  // The step's own layout first: SLURM_NTASKS_PER_NODE is the batch script's request,
  // which an `srun -n` inside it can override.
  auto per_node_list = [&](const std::string& name) {
    auto spec = lookup(env, name);
    if (!spec) return false;
    const auto counts = expand_tasks_per_node(*spec);
    const int node = int_var(env, "SLURM_NODEID").value_or(0);
    if (node >= static_cast<int>(counts.size()))
      throw Error(fmt::format("SLURM_NODEID={} but {}='{}' lists only {} nodes", node, name, *spec, counts.size()));
    info.local_size = counts[static_cast<std::size_t>(node)];
    src.local_size = name;
    return true;
  };
  if (!per_node_list("SLURM_STEP_TASKS_PER_NODE")) {
    if (auto per_node = int_var(env, "SLURM_NTASKS_PER_NODE", 1)) {
      info.local_size = *per_node;
      src.local_size = "SLURM_NTASKS_PER_NODE";
    } else {
      per_node_list("SLURM_TASKS_PER_NODE");
    }
  }
  if (auto nodes = first_of(env, {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"}))
    info.master_addr = expand_nodelist(nodes->second).front();
  if (auto job = lookup(env, "SLURM_JOB_ID")) {
    info.job_id = *job;
    if (auto step = lookup(env, "SLURM_STEP_ID")) info.job_id += "." + *step;
  }
}

// Launchers that name all four numbers in variables of their own.
struct FourVars {
  const char* launcher;
  const char* rank;
  const char* size;
  const char* local_rank;
  const char* local_size;
};

void read_four(const EnvMap& env, const FourVars& v, RankInfo& info, Sources& src) {
  info.launcher = v.launcher;
  info.rank = required_int(env, v.rank, v.rank);
  info.size = required_int(env, v.size, v.rank, 1);
  info.local_rank = int_var(env, v.local_rank).value_or(0);
  info.local_size = int_var(env, v.local_size, 1).value_or(1);
  src = {v.rank, v.size, v.local_rank, v.local_size};
}

void read_ompi(const EnvMap& env, RankInfo& info, Sources& src) {
  read_four(env, {"ompi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                  "OMPI_COMM_WORLD_LOCAL_SIZE"},
            info, src);
  info.job_id = lookup(env, "PMIX_NAMESPACE").value_or(lookup(env, "OMPI_MCA_ess_base_jobid").value_or(""));
}

// MPICH/Intel MPI's Hydra (PMI_RANK, PMI_SIZE, MPI_LOCALRANKID) and PMIx (PMIX_RANK,
// with the size from Slurm when srun --mpi=pmix started it).
void read_pmi(const EnvMap& env, RankInfo& info, Sources& src) {
  info.launcher = "pmi";
  auto rank_var = first_of(env, {"PMI_RANK", "PMIX_RANK"});
  info.rank = *int_var(env, rank_var->first);
  src.rank = rank_var->first;
  auto size_var = first_of(env, {"PMI_SIZE", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"});
  if (!size_var)
    throw Error(fmt::format("{} is set but no world size is (PMI_SIZE or SLURM_NTASKS): set WORLD_SIZE",
                            rank_var->first));
  info.size = *int_var(env, size_var->first, 1);
  src.size = size_var->first;
  if (auto lr = first_of(env, {"MPI_LOCALRANKID", "SLURM_LOCALID"})) {
    info.local_rank = *int_var(env, lr->first);
    src.local_rank = lr->first;
  }
  if (auto ls = first_of(env, {"MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})) {
    info.local_size = *int_var(env, ls->first, 1);
    src.local_size = ls->first;
  }
  if (auto nodes = first_of(env, {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST"}))
    info.master_addr = expand_nodelist(nodes->second).front();
  info.job_id = lookup(env, "PMIX_NAMESPACE").value_or(lookup(env, "SLURM_JOB_ID").value_or(""));
}

void read_torchrun(const EnvMap& env, RankInfo& info, Sources& src) {
  read_four(env, {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"}, info, src);
  info.master_port = 29500;  // torchrun's default
  info.job_id = lookup(env, "TORCHELASTIC_RUN_ID").value_or("");
}

void read_cairn(const EnvMap& env, RankInfo& info, Sources& src) {
  read_four(env, {"cairn", "CAIRN_RANK", "CAIRN_WORLD_SIZE", "CAIRN_LOCAL_RANK", "CAIRN_LOCAL_SIZE"}, info, src);
  info.master_addr = env::text("CAIRN_MASTER_ADDR", env).value_or("");
  info.master_port = static_cast<int>(env::integer("CAIRN_MASTER_PORT", env).value_or(0));
  info.job_id = env::text("CAIRN_JOB_ID", env).value_or("");
}

}  // namespace

EnvMap process_environment() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

RankInfo detect_rank_info(const EnvMap& env) {
  RankInfo info;
  Sources src;
  if (!lookup(env, "CAIRN_RANK"))
    for (const char* part : {"CAIRN_WORLD_SIZE", "CAIRN_LOCAL_RANK", "CAIRN_LOCAL_SIZE", "CAIRN_MASTER_ADDR",
                             "CAIRN_MASTER_PORT"})
      if (lookup(env, part))
        throw Error(fmt::format("{} is set but CAIRN_RANK is not: cairn launch sets them together; unset the "
                                "CAIRN_* launcher variables, or start the ranks with cairn launch",
                                part));
  if (lookup(env, "CAIRN_RANK")) read_cairn(env, info, src);
  else if (lookup(env, "RANK") && lookup(env, "WORLD_SIZE")) read_torchrun(env, info, src);
  else if (lookup(env, "OMPI_COMM_WORLD_RANK")) read_ompi(env, info, src);
  else if (lookup(env, "PMI_RANK") || lookup(env, "PMIX_RANK")) read_pmi(env, info, src);
  else if (lookup(env, "SLURM_PROCID")) read_slurm(env, info, src);
  else info.launcher = "single";

  if (auto addr = lookup(env, "MASTER_ADDR")) info.master_addr = *addr;
  if (auto port = int_var(env, "MASTER_PORT", 1, 65535)) info.master_port = *port;
  // Every rank on this host (mpirun -np 2, srun on one node) and no master named: rank 0's
  // store listens on every interface, so loopback reaches it from each rank.
  if (info.size > 1 && info.master_addr.empty() && !src.local_size.empty() && info.local_size == info.size)
    info.master_addr = "127.0.0.1";
  if (info.master_port == 0) info.master_port = info.job_id.empty() ? 29500 : port_from_job_id(info.job_id);

  if (info.rank >= info.size)
    throw Error(fmt::format("rank {} (from {}) is not below the world size {} (from {}): the {} environment is "
                            "inconsistent",
                            info.rank, src.rank, info.size, src.size, info.launcher));
  if (info.local_rank >= info.local_size)
    throw Error(fmt::format("local rank {} (from {}) is not below the local size {} (from {}): the {} "
                            "environment is inconsistent",
                            info.local_rank, src.local_rank, info.local_size,
                            src.local_size.empty() ? "default 1" : src.local_size, info.launcher));
  if (info.local_size > info.size)
    throw Error(fmt::format("local size {} (from {}) exceeds the world size {} (from {})", info.local_size,
                            src.local_size, info.size, src.size));
  if (info.size > 1 && info.master_addr.empty())
    throw Error(fmt::format("world size {} (from {}) but no master address: set MASTER_ADDR (and MASTER_PORT) "
                            "to rank 0's host",
                            info.size, src.size));
  return info;
}

std::vector<std::string> expand_nodelist(const std::string& nodelist) {
  auto bad = [&](const std::string& why) -> Error {
    return Error(fmt::format("Slurm node list '{}': {}", nodelist, why));
  };
  // Split at commas outside brackets.
  std::vector<std::string> items;
  std::string cur;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw bad("unbalanced ']'");
    if (c == ',' && depth == 0) {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) throw bad("unbalanced '['");
  items.push_back(cur);

  std::vector<std::string> hosts;
  for (const auto& item : items) {
    if (item.empty()) continue;
    // Expand bracket groups left to right: each multiplies the names so far.
    std::vector<std::string> names{""};
    std::size_t pos = 0;
    while (pos < item.size()) {
      const auto open = item.find('[', pos);
      const std::string literal = item.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
      for (auto& n : names) n += literal;
      if (open == std::string::npos) break;
      const auto close = item.find(']', open);
      std::vector<std::string> suffixes;
      std::string_view ranges(item.data() + open + 1, close - open - 1);
      while (!ranges.empty()) {
        const auto comma = ranges.find(',');
        std::string_view r = ranges.substr(0, comma);
        ranges = comma == std::string_view::npos ? std::string_view() : ranges.substr(comma + 1);
        const auto dash = r.find('-');
        const std::string_view lo_s = r.substr(0, dash);
        const std::string_view hi_s = dash == std::string_view::npos ? lo_s : r.substr(dash + 1);
        auto lo = parse_integer(lo_s), hi = parse_integer(hi_s);
        if (!lo || !hi || *lo < 0 || *hi < *lo) throw bad(fmt::format("bad range '{}'", r));
        if (static_cast<std::size_t>(*hi - *lo) >= kMaxHosts) throw bad("more hosts than Cairn expands");
        for (long long v = *lo; v <= *hi; ++v)
          suffixes.push_back(fmt::format("{:0{}}", v, lo_s.size()));  // keeps "001"'s width
      }
      if (suffixes.empty()) throw bad("empty brackets");
      std::vector<std::string> next;
      if (names.size() * suffixes.size() > kMaxHosts) throw bad("more hosts than Cairn expands");
      for (const auto& n : names)
        for (const auto& s : suffixes) next.push_back(n + s);
      names = std::move(next);
      pos = close + 1;
    }
    hosts.insert(hosts.end(), names.begin(), names.end());
    if (hosts.size() > kMaxHosts) throw bad("more hosts than Cairn expands");
  }
  if (hosts.empty()) throw bad("no hosts");
  return hosts;
}

std::vector<int> expand_tasks_per_node(const std::string& spec) {
  std::vector<int> counts;
  std::string_view rest(spec);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    long long repeat = 1;
    const auto paren = item.find("(x");
    if (paren != std::string_view::npos) {
      if (item.back() != ')') throw Error(fmt::format("SLURM_TASKS_PER_NODE '{}': bad item '{}'", spec, item));
      auto r = parse_integer(item.substr(paren + 2, item.size() - paren - 3));
      if (!r || *r < 1 || *r > static_cast<long long>(kMaxHosts))
        throw Error(fmt::format("SLURM_TASKS_PER_NODE '{}': bad repeat in '{}'", spec, item));
      repeat = *r;
      item = item.substr(0, paren);
    }
    auto n = parse_integer(item);
    if (!n || *n < 0 || *n > (1 << 20)) throw Error(fmt::format("SLURM_TASKS_PER_NODE '{}': bad count '{}'", spec, item));
    counts.insert(counts.end(), static_cast<std::size_t>(repeat), static_cast<int>(*n));
    if (counts.size() > kMaxHosts) throw Error(fmt::format("SLURM_TASKS_PER_NODE '{}': too many nodes", spec));
  }
  return counts;
}

}  // namespace cairn::coll
