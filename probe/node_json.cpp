#include "probe/node_json.h"

#include <cstdint>
#include <limits>
#include <type_traits>

#include "common/error.h"
#include "probe/pci_class.h"

namespace cairn::probe {
namespace {

// Reads obj[key] into out when present; a present field of the wrong type is an error
// naming the field (absent fields keep their defaults, so older writers stay readable).
template <typename T>
void get(const Json& obj, const char* key, T& out, const std::string& where) {
  if (!obj.is_object()) fail(where, "expected a JSON object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  auto wrong = [&](const char* what) { fail(where, std::string("field \"") + key + "\" " + what); };
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // Whole numbers that fit: a float or an out-of-range value would be silently changed.
    if (it->is_number_unsigned()) {
      auto v = it->template get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) wrong("is out of range");
      out = static_cast<T>(v);
    } else if (it->is_number_integer()) {
      auto v = it->template get<std::int64_t>();
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
        wrong("is out of range");
      out = static_cast<T>(v);
    } else {
      wrong("must be a whole number");
    }
  } else {
    try {
      out = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      wrong("has the wrong type");
    }
  }
}

const Json& array_field(const Json& obj, const char* key, const std::string& where) {
  static const Json kEmpty = Json::array();
  if (!obj.is_object()) fail(where, "expected a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) return kEmpty;
  if (!it->is_array()) fail(where, std::string("field \"") + key + "\" must be an array");
  return *it;
}

Json link_to_json(const PcieLink& l) {
  return {{"speed_gt_s", l.speed_gt_s}, {"width", l.width}, {"max_speed_gt_s", l.max_speed_gt_s},
          {"max_width", l.max_width}, {"reported_gb_s", l.reported_gb_s}};
}

PcieLink link_from_json(const Json& o, const std::string& where) {
  PcieLink l;
  get(o, "speed_gt_s", l.speed_gt_s, where);
  get(o, "width", l.width, where);
  get(o, "max_speed_gt_s", l.max_speed_gt_s, where);
  get(o, "max_width", l.max_width, where);
  get(o, "reported_gb_s", l.reported_gb_s, where);
  return l;
}

Json pci_to_json(const PciDevice& d) {
  return {{"bus_id", d.bus_id},       {"parent_bus_id", d.parent_bus_id}, {"kind", to_string(d.kind)},
          {"class_id", d.class_id},   {"vendor_id", d.vendor_id},         {"device_id", d.device_id},
          {"name", d.name},           {"numa_node", d.numa_node},         {"cpuset", d.cpuset},
          {"link", link_to_json(d.link)}, {"os_devices", d.os_devices}};
}

PciDevice pci_from_json(const Json& o, const std::string& where) {
  PciDevice d;
  get(o, "bus_id", d.bus_id, where);
  get(o, "parent_bus_id", d.parent_bus_id, where);
  std::string kind = "other";
  get(o, "kind", kind, where);
  d.kind = pci_kind_from_string(kind, where);
  get(o, "class_id", d.class_id, where);
  get(o, "vendor_id", d.vendor_id, where);
  get(o, "device_id", d.device_id, where);
  get(o, "name", d.name, where);
  get(o, "numa_node", d.numa_node, where);
  get(o, "cpuset", d.cpuset, where);
  if (o.contains("link")) d.link = link_from_json(o.at("link"), where + " link");
  get(o, "os_devices", d.os_devices, where);
  return d;
}

Json port_to_json(const NicPort& p) {
  return {{"port", p.port},           {"state", p.state},   {"phys_state", p.phys_state},
          {"link_layer", p.link_layer}, {"rate_gbit_s", p.rate_gbit_s}, {"speed", p.speed},
          {"width", p.width},         {"active_mtu", p.active_mtu}, {"lid", p.lid},
          {"gid", p.gid},             {"counters", p.counters}};
}

NicPort port_from_json(const Json& o, const std::string& where) {
  NicPort p;
  get(o, "port", p.port, where);
  get(o, "state", p.state, where);
  get(o, "phys_state", p.phys_state, where);
  get(o, "link_layer", p.link_layer, where);
  get(o, "rate_gbit_s", p.rate_gbit_s, where);
  get(o, "speed", p.speed, where);
  get(o, "width", p.width, where);
  get(o, "active_mtu", p.active_mtu, where);
  get(o, "lid", p.lid, where);
  get(o, "gid", p.gid, where);
  get(o, "counters", p.counters, where);
  return p;
}

Json nic_to_json(const NicInfo& n) {
  Json ports = Json::array();
  for (const auto& p : n.ports) ports.push_back(port_to_json(p));
  return {{"name", n.name},         {"bus_id", n.bus_id},       {"transport", n.transport},
          {"fw_ver", n.fw_ver},     {"node_guid", n.node_guid}, {"netdevs", n.netdevs},
          {"ports", ports},         {"numa_node", n.numa_node}, {"cpuset", n.cpuset}};
}

NicInfo nic_from_json(const Json& o, const std::string& where) {
  NicInfo n;
  get(o, "name", n.name, where);
  get(o, "bus_id", n.bus_id, where);
  get(o, "transport", n.transport, where);
  get(o, "fw_ver", n.fw_ver, where);
  get(o, "node_guid", n.node_guid, where);
  get(o, "netdevs", n.netdevs, where);
  for (const auto& p : array_field(o, "ports", where)) n.ports.push_back(port_from_json(p, where + " port"));
  get(o, "numa_node", n.numa_node, where);
  get(o, "cpuset", n.cpuset, where);
  return n;
}

}  // namespace

