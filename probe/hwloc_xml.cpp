#include "probe/hwloc_xml.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include <pugixml.hpp>

#include "common/error.h"
#include "common/untrusted_text.h"
#include "common/text_file.h"
#include "probe/cpuset.h"
#include "probe/pci_class.h"

namespace cairn::probe {
namespace {

// A file nests objects a dozen levels deep; a deeper one is hostile or broken, and the
// walk below is recursive.
constexpr int kMaxDepth = 512;

// OS device types, normalised to hwloc 3's bit flags. hwloc 2 (XML version 2.x) wrote an
// enum (BLOCK=0, GPU=1, NETWORK=2, OPENFABRICS=3, DMA=4, COPROC=5); hwloc 3 writes a bit
// mask (STORAGE=1, MEMORY=2, GPU=4, COPROC=8, NETWORK=16, OPENFABRICS=32, DMA=64), so an
// InfiniBand HCA is 48 (network | openfabrics) and an NVML GPU 12 (gpu | coproc).
enum OsDevFlag : unsigned {
  kStorage = 1, kMemory = 2, kGpu = 4, kCoproc = 8, kNetwork = 16, kOpenFabrics = 32, kDma = 64
};

unsigned osdev_flags(unsigned long long raw, int major) {
  if (major >= 3) return static_cast<unsigned>(raw & 0x7f);
  static constexpr unsigned kV2[] = {kStorage, kGpu, kNetwork, kNetwork | kOpenFabrics, kDma, kCoproc};
  return raw < std::size(kV2) ? kV2[raw] : 0;
}

// ibv_port_state numbering, as hwloc's PortNState info carries it.
std::string ib_port_state_name(unsigned long long state) {
  static const char* kNames[] = {"NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER"};
  return state < std::size(kNames) ? kNames[state] : "UNKNOWN";
}

std::optional<unsigned long long> to_u64(std::string_view s, int base = 10) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// "KiB"/"MiB"/"GiB"-suffixed sizes in hwloc infos ("11796032KiB").
std::uint64_t parse_size_info(std::string_view s) {
  std::uint64_t mult = 1;
  for (auto [suffix, m] : {std::pair{"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"kB", 1ull << 10}}) {
    std::string_view sv(suffix);
    if (s.size() > sv.size() && s.substr(s.size() - sv.size()) == sv) {
      s.remove_suffix(sv.size());
      mult = m;
      break;
    }
  }
  auto v = to_u64(s);
  return v ? *v * mult : 0;
}

struct OsDev {
  std::string name;
  std::string subtype;
  unsigned flags = 0;
  int pci_index = -1;  // the PCI function it belongs to, -1 if none
  std::map<std::string, std::string> infos;

  std::string info(const std::string& key) const {
    auto it = infos.find(key);
    return it == infos.end() ? "" : it->second;
  }
};

// What a gp_index in a distances matrix refers to.
struct ObjRef {
  enum Kind { pci, osdev, numa, cpu, other } kind = other;
  int index = -1;
};

struct PciLocality {
  unsigned domain = 0, bus_min = 0, bus_max = 0;
  CpuSet cpuset;
};

class Reader {
 public:
  Reader(const std::string& source) : source_(source) {}

  NodeInfo read(const std::string& text) {
    pugi::xml_document doc;
    auto res = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
    if (res.status == pugi::status_out_of_memory)
      fail_out_of_memory(source_, "parse its " + std::to_string(text.size()) + " bytes of XML");
    if (!res)
      fail(source_, std::string("malformed XML (") + res.description() + " at byte " +
                        std::to_string(res.offset) + "); is the file complete?");
    auto topo = doc.child("topology");
    if (!topo) fail(source_, "not an hwloc XML export (no <topology> element)");
    read_version(topo);
    node_.source = "hwloc-xml:" + source_;

    for (auto loc : topo.children("pci_locality")) read_pci_locality(loc);
    read_infos(topo);
    Frame root;
    walk(topo, root, 0);
    if (node_.cpu.pus == 0 && node_.numa.empty() && node_.pci.empty())
      fail(source_, "the topology holds no objects (no PUs, NUMA nodes or PCI devices)");

    assign_pci_locality();
    attach_gpu_memory_nodes();
    classify_devices();
    for (auto d : topo.children("distances2")) read_numa_distances(d);
    build_gpus();
    build_nics();
    for (auto d : topo.children("distances2hetero")) read_nvlink_bandwidth(d);
    return std::move(node_);
  }

 private:
  // Context inherited from ancestors during the walk.
  struct Frame {
    const CpuSet* cpuset = nullptr;  // nearest ancestor with one
    int pci_index = -1;              // nearest PCI function or bridge
    std::string parent_bus_id;       // bus id of the upstream PCI bridge, "" below a host bridge
  };

  [[noreturn]] void bad(const std::string& problem) const { fail(source_, problem); }

  void read_version(const pugi::xml_node& topo) {
    std::string v = topo.attribute("version").as_string();
    if (v.empty())
      bad("hwloc 1.x XML (no topology version) is not supported; re-export it with hwloc 2 or 3 "
          "(lstopo --of xml)");
    auto dot = v.find('.');
    auto major = to_u64(std::string_view(v).substr(0, dot));
    if (!major || (*major != 2 && *major != 3))
      bad("unsupported hwloc XML version " + v + " (this reader knows 2.x and 3.0)");
    major_ = static_cast<int>(*major);
  }

  void read_infos(const pugi::xml_node& n) {
    for (auto info : n.children("info")) {
      std::string name = info.attribute("name").as_string();
      std::string value = info.attribute("value").as_string();
      if (name == "HostName" && node_.hostname.empty()) node_.hostname = value;
      if (name == "Architecture" && node_.cpu.arch.empty()) node_.cpu.arch = value;
    }
  }

  static std::string info_of(const pugi::xml_node& n, const char* key) {
    for (auto info : n.children("info"))
      if (std::strcmp(info.attribute("name").as_string(), key) == 0) return info.attribute("value").as_string();
    return "";
  }

  CpuSet parse_bitmap(const char* attr_value, const char* what) {
    auto s = CpuSet::from_hwloc_bitmap(attr_value);
    if (!s) bad(std::string("malformed ") + what + " bitmap " + quote_excerpt(attr_value));
    return *s;
  }

  void read_pci_locality(const pugi::xml_node& n) {
    auto domain = to_u64(n.attribute("domain").as_string(), 16);
    auto lo = to_u64(n.attribute("bus_min").as_string(), 16);
    auto hi = to_u64(n.attribute("bus_max").as_string(), 16);
    if (!domain || !lo || !hi) bad("malformed <pci_locality> (domain, bus_min, bus_max)");
    localities_.push_back({static_cast<unsigned>(*domain), static_cast<unsigned>(*lo),
                           static_cast<unsigned>(*hi), parse_bitmap(n.attribute("cpuset").as_string(), "pci_locality cpuset")});
  }

  void walk(const pugi::xml_node& parent, const Frame& frame, int depth) {
    if (depth > kMaxDepth) bad("objects nested deeper than " + std::to_string(kMaxDepth) + " levels");
    for (auto obj : parent.children("object")) {
      Frame f = frame;
      std::string type = obj.attribute("type").as_string();
      if (auto cs = obj.attribute("cpuset")) {
        cpusets_.push_back(std::make_unique<CpuSet>(parse_bitmap(cs.as_string(), "cpuset")));
        f.cpuset = cpusets_.back().get();
      }
      auto gp = to_u64(obj.attribute("gp_index").as_string());
      ObjRef ref;
      if (type == "Machine") {
        read_infos(obj);
      } else if (type == "Package") {
        ++node_.cpu.packages;
        if (node_.cpu.model.empty()) node_.cpu.model = info_of(obj, "CPUModel");
        ref.kind = ObjRef::cpu;
      } else if (type == "Core") {
        ++node_.cpu.cores;
      } else if (type == "PU") {
        ++node_.cpu.pus;
      } else if (type == "NUMANode") {
        ref = {ObjRef::numa, read_numa(obj)};
      } else if (type == "Bridge" || type == "PCIDev") {
        if (obj.attribute("pci_busid")) {
          int idx = read_pci(obj, type, f);
          ref = {ObjRef::pci, idx};
          f.pci_index = idx;
          f.parent_bus_id = node_.pci[idx].bus_id;
        } else {
          f.parent_bus_id.clear();  // a host bridge: below it devices hang off the root complex
        }
      } else if (type == "OSDev") {
        OsDev d;
        d.name = obj.attribute("name").as_string();
        d.subtype = obj.attribute("subtype").as_string();
        auto raw = to_u64(obj.attribute("osdev_type").as_string());
        d.flags = raw ? osdev_flags(*raw, major_) : 0;
        d.pci_index = f.pci_index;
        for (auto info : obj.children("info")) d.infos[info.attribute("name").as_string()] = info.attribute("value").as_string();
        if (d.pci_index >= 0) node_.pci[d.pci_index].os_devices.push_back(d.name);
        osdevs_.push_back(std::move(d));
        ref = {ObjRef::osdev, static_cast<int>(osdevs_.size() - 1)};
      }
      if (gp) by_gp_[*gp] = ref;
      walk(obj, f, depth + 1);
    }
  }

  int read_numa(const pugi::xml_node& obj) {
    NumaNode n;
    auto os = to_u64(obj.attribute("os_index").as_string());
    if (!os || *os > 1u << 20) bad("NUMANode without a valid os_index");
    n.os_index = static_cast<int>(*os);
    n.memory_bytes = to_u64(obj.attribute("local_memory").as_string()).value_or(0);
    n.subtype = obj.attribute("subtype").as_string();
    // hwloc gives a memory-only node its parent's CPUs; the node itself has none.
    if (n.subtype != "GPUMemory") {
      if (auto cs = obj.attribute("cpuset")) {
        auto set = parse_bitmap(cs.as_string(), "NUMANode cpuset");
        n.cpuset = set.to_list();
        numa_cpus_.push_back(set);
      } else {
        numa_cpus_.emplace_back();
      }
    } else {
      n.gpu_bus_id = lower(info_of(obj, "PCIBusID"));
      numa_cpus_.emplace_back();
    }
    node_.numa.push_back(std::move(n));
    return static_cast<int>(node_.numa.size() - 1);
  }

  int read_pci(const pugi::xml_node& obj, const std::string& type, const Frame& f) {
    PciDevice d;
    d.bus_id = lower(obj.attribute("pci_busid").as_string());
    d.parent_bus_id = f.parent_bus_id;
    // "0302 [10de:1db8] [10de:131d] a1 00": class, [vendor:device], [subsystem], revision.
    std::string pci_type = obj.attribute("pci_type").as_string();
    auto tokens = split_ws(pci_type);
    if (tokens.size() < 2) bad("PCI device " + d.bus_id + ": malformed pci_type " + quote_excerpt(pci_type));
    auto cls = to_u64(tokens[0], 16);
    auto ids = tokens[1];
    auto colon = ids.find(':');
    if (!cls || ids.size() < 5 || ids.front() != '[' || ids.back() != ']' || colon == std::string_view::npos)
      bad("PCI device " + d.bus_id + ": malformed pci_type " + quote_excerpt(pci_type));
    auto vendor = to_u64(ids.substr(1, colon - 1), 16);
    auto device = to_u64(ids.substr(colon + 1, ids.size() - colon - 2), 16);
    if (!vendor || !device || *cls > 0xffff || *vendor > 0xffff || *device > 0xffff)
      bad("PCI device " + d.bus_id + ": malformed pci_type " + quote_excerpt(pci_type));
    d.class_id = static_cast<std::uint32_t>(*cls);
    d.vendor_id = static_cast<std::uint16_t>(*vendor);
    d.device_id = static_cast<std::uint16_t>(*device);
    // hwloc writes the link's usable bandwidth in GB/s (10^9 B/s); 0 where unknown.
    d.link.reported_gb_s = obj.attribute("pci_link_speed").as_double(0);
    if (!(d.link.reported_gb_s >= 0 && d.link.reported_gb_s < 1e6)) d.link.reported_gb_s = 0;
    std::string vname = info_of(obj, "PCIVendor"), dname = info_of(obj, "PCIDevice");
    d.name = vname.empty() ? dname : dname.empty() ? vname : vname + " " + dname;
    if (type == "Bridge") d.kind = PciKind::bridge;
    subtypes_.push_back(obj.attribute("subtype").as_string());
    models_.push_back(dname);
    locality_.push_back(f.cpuset);
    node_.pci.push_back(std::move(d));
    return static_cast<int>(node_.pci.size() - 1);
  }

  const CpuSet* pci_locality_fallback(const std::string& bus_id) const {
    unsigned domain = 0, bus = 0;
    auto colon = bus_id.find(':');
    if (colon == std::string::npos) return nullptr;
    auto d = to_u64(std::string_view(bus_id).substr(0, colon), 16);
    auto b = to_u64(std::string_view(bus_id).substr(colon + 1, 2), 16);
    if (!d || !b) return nullptr;
    domain = static_cast<unsigned>(*d);
    bus = static_cast<unsigned>(*b);
    for (const auto& l : localities_)
      if (l.domain == domain && bus >= l.bus_min && bus <= l.bus_max) return &l.cpuset;
    return nullptr;
  }

  // The NUMA node with CPUs that a CPU set falls in; -1 when it spans several or none.
  int numa_of(const CpuSet& cpus) const {
    int found = -1;
    for (std::size_t i = 0; i < node_.numa.size(); ++i) {
      if (numa_cpus_[i].empty() || !numa_cpus_[i].intersects(cpus)) continue;
      if (found >= 0) return -1;
      found = node_.numa[i].os_index;
    }
    return found;
  }

  // The tree is authoritative; <pci_locality> (hwloc 3) covers devices it left out of it.
  void assign_pci_locality() {
    for (std::size_t i = 0; i < node_.pci.size(); ++i) {
      const CpuSet* cs = locality_[i] ? locality_[i] : pci_locality_fallback(node_.pci[i].bus_id);
      if (!cs) continue;
      node_.pci[i].cpuset = cs->to_list();
      node_.pci[i].numa_node = numa_of(*cs);
    }
  }

  void attach_gpu_memory_nodes() {
    for (const auto& n : node_.numa) {
      if (n.gpu_bus_id.empty()) continue;
      for (std::size_t i = 0; i < node_.pci.size(); ++i)
        if (node_.pci[i].bus_id == n.gpu_bus_id) gpu_memory_node_[i] = n.os_index;
    }
  }

  void classify_devices() {
    for (std::size_t i = 0; i < node_.pci.size(); ++i) {
      auto& d = node_.pci[i];
      if (d.kind == PciKind::bridge) continue;
      bool openfabrics = std::any_of(osdevs_.begin(), osdevs_.end(), [&](const OsDev& o) {
        return o.pci_index == static_cast<int>(i) && (o.flags & kOpenFabrics);
      });
      d.kind = classify_pci(d.class_id, d.vendor_id, subtypes_[i], openfabrics);
      // hwloc makes a GPU memory node only for an NVIDIA GPU; the function may hide its ids.
      if (d.kind == PciKind::other && gpu_memory_node_.count(i)) d.kind = PciKind::gpu;
    }
  }

  std::vector<std::string_view> tokens_of(const pugi::xml_node& n, const char* child) {
    std::vector<std::string_view> out;
    for (auto c : n.children(child)) {
      auto t = split_ws(c.child_value());
      out.insert(out.end(), t.begin(), t.end());
    }
    return out;
  }

  // Values of an nbobjs x nbobjs matrix, row-major, spread over several <u64values>.
  std::vector<std::uint64_t> matrix_of(const pugi::xml_node& n, std::size_t nbobjs, const std::string& what) {
    auto tokens = tokens_of(n, "u64values");
    if (nbobjs == 0 || nbobjs > 65536 || tokens.size() != nbobjs * nbobjs)
      bad(what + ": " + std::to_string(tokens.size()) + " values for " + std::to_string(nbobjs) +
          " objects (expected nbobjs squared)");
    std::vector<std::uint64_t> values;
    values.reserve(tokens.size());
    for (auto t : tokens) {
      auto v = to_u64(t);
      if (!v) bad(what + ": value " + quote_excerpt(std::string(t)) + " is not an integer");
      values.push_back(*v);
    }
    return values;
  }

  void read_numa_distances(const pugi::xml_node& d) {
    if (std::string(d.attribute("type").as_string()) != "NUMANode") return;
    std::string name = d.attribute("name").as_string();
    // Only latencies make a NUMA distance matrix; hwloc may carry bandwidths too.
    if (!name.empty() && name != "NUMALatency") return;
    std::string what = "distances2 " + (name.empty() ? std::string("NUMANode") : name);
    std::size_t n = d.attribute("nbobjs").as_ullong(0);
    auto idx = tokens_of(d, "indexes");
    if (idx.size() != n) bad(what + ": " + std::to_string(idx.size()) + " indexes for nbobjs=" + std::to_string(n));
    auto values = matrix_of(d, n, what);
    bool by_os = std::string(d.attribute("indexing").as_string()) == "os";
    std::vector<int> pos(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      auto v = to_u64(idx[i]);
      if (!v) bad(what + ": index " + quote_excerpt(std::string(idx[i])) + " is not an integer");
      for (std::size_t k = 0; k < node_.numa.size(); ++k) {
        bool match = by_os ? node_.numa[k].os_index == static_cast<long long>(*v)
                           : (by_gp_.count(*v) && by_gp_[*v].kind == ObjRef::numa && by_gp_[*v].index == static_cast<int>(k));
        if (match) pos[i] = static_cast<int>(k);
      }
      if (pos[i] < 0) bad(what + ": index " + std::string(idx[i]) + " names no NUMA node in the file");
    }
    for (auto& node : node_.numa) node.distances.assign(node_.numa.size(), 0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) node_.numa[pos[i]].distances[pos[j]] = values[i * n + j];
  }

  std::string gpu_name(int pci_index, const std::vector<const OsDev*>& devs) const {
    for (const char* backend : {"nvml", "cuda"})
      for (auto* o : devs)
        if (o->name.rfind(backend, 0) == 0 && !o->info("GPUModel").empty()) return o->info("GPUModel");
    const auto& d = node_.pci[pci_index];
    if (!models_[pci_index].empty()) return models_[pci_index];
    if (!d.name.empty()) return d.name;
    char buf[32];
    std::snprintf(buf, sizeof buf, "NVIDIA GPU [%04x:%04x]", d.vendor_id, d.device_id);
    return buf;
  }

  std::vector<const OsDev*> osdevs_of(int pci_index) const {
    std::vector<const OsDev*> out;
    for (const auto& o : osdevs_)
      if (o.pci_index == pci_index) out.push_back(&o);
    return out;
  }

  void build_gpus() {
    std::vector<int> order;
    for (std::size_t i = 0; i < node_.pci.size(); ++i)
      if (node_.pci[i].kind == PciKind::gpu) order.push_back(static_cast<int>(i));
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return node_.pci[a].bus_id < node_.pci[b].bus_id; });
    for (int i : order) {
      const auto& d = node_.pci[i];
      auto devs = osdevs_of(i);
      GpuInfo g;
      g.bus_id = d.bus_id;
      g.name = gpu_name(i, devs);
      g.pcie = d.link;
      g.numa_node = d.numa_node;
      g.cpuset = d.cpuset;
      g.source = "hwloc";
      for (auto* o : devs) {
        if (g.uuid.empty()) g.uuid = o->info("NVIDIAUUID");
        if (o->name.rfind("cuda", 0) == 0) {
          if (auto idx = to_u64(std::string_view(o->name).substr(4)); idx && *idx < 1u << 16) g.cuda_index = static_cast<int>(*idx);
          if (auto mem = parse_size_info(o->info("CUDAGlobalMemorySize"))) g.memory_bytes = mem;
        }
      }
      if (auto it = gpu_memory_node_.find(i); it != gpu_memory_node_.end()) {
        g.memory_numa_node = it->second;
        for (const auto& n : node_.numa)
          if (n.os_index == it->second && g.memory_bytes == 0) g.memory_bytes = n.memory_bytes;
      }
      gpu_of_pci_[i] = static_cast<int>(node_.gpus.size());
      node_.gpus.push_back(std::move(g));
    }
  }

  NicInfo nic_base(int pci_index) const {
    const auto& d = node_.pci[pci_index];
    NicInfo n;
    n.bus_id = d.bus_id;
    n.numa_node = d.numa_node;
    n.cpuset = d.cpuset;
    return n;
  }

  // One NicInfo per verbs device; a Cassini function or a plain Ethernet function (with a
  // network interface) is one NIC too. Virtual functions without an OS device are not.
  void build_nics() {
    for (std::size_t i = 0; i < node_.pci.size(); ++i) {
      if (node_.pci[i].kind != PciKind::nic) continue;
      auto devs = osdevs_of(static_cast<int>(i));
      std::vector<std::string> netdevs;
      for (auto* o : devs)
        if ((o->flags & kNetwork) && !(o->flags & kOpenFabrics)) netdevs.push_back(o->name);
      bool verbs = false;
      for (auto* o : devs) {
        if (!(o->flags & kOpenFabrics)) continue;
        verbs = true;
        NicInfo n = nic_base(static_cast<int>(i));
        n.name = o->name;
        n.transport = "ibverbs";
        n.netdevs = netdevs;
        n.node_guid = o->info("NodeGUID");
        read_hwloc_ports(*o, n);
        node_.nics.push_back(std::move(n));
      }
      if (verbs) continue;
      bool cassini = node_.pci[i].vendor_id == kVendorHpeCray;
      if (!cassini && netdevs.empty()) continue;
      NicInfo n = nic_base(static_cast<int>(i));
      n.name = netdevs.empty() ? node_.pci[i].bus_id : netdevs.front();
      n.transport = cassini ? "slingshot-cxi" : "ethernet";
      n.netdevs = netdevs;
      node_.nics.push_back(std::move(n));
    }
  }

  // hwloc's OpenFabrics infos: Port<N>State, Port<N>LID, Port<N>GID0.
  static void read_hwloc_ports(const OsDev& o, NicInfo& n) {
    std::map<int, NicPort> ports;
    for (const auto& [key, value] : o.infos) {
      if (key.rfind("Port", 0) != 0) continue;
      std::size_t p = 4;
      while (p < key.size() && std::isdigit(static_cast<unsigned char>(key[p]))) ++p;
      auto num = to_u64(std::string_view(key).substr(4, p - 4));
      if (!num || *num > 255) continue;
      auto& port = ports[static_cast<int>(*num)];
      port.port = static_cast<int>(*num);
      auto field = key.substr(p);
      if (field == "State") {
        if (auto s = to_u64(value)) port.state = ib_port_state_name(*s);
      } else if (field == "LID") {
        if (auto l = to_u64(value, 16); l && *l <= 0xffff) port.lid = static_cast<std::uint32_t>(*l);
      } else if (field == "GID0") {
        port.gid = value;
      }
    }
    for (auto& [num, port] : ports) n.ports.push_back(std::move(port));
  }

  // NVLinkBandwidth (hwloc's NVML backend): MB/s from row object to column object, over
  // GPUs (by their NVML OS device), NVSwitches and CPUs (by PCI function or package).
  void read_nvlink_bandwidth(const pugi::xml_node& d) {
    if (std::string(d.attribute("name").as_string()) != "NVLinkBandwidth") return;
    const std::string what = "distances2hetero NVLinkBandwidth";
    std::size_t n = d.attribute("nbobjs").as_ullong(0);
    auto idx = tokens_of(d, "indexes");
    if (idx.size() != n) bad(what + ": " + std::to_string(idx.size()) + " indexes for nbobjs=" + std::to_string(n));
    auto values = matrix_of(d, n, what);
    std::vector<ObjRef> refs(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto colon = idx[i].find(':');
      auto gp = colon == std::string_view::npos ? std::nullopt : to_u64(idx[i].substr(colon + 1));
      if (!gp) bad(what + ": index " + quote_excerpt(std::string(idx[i])) + " is not Type:gp_index");
      auto it = by_gp_.find(*gp);
      if (it == by_gp_.end()) bad(what + ": index " + std::string(idx[i]) + " names no object in the file");
      refs[i] = it->second;
    }
    for (std::size_t i = 0; i < n; ++i) {
      int gpu = gpu_index(refs[i]);
      if (gpu < 0) continue;
      auto& g = node_.gpus[gpu];
      for (std::size_t j = 0; j < n; ++j) {
        std::uint64_t mb_s = values[i * n + j];
        if (j == i || mb_s == 0) continue;
        NvLinkPeer p;
        p.remote_kind = "unknown";
        int remote_pci = pci_of(refs[j]);
        if (refs[j].kind == ObjRef::cpu) p.remote_kind = "cpu";
        if (remote_pci >= 0) {
          p.remote_bus_id = node_.pci[remote_pci].bus_id;
          auto k = node_.pci[remote_pci].kind;
          p.remote_kind = k == PciKind::gpu ? "gpu" : k == PciKind::nvswitch ? "nvswitch" : "unknown";
        }
        p.bandwidth_gb_s = static_cast<double>(mb_s) / 1000.0;
        p.links = links_for(mb_s);
        g.nvlinks_active += p.links;
        g.nvlink_peers.push_back(std::move(p));
      }
    }
  }

  // hwloc counts 20 GB/s per link for NVLink 1 and 25 GB/s for NVLink 2-4 (one direction).
  static int links_for(std::uint64_t mb_s) {
    if (mb_s % 25000 == 0) return static_cast<int>(mb_s / 25000);
    if (mb_s % 20000 == 0) return static_cast<int>(mb_s / 20000);
    return 0;
  }

  int pci_of(const ObjRef& r) const {
    if (r.kind == ObjRef::pci) return r.index;
    if (r.kind == ObjRef::osdev) return osdevs_[r.index].pci_index;
    return -1;
  }

  int gpu_index(const ObjRef& r) const {
    int p = pci_of(r);
    auto it = gpu_of_pci_.find(p);
    return it == gpu_of_pci_.end() ? -1 : it->second;
  }

  std::string source_;
  int major_ = 0;
  NodeInfo node_;
  std::vector<std::unique_ptr<CpuSet>> cpusets_;
  std::vector<CpuSet> numa_cpus_;            // per node_.numa entry; empty for memory-only nodes
  std::vector<const CpuSet*> locality_;      // per node_.pci entry
  std::vector<std::string> subtypes_;        // per node_.pci entry
  std::vector<std::string> models_;          // per node_.pci entry: hwloc's PCIDevice info
  std::vector<PciLocality> localities_;
  std::vector<OsDev> osdevs_;
  std::map<unsigned long long, ObjRef> by_gp_;
  std::map<std::size_t, int> gpu_memory_node_;  // pci index -> NUMA os index
  std::map<int, int> gpu_of_pci_;               // pci index -> node_.gpus index
};

}  // namespace

NodeInfo parse_hwloc_xml(const std::string& text, const std::string& source) {
  return Reader(source).read(text);
}

NodeInfo read_hwloc_xml_file(const std::string& path) {
  return parse_hwloc_xml(read_text_file(path), path);
}

}  // namespace cairn::probe
