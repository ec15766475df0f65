#include "probe/ibverbs_live.h"

#include <infiniband/verbs.h>

#include "common/error.h"

namespace cairn::probe {

VerbsMtus query_verbs_mtus() {
  VerbsMtus out;
  int n = 0;
  ibv_device** list = ibv_get_device_list(&n);
  if (!list) return out;  // no verbs support in this kernel: no devices
  for (int i = 0; i < n; ++i) {
    ibv_context* ctx = ibv_open_device(list[i]);
    if (!ctx) continue;
    ibv_device_attr attr{};
    if (ibv_query_device(ctx, &attr) == 0) {
      for (int port = 1; port <= attr.phys_port_cnt; ++port) {
        ibv_port_attr pa{};
        if (ibv_query_port(ctx, static_cast<uint8_t>(port), &pa) == 0)
          out[ibv_get_device_name(list[i])][port] = 128 << static_cast<int>(pa.active_mtu);  // IBV_MTU_256 = 1
      }
    }
    ibv_close_device(ctx);
  }
  ibv_free_device_list(list);
  return out;
}

void apply_verbs_mtus(NodeInfo& node, const VerbsMtus& mtus) {
  for (auto& nic : node.nics) {
    auto dev = mtus.find(nic.name);
    if (dev == mtus.end()) continue;
    for (auto& port : nic.ports)
      if (auto it = dev->second.find(port.port); it != dev->second.end()) port.active_mtu = it->second;
  }
}

Json verbs_mtus_to_json(const VerbsMtus& mtus) {
  Json devices = Json::object();
  for (const auto& [dev, ports] : mtus)
    for (const auto& [port, mtu] : ports) devices[dev][std::to_string(port)] = mtu;
  return with_schema({{"active_mtu", devices}}, kVerbsSchema, 1);
}

VerbsMtus verbs_mtus_from_json(const Json& doc, const std::string& source) {
  require_schema(doc, kVerbsSchema, 1, source);
  auto devices = json_field<Json>(doc, "active_mtu", source);
  if (!devices.is_object()) fail(source, "field \"active_mtu\" must be an object of devices");
  VerbsMtus out;
  for (const auto& [dev, ports] : devices.items()) {
    if (!ports.is_object()) fail(source, "active_mtu." + dev + " must be an object of ports");
    for (const auto& [port, mtu] : ports.items()) {
      int p = 0;
      try {
        p = std::stoi(port);
      } catch (const std::exception&) {
        fail(source, "active_mtu." + dev + ": port \"" + port + "\" is not a number");
      }
      if (!mtu.is_number_integer() || mtu.get<long long>() < 0 || mtu.get<long long>() > (1 << 20))
        fail(source, "active_mtu." + dev + "." + port + " must be an MTU in bytes");
      out[dev][p] = mtu.get<int>();
    }
  }
  return out;
}

}  // namespace cairn::probe
