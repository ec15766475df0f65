#include "probe/ib_sysfs.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cairn::probe {
namespace {

std::optional<std::uint64_t> to_u64(std::string_view s, int base = 10) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

void read_counters(const SysfsRoot& sysfs, const std::string& dir, NicPort& port) {
  for (const auto& name : sysfs.list(dir))
    if (auto text = sysfs.read(dir + "/" + name))
      if (auto v = to_u64(*text)) port.counters[name] = *v;
}

NicPort read_port(const SysfsRoot& sysfs, const std::string& dir, int number) {
  NicPort p;
  p.port = number;
  if (auto s = sysfs.read(dir + "/state")) p.state = strip_state_number(*s);
  if (auto s = sysfs.read(dir + "/phys_state")) p.phys_state = strip_state_number(*s);
  if (auto s = sysfs.read(dir + "/link_layer")) p.link_layer = *s;
  if (auto s = sysfs.read(dir + "/rate"))
    if (auto r = parse_ib_rate(*s)) {
      p.rate_gbit_s = r->gbit_s;
      p.speed = r->speed;
      p.width = r->width;
    }
  if (auto s = sysfs.read(dir + "/lid"))
    if (auto v = to_u64(*s, 16); v && *v <= 0xffff) p.lid = static_cast<std::uint32_t>(*v);
  if (auto s = sysfs.read(dir + "/gids/0")) p.gid = *s;
  read_counters(sysfs, dir + "/counters", p);
  read_counters(sysfs, dir + "/hw_counters", p);
  return p;
}

// PCI_SLOT_NAME from the device's uevent: a plain file, so captures need no symlinks.
std::string pci_slot_of(const SysfsRoot& sysfs, const std::string& dev_dir) {
  auto uevent = sysfs.read(dev_dir + "/device/uevent");
  if (!uevent) return "";
  std::string_view text(*uevent);
  const std::string_view key = "PCI_SLOT_NAME=";
  auto pos = text.find(key);
  if (pos == std::string_view::npos) return "";
  auto end = text.find('\n', pos);
  std::string slot(text.substr(pos + key.size(), end == std::string_view::npos ? end : end - pos - key.size()));
  for (auto& c : slot) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return slot;
}

}  // namespace

std::optional<IbRate> parse_ib_rate(std::string_view text) {
  IbRate r;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), r.gbit_s);
  if (ec != std::errc() || !(r.gbit_s > 0 && r.gbit_s < 1e5)) return std::nullopt;
  std::string_view rest(p, static_cast<std::size_t>(text.data() + text.size() - p));
  const std::string_view unit = " Gb/sec";
  if (rest.rfind(unit, 0) != 0) return std::nullopt;
  rest.remove_prefix(unit.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return r;
  // "(4X NDR)"
  if (rest.front() != '(' || rest.back() != ')') return std::nullopt;
  rest = rest.substr(1, rest.size() - 2);
  auto x = rest.find('X');
  if (x == std::string_view::npos) return std::nullopt;
  int width = 0;
  auto [wp, wec] = std::from_chars(rest.data(), rest.data() + x, width);
  if (wec != std::errc() || wp != rest.data() + x || width <= 0 || width > 32) return std::nullopt;
  r.width = width;
  rest.remove_prefix(x + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.size() > 16) return std::nullopt;
  r.speed = std::string(rest);
  return r;
}

std::string strip_state_number(std::string_view text) {
  auto colon = text.find(':');
  if (colon != std::string_view::npos) text.remove_prefix(colon + 1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return std::string(text);
}

std::vector<NicInfo> read_ib_devices(const SysfsRoot& sysfs) {
  std::vector<NicInfo> out;
  for (const auto& name : sysfs.list("class/infiniband")) {
    std::string dir = "class/infiniband/" + name;
    NicInfo n;
    n.name = name;
    n.transport = "ibverbs";
    n.fw_ver = sysfs.read(dir + "/fw_ver").value_or("");
    n.node_guid = sysfs.read(dir + "/node_guid").value_or("");
    n.bus_id = pci_slot_of(sysfs, dir);
    n.netdevs = sysfs.list(dir + "/device/net");
    for (const auto& port : sysfs.list(dir + "/ports"))
      if (auto num = to_u64(port); num && *num < 256)
        n.ports.push_back(read_port(sysfs, dir + "/ports/" + port, static_cast<int>(*num)));
    std::sort(n.ports.begin(), n.ports.end(), [](const NicPort& a, const NicPort& b) { return a.port < b.port; });
    out.push_back(std::move(n));
  }
  return out;
}

void merge_ib_devices(NodeInfo& node, std::vector<NicInfo> devices) {
  for (auto& dev : devices) {
    auto it = std::find_if(node.nics.begin(), node.nics.end(), [&](const NicInfo& n) { return n.name == dev.name; });
    if (it == node.nics.end() && !dev.bus_id.empty())
      it = std::find_if(node.nics.begin(), node.nics.end(), [&](const NicInfo& n) {
        return n.bus_id == dev.bus_id && n.transport != "ibverbs";
      });
    if (it == node.nics.end()) {
      if (const auto* pci = node.find_pci(dev.bus_id)) {
        dev.numa_node = pci->numa_node;
        dev.cpuset = pci->cpuset;
      }
      node.nics.push_back(std::move(dev));
      continue;
    }
    // hwloc's copy knows the locality; sysfs knows the state now.
    for (const auto& nd : it->netdevs)
      if (std::find(dev.netdevs.begin(), dev.netdevs.end(), nd) == dev.netdevs.end()) dev.netdevs.push_back(nd);
    dev.numa_node = it->numa_node;
    dev.cpuset = it->cpuset;
    if (dev.bus_id.empty()) dev.bus_id = it->bus_id;
    *it = std::move(dev);
  }
}

void read_netdev_ports(const SysfsRoot& sysfs, NodeInfo& node) {
  for (auto& nic : node.nics) {
    if (nic.transport == "ibverbs" || nic.netdevs.empty() || !nic.ports.empty()) continue;
    std::string dir = "class/net/" + nic.netdevs.front();
    auto oper = sysfs.read(dir + "/operstate");
    if (!oper) continue;
    NicPort p;
    p.port = 1;
    p.link_layer = "Ethernet";
    p.state = *oper == "up" ? "ACTIVE" : *oper == "down" ? "DOWN" : *oper;
    // speed is in Mb/s, -1 (or an EINVAL read) while the link is down.
    if (auto s = sysfs.read(dir + "/speed"))
      if (auto v = to_u64(*s); v && *v < 10'000'000) p.rate_gbit_s = static_cast<double>(*v) / 1000.0;
    if (auto m = sysfs.read(dir + "/mtu"))
      if (auto v = to_u64(*m); v && *v < 1'000'000) p.active_mtu = static_cast<int>(*v);
    nic.ports.push_back(std::move(p));
  }
}

}  // namespace cairn::probe