PciKind pci_kind_from_string(const std::string& text, const std::string& source) {
  for (auto k : {PciKind::bridge, PciKind::gpu, PciKind::nic, PciKind::nvme, PciKind::nvswitch, PciKind::other})
    if (text == to_string(k)) return k;
  fail(source, "unknown PCI device kind \"" + text + "\" (bridge, gpu, nic, nvme, nvswitch, other)");
}

Json gpu_to_json(const GpuInfo& g) {
  Json peers = Json::array();
  for (const auto& p : g.nvlink_peers)
    peers.push_back({{"remote_bus_id", p.remote_bus_id}, {"remote_kind", p.remote_kind},
                     {"links", p.links}, {"bandwidth_gb_s", p.bandwidth_gb_s}});
  return {{"cuda_index", g.cuda_index},
          {"name", g.name},
          {"uuid", g.uuid},
          {"bus_id", g.bus_id},
          {"memory_bytes", g.memory_bytes},
          {"cc_major", g.cc_major},
          {"cc_minor", g.cc_minor},
          {"pcie", link_to_json(g.pcie)},
          {"numa_node", g.numa_node},
          {"cpuset", g.cpuset},
          {"memory_numa_node", g.memory_numa_node},
          {"nvlinks_supported", g.nvlinks_supported},
          {"nvlinks_active", g.nvlinks_active},
          {"nvlink_peers", peers},
          {"ecc_enabled", g.ecc_enabled},
          {"ecc_corrected", g.ecc_corrected},
          {"ecc_uncorrected", g.ecc_uncorrected},
          {"retired_pages", g.retired_pages},
          {"retirement_pending", g.retirement_pending},
          {"throttle_reasons", g.throttle_reasons},
          {"source", g.source}};
}

