#include "collectives/launch/rank_binding.h"

#include <sched.h>

#include <algorithm>

#include <fmt/format.h>

#include "probe/cpuset.h"
#include "topology/load.h"
#include "topology/paths.h"

namespace cairn::coll {

namespace {

// Block i of k nearly equal contiguous blocks of `cpus` (shared round-robin if fewer CPUs).
std::vector<int> even_block(const std::vector<int>& cpus, int i, int k) {
  const auto n = static_cast<int>(cpus.size());
  if (n == 0) return {};
  if (n < k) return {cpus[static_cast<std::size_t>(i % n)]};
  return std::vector<int>(cpus.begin() + i * n / k, cpus.begin() + (i + 1) * n / k);
}

std::vector<int> allowed_on_node(const NodeFacts& node, int numa) {
  std::vector<int> out;
  auto it = node.numa_cpus.find(numa);
  if (numa < 0 || it == node.numa_cpus.end()) return out;
  for (int c : it->second)
    if (std::binary_search(node.allowed_cpus.begin(), node.allowed_cpus.end(), c)) out.push_back(c);
  return out;
}

std::vector<const NodeFacts::Nic*> nics_on(const NodeFacts& node, int numa) {
  std::vector<const NodeFacts::Nic*> out;
  for (const auto& n : node.nics)
    if (numa >= 0 && n.numa_node == numa) out.push_back(&n);
  return out;
}

int numa_of_cpu(const NodeFacts& node, int cpu) {
  for (const auto& [numa, cpus] : node.numa_cpus)
    if (std::find(cpus.begin(), cpus.end(), cpu) != cpus.end()) return numa;
  return -1;
}

// A NIC binding_environment() can name: a verbs device, or one of unknown transport.
bool verbs_nic(const topology::Vertex& v) { return v.nic.transport.empty() || v.nic.transport == "ibverbs"; }

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> out;
  if (auto set = probe::CpuSet::from_list(text))
    for (unsigned c : set->indexes()) out.push_back(static_cast<int>(c));
  return out;
}

}  // namespace

std::vector<RankBinding> plan_binding(const NodeFacts& node, int local_size) {
  std::vector<int> allowed = node.allowed_cpus;
  std::sort(allowed.begin(), allowed.end());
  NodeFacts facts = node;
  facts.allowed_cpus = allowed;
  std::vector<RankBinding> plan(static_cast<std::size_t>(local_size));
  if (allowed.empty()) return plan;

  if (node.gpus.empty()) {
    for (int r = 0; r < local_size; ++r) {
      auto& b = plan[static_cast<std::size_t>(r)];
      b.cpus = even_block(allowed, r, local_size);
      auto nics = nics_on(facts, numa_of_cpu(facts, b.cpus.front()));
      if (!nics.empty()) b.nic = nics[static_cast<std::size_t>(r) % nics.size()]->name;
    }
    return plan;
  }

  const auto gpu_count = static_cast<int>(node.gpus.size());
  // Ranks that share a NUMA node split its CPUs: count them first.
  std::map<int, std::vector<int>> ranks_on_numa;  // numa -> local ranks, in order
  for (int r = 0; r < local_size; ++r) ranks_on_numa[node.gpus[static_cast<std::size_t>(r % gpu_count)].numa_node].push_back(r);
  for (const auto& [numa, ranks] : ranks_on_numa) {
    std::vector<int> pool = allowed_on_node(facts, numa);
    if (pool.empty()) pool = allowed;  // node unknown, or none of its CPUs are ours
    const auto nics = nics_on(facts, numa);
    for (std::size_t k = 0; k < ranks.size(); ++k) {
      const int r = ranks[k];
      auto& b = plan[static_cast<std::size_t>(r)];
      b.gpu = node.gpus[static_cast<std::size_t>(r % gpu_count)].index;
      b.cpus = even_block(pool, static_cast<int>(k), static_cast<int>(ranks.size()));
      const auto& gpu = node.gpus[static_cast<std::size_t>(r % gpu_count)];
      if (node.gpu_nics_chosen) b.nic = gpu.nic;
      else if (!nics.empty()) b.nic = nics[k % nics.size()]->name;
    }
  }
  return plan;
}

std::map<std::string, std::string> binding_environment(const RankBinding& b) {
  std::map<std::string, std::string> env;
  if (b.gpu) {
    env["CUDA_VISIBLE_DEVICES"] = std::to_string(*b.gpu);
    // Without this CUDA orders GPUs fastest first, not by the PCI order we counted in.
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
  }
  if (b.nic) {
    env["UCX_NET_DEVICES"] = *b.nic + ":1";
    env["NCCL_IB_HCA"] = "=" + *b.nic;
  }
  return env;
}

std::string cpu_list_text(const std::vector<int>& cpus) {
  probe::CpuSet set;
  for (int c : cpus) set.set(static_cast<unsigned>(c));
  return set.to_list();
}

NodeFacts node_facts(const topology::Graph& g, std::vector<int> allowed_cpus) {
  using topology::VertexKind;
  NodeFacts facts;
  std::sort(allowed_cpus.begin(), allowed_cpus.end());
  facts.allowed_cpus = std::move(allowed_cpus);
  for (int c : g.of_kind(VertexKind::cpu)) {
    const auto& cpu = g.vertex(c).cpu;
    if (cpu.numa_id >= 0) facts.numa_cpus[cpu.numa_id] = parse_cpu_list(cpu.cpus);
  }
  const auto gpus = g.of_kind(VertexKind::gpu);
  std::map<int, std::string> best;  // GPU vertex -> its NIC's name
  for (const auto& choice : topology::best_nics(g))
    if (verbs_nic(g.vertex(choice.nic))) best[choice.gpu] = g.nic_name(choice.nic);
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    NodeFacts::Gpu gpu{static_cast<int>(i), topology::gpu_numa(g, gpus[i]), std::nullopt};
    if (auto it = best.find(gpus[i]); it != best.end()) gpu.nic = it->second;
    facts.gpus.push_back(gpu);
  }
  facts.gpu_nics_chosen = true;
  for (int n : g.of_kind(VertexKind::nic)) {
    if (!verbs_nic(g.vertex(n))) continue;
    const int cpu = g.cpu_of(n);
    facts.nics.push_back({g.nic_name(n), cpu < 0 ? -1 : g.vertex(cpu).cpu.numa_id});
  }
  return facts;
}

std::vector<RankBinding> plan_binding(const topology::Graph& g, const std::vector<int>& allowed_cpus,
                                      int local_size) {
  return plan_binding(node_facts(g, allowed_cpus), local_size);
}

std::vector<int> allowed_cpus_of_this_process() {
  std::vector<int> cpus;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof mask, &mask) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mask)) cpus.push_back(c);
  return cpus;
}

NodeFacts read_node_facts() { return node_facts(topology::live_topology(), allowed_cpus_of_this_process()); }

}  // namespace cairn::coll
