#include "probe/node_json.h"

#include <cstdint>
#include <tuple>
#include <limits>
#include <type_traits>

#include "common/error.h"
#include "common/untrusted_text.h"
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

// One table of (JSON name, member) per struct serves both directions, so a field added to
// node.h is written and read by adding it once here.
template <typename S, typename T>
struct Field {
  const char* name;
  T S::*member;
};
template <typename S, typename T>
constexpr Field<S, T> field(const char* name, T S::*member) {
  return {name, member};
}

template <typename S, typename Fields>
Json write_fields(const S& s, const Fields& fields) {
  Json o = Json::object();
  std::apply([&](const auto&... f) { ((o[f.name] = s.*(f.member)), ...); }, fields);
  return o;
}

template <typename S, typename Fields>
void read_fields(const Json& o, S& s, const Fields& fields, const std::string& where) {
  std::apply([&](const auto&... f) { (get(o, f.name, s.*(f.member), where), ...); }, fields);
}

const auto kLinkFields = std::make_tuple(
    field("speed_gt_s", &PcieLink::speed_gt_s), field("width", &PcieLink::width),
    field("max_speed_gt_s", &PcieLink::max_speed_gt_s), field("max_width", &PcieLink::max_width),
    field("reported_gb_s", &PcieLink::reported_gb_s));

const auto kPciFields = std::make_tuple(
    field("bus_id", &PciDevice::bus_id), field("parent_bus_id", &PciDevice::parent_bus_id),
    field("class_id", &PciDevice::class_id), field("vendor_id", &PciDevice::vendor_id),
    field("device_id", &PciDevice::device_id), field("name", &PciDevice::name),
    field("numa_node", &PciDevice::numa_node), field("cpuset", &PciDevice::cpuset),
    field("os_devices", &PciDevice::os_devices));

const auto kPeerFields = std::make_tuple(
    field("remote_bus_id", &NvLinkPeer::remote_bus_id), field("remote_kind", &NvLinkPeer::remote_kind),
    field("links", &NvLinkPeer::links), field("bandwidth_gb_s", &NvLinkPeer::bandwidth_gb_s));

const auto kGpuFields = std::make_tuple(
    field("cuda_index", &GpuInfo::cuda_index), field("name", &GpuInfo::name), field("uuid", &GpuInfo::uuid),
    field("bus_id", &GpuInfo::bus_id), field("memory_bytes", &GpuInfo::memory_bytes),
    field("cc_major", &GpuInfo::cc_major), field("cc_minor", &GpuInfo::cc_minor),
    field("numa_node", &GpuInfo::numa_node), field("cpuset", &GpuInfo::cpuset),
    field("memory_numa_node", &GpuInfo::memory_numa_node), field("nvlinks_supported", &GpuInfo::nvlinks_supported),
    field("nvlinks_active", &GpuInfo::nvlinks_active), field("ecc_enabled", &GpuInfo::ecc_enabled),
    field("ecc_corrected", &GpuInfo::ecc_corrected), field("ecc_uncorrected", &GpuInfo::ecc_uncorrected),
    field("retired_pages", &GpuInfo::retired_pages), field("retirement_pending", &GpuInfo::retirement_pending),
    field("throttle_reasons", &GpuInfo::throttle_reasons), field("source", &GpuInfo::source));

const auto kPortFields = std::make_tuple(
    field("port", &NicPort::port), field("state", &NicPort::state), field("phys_state", &NicPort::phys_state),
    field("link_layer", &NicPort::link_layer), field("rate_gbit_s", &NicPort::rate_gbit_s),
    field("speed", &NicPort::speed), field("width", &NicPort::width), field("active_mtu", &NicPort::active_mtu),
    field("lid", &NicPort::lid), field("gid", &NicPort::gid), field("counters", &NicPort::counters));

const auto kNicFields = std::make_tuple(
    field("name", &NicInfo::name), field("bus_id", &NicInfo::bus_id), field("transport", &NicInfo::transport),
    field("fw_ver", &NicInfo::fw_ver), field("node_guid", &NicInfo::node_guid), field("netdevs", &NicInfo::netdevs),
    field("numa_node", &NicInfo::numa_node), field("cpuset", &NicInfo::cpuset));

const auto kNumaFields = std::make_tuple(
    field("os_index", &NumaNode::os_index), field("memory_bytes", &NumaNode::memory_bytes),
    field("cpuset", &NumaNode::cpuset), field("subtype", &NumaNode::subtype),
    field("gpu_bus_id", &NumaNode::gpu_bus_id), field("distances", &NumaNode::distances));

const auto kCpuFields = std::make_tuple(
    field("packages", &CpuSummary::packages), field("cores", &CpuSummary::cores), field("pus", &CpuSummary::pus),
    field("model", &CpuSummary::model), field("arch", &CpuSummary::arch));