GpuInfo gpu_from_json(const Json& o, const std::string& where) {
  GpuInfo g;
  get(o, "cuda_index", g.cuda_index, where);
  get(o, "name", g.name, where);
  get(o, "uuid", g.uuid, where);
  get(o, "bus_id", g.bus_id, where);
  get(o, "memory_bytes", g.memory_bytes, where);
  get(o, "cc_major", g.cc_major, where);
  get(o, "cc_minor", g.cc_minor, where);
  if (o.contains("pcie")) g.pcie = link_from_json(o.at("pcie"), where + " pcie");
  get(o, "numa_node", g.numa_node, where);
  get(o, "cpuset", g.cpuset, where);
  get(o, "memory_numa_node", g.memory_numa_node, where);
  get(o, "nvlinks_supported", g.nvlinks_supported, where);
  get(o, "nvlinks_active", g.nvlinks_active, where);
  for (const auto& p : array_field(o, "nvlink_peers", where)) {
    NvLinkPeer peer;
    get(p, "remote_bus_id", peer.remote_bus_id, where + " nvlink_peers");
    get(p, "remote_kind", peer.remote_kind, where + " nvlink_peers");
    get(p, "links", peer.links, where + " nvlink_peers");
    get(p, "bandwidth_gb_s", peer.bandwidth_gb_s, where + " nvlink_peers");
    g.nvlink_peers.push_back(std::move(peer));
  }
  get(o, "ecc_enabled", g.ecc_enabled, where);
  get(o, "ecc_corrected", g.ecc_corrected, where);
  get(o, "ecc_uncorrected", g.ecc_uncorrected, where);
  get(o, "retired_pages", g.retired_pages, where);
  get(o, "retirement_pending", g.retirement_pending, where);
  get(o, "throttle_reasons", g.throttle_reasons, where);
  get(o, "source", g.source, where);
  return g;
}

Json node_to_json(const NodeInfo& n) {
  Json numa = Json::array(), pci = Json::array(), gpus = Json::array(), nics = Json::array();
  for (const auto& x : n.numa)
    numa.push_back({{"os_index", x.os_index}, {"memory_bytes", x.memory_bytes}, {"cpuset", x.cpuset},
                    {"subtype", x.subtype}, {"gpu_bus_id", x.gpu_bus_id}, {"distances", x.distances}});
  for (const auto& x : n.pci) pci.push_back(pci_to_json(x));
  for (const auto& x : n.gpus) gpus.push_back(gpu_to_json(x));
  for (const auto& x : n.nics) nics.push_back(nic_to_json(x));
  Json doc = {{"hostname", n.hostname},
              {"source", n.source},
              {"cpu", {{"packages", n.cpu.packages}, {"cores", n.cpu.cores}, {"pus", n.cpu.pus},
                       {"model", n.cpu.model}, {"arch", n.cpu.arch}}},
              {"numa", numa},
              {"pci", pci},
              {"gpus", gpus},
              {"nics", nics},
              {"notes", n.notes}};
  return with_schema(std::move(doc), kProbeSchema, kProbeSchemaVersion);
}

NodeInfo node_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kProbeSchema, kProbeSchemaVersion, source);
  NodeInfo n;
  get(doc, "hostname", n.hostname, source);
  get(doc, "source", n.source, source);
  if (doc.contains("cpu")) {
    const auto& c = doc.at("cpu");
    std::string where = source + ": cpu";
    get(c, "packages", n.cpu.packages, where);
    get(c, "cores", n.cpu.cores, where);
    get(c, "pus", n.cpu.pus, where);
    get(c, "model", n.cpu.model, where);
    get(c, "arch", n.cpu.arch, where);
  }
  for (const auto& x : array_field(doc, "numa", source)) {
    NumaNode m;
    std::string where = source + ": numa";
    get(x, "os_index", m.os_index, where);
    get(x, "memory_bytes", m.memory_bytes, where);
    get(x, "cpuset", m.cpuset, where);
    get(x, "subtype", m.subtype, where);
    get(x, "gpu_bus_id", m.gpu_bus_id, where);
    get(x, "distances", m.distances, where);
    n.numa.push_back(std::move(m));
  }
  for (const auto& x : array_field(doc, "pci", source)) n.pci.push_back(pci_from_json(x, source + ": pci"));
  for (const auto& x : array_field(doc, "gpus", source)) n.gpus.push_back(gpu_from_json(x, source + ": gpus"));
  for (const auto& x : array_field(doc, "nics", source)) n.nics.push_back(nic_from_json(x, source + ": nics"));
  get(doc, "notes", n.notes, source);
  return n;
}

NodeInfo read_node_json_file(const std::string& path) { return node_from_json(read_json_file(path), path); }

}  // namespace cairn::probe
