#include "collectives/launch/rank_binding.h"

#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "probe/cpuset.h"

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

std::string read_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

int read_int(const std::filesystem::path& p, int fallback) {
  try {
    return std::stoi(read_line(p), nullptr, 0);
  } catch (const std::exception&) {
    return fallback;
  }
}

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
      if (!nics.empty()) b.nic = nics[k % nics.size()]->name;
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

NodeFacts read_node_facts() {
  namespace fs = std::filesystem;
  NodeFacts facts;
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (::sched_getaffinity(0, sizeof mask, &mask) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &mask)) facts.allowed_cpus.push_back(c);

  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/devices/system/node", ec)) {
    const std::string name = e.path().filename();
    if (name.rfind("node", 0) != 0 || name.size() == 4) continue;
    try {
      facts.numa_cpus[std::stoi(name.substr(4))] = parse_cpu_list(read_line(e.path() / "cpulist"));
    } catch (const std::exception&) {
    }
  }

  std::vector<std::pair<std::string, int>> gpus;  // bus id, numa
  for (const auto& e : fs::directory_iterator("/sys/bus/pci/devices", ec)) {
    if (read_int(e.path() / "vendor", 0) != 0x10de) continue;
    const int cls = read_int(e.path() / "class", 0) >> 8;  // base class and subclass
    if (cls != 0x0300 && cls != 0x0302) continue;        // VGA or 3D controller
    gpus.emplace_back(e.path().filename(), read_int(e.path() / "numa_node", -1));
  }
  std::sort(gpus.begin(), gpus.end());
  for (std::size_t i = 0; i < gpus.size(); ++i)
    facts.gpus.push_back({static_cast<int>(i), gpus[i].second});

  for (const auto& e : fs::directory_iterator("/sys/class/infiniband", ec))
    facts.nics.push_back({e.path().filename(), read_int(e.path() / "device" / "numa_node", -1)});
  std::sort(facts.nics.begin(), facts.nics.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return facts;
}

}  // namespace cairn::coll