const auto kNodeFields = std::make_tuple(
    field("hostname", &NodeInfo::hostname), field("source", &NodeInfo::source), field("notes", &NodeInfo::notes));

// A list of objects, each read by `one`.
template <typename T, typename F>
std::vector<T> read_list(const Json& o, const char* key, const std::string& where, F&& one) {
  std::vector<T> out;
  for (const auto& x : array_field(o, key, where)) out.push_back(one(x, where + ": " + key));
  return out;
}

template <typename T, typename F>
Json write_list(const std::vector<T>& items, F&& one) {
  Json out = Json::array();
  for (const auto& x : items) out.push_back(one(x));
  return out;
}

template <typename T, typename Fields>
T read_plain(const Json& o, const Fields& fields, const std::string& where) {
  T t;
  read_fields(o, t, fields, where);
  return t;
}

const Json& object_field(const Json& o, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = o.find(key);
  return it == o.end() ? kEmpty : *it;
}

Json pci_to_json(const PciDevice& d) {
  Json o = write_fields(d, kPciFields);
  o["kind"] = to_string(d.kind);
  o["link"] = write_fields(d.link, kLinkFields);
  return o;
}

PciDevice pci_from_json(const Json& o, const std::string& where) {
  auto d = read_plain<PciDevice>(o, kPciFields, where);
  std::string kind = "other";
  get(o, "kind", kind, where);
  d.kind = pci_kind_from_string(kind, where);
  read_fields(object_field(o, "link"), d.link, kLinkFields, where + " link");
  return d;
}

Json nic_to_json(const NicInfo& n) {
  Json o = write_fields(n, kNicFields);
  o["ports"] = write_list(n.ports, [](const NicPort& p) { return write_fields(p, kPortFields); });
  return o;
}

NicInfo nic_from_json(const Json& o, const std::string& where) {
  auto n = read_plain<NicInfo>(o, kNicFields, where);
  n.ports = read_list<NicPort>(o, "ports", where, [](const Json& x, const std::string& w) {
    return read_plain<NicPort>(x, kPortFields, w);
  });
  return n;
}

}  // namespace

PciKind pci_kind_from_string(const std::string& text, const std::string& source) {
  for (auto k : {PciKind::bridge, PciKind::gpu, PciKind::nic, PciKind::nvme, PciKind::nvswitch, PciKind::other})
    if (text == to_string(k)) return k;
  fail(source, "unknown PCI device kind " + quote_excerpt(text) + " (bridge, gpu, nic, nvme, nvswitch, other)");
}

Json gpu_to_json(const GpuInfo& g) {
  Json o = write_fields(g, kGpuFields);
  o["pcie"] = write_fields(g.pcie, kLinkFields);
  o["nvlink_peers"] = write_list(g.nvlink_peers, [](const NvLinkPeer& p) { return write_fields(p, kPeerFields); });
  return o;
}

GpuInfo gpu_from_json(const Json& o, const std::string& where) {
  auto g = read_plain<GpuInfo>(o, kGpuFields, where);
  read_fields(object_field(o, "pcie"), g.pcie, kLinkFields, where + " pcie");
  g.nvlink_peers = read_list<NvLinkPeer>(o, "nvlink_peers", where, [](const Json& x, const std::string& w) {
    return read_plain<NvLinkPeer>(x, kPeerFields, w);
  });
  return g;
}

Json node_to_json(const NodeInfo& n) {
  Json doc = write_fields(n, kNodeFields);
  doc["cpu"] = write_fields(n.cpu, kCpuFields);
  doc["numa"] = write_list(n.numa, [](const NumaNode& x) { return write_fields(x, kNumaFields); });
  doc["pci"] = write_list(n.pci, pci_to_json);
  doc["gpus"] = write_list(n.gpus, gpu_to_json);
  doc["nics"] = write_list(n.nics, nic_to_json);
  return with_schema(std::move(doc), kProbeSchema, kProbeSchemaVersion);
}

NodeInfo node_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kProbeSchema, kProbeSchemaVersion, source);
  auto n = read_plain<NodeInfo>(doc, kNodeFields, source);
  read_fields(object_field(doc, "cpu"), n.cpu, kCpuFields, source + ": cpu");
  n.numa = read_list<NumaNode>(doc, "numa", source, [](const Json& x, const std::string& w) {
    return read_plain<NumaNode>(x, kNumaFields, w);
  });
  n.pci = read_list<PciDevice>(doc, "pci", source, pci_from_json);
  n.gpus = read_list<GpuInfo>(doc, "gpus", source, gpu_from_json);
  n.nics = read_list<NicInfo>(doc, "nics", source, nic_from_json);
  return n;
}

NodeInfo read_node_json_file(const std::string& path) { return node_from_json(read_json_file(path), path); }

}  // namespace cairn::probe
