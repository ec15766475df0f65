#include "topology/topo_json.h"

#include "topology/paths.h"

namespace cairn::topology {
namespace {

template <typename T>
void put(Json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

Json vertex_json(const Graph& g, int v) {
  const auto& x = g.vertex(v);
  Json j = {{"name", g.name_of(v)}, {"kind", to_string(x.kind)}};
  if (!x.bus_id.empty()) j["bus_id"] = x.bus_id;
  if (x.up >= 0) j["up"] = g.name_of(x.up);
  switch (x.kind) {
    case VertexKind::cpu:
      j["numa"] = x.cpu.numa_id;
      j["cpus"] = x.cpu.cpus;
      if (!x.cpu.arch.empty()) j["arch"] = x.cpu.arch;
      if (!x.cpu.vendor.empty()) j["vendor"] = x.cpu.vendor;
      if (!x.cpu.model.empty()) j["model"] = x.cpu.model;
      break;
    case VertexKind::gpu:
      put(j, "sm", x.gpu.sm);
      put(j, "dev", x.gpu.dev);
      if (!x.gpu.model.empty()) j["model"] = x.gpu.model;
      break;
    case VertexKind::nic: {
      j["nic_name"] = g.nic_name(v);
      if (!x.nic.transport.empty()) j["transport"] = x.nic.transport;
      Json ports = Json::array();
      for (const auto& p : x.nic.ports) {
        Json pj = {{"name", p.name}};
        put(pj, "port", p.port);
        if (p.speed_mbit_s) pj["rate_gbit_s"] = static_cast<double>(*p.speed_mbit_s) / 1000.0;
        put(pj, "guid", p.guid);
        ports.push_back(pj);
      }
      j["ports"] = ports;
      break;
    }
    default:
      break;
  }
  if (x.kind != VertexKind::cpu && x.kind != VertexKind::net && x.pci.class_code) {
    char cls[16];
    std::snprintf(cls, sizeof cls, "0x%06x", x.pci.class_code);
    j["class"] = cls;
  }
  return j;
}

Json link_json(const Graph& g, const Link& l) {
  Json j = {{"a", g.name_of(l.a)}, {"b", g.name_of(l.b)}, {"kind", to_string(l.kind)}, {"gb_s", l.gb_s},
            {"latency_us", l.latency_us}};
  if (l.count) j["count"] = l.count;
  if (l.kind == LinkKind::pcie) {
    j["gt_s"] = l.pcie_gt_s;
    j["width"] = l.pcie_width;
  }
  if (!l.name.empty()) j["interconnect"] = l.name;
  return j;
}

}  // namespace

Json topology_to_json(const Graph& g) {
  Json doc = {{"source", g.source}, {"notes", g.notes}};
  Json vs = Json::array(), ls = Json::array();
  for (int v = 0; v < static_cast<int>(g.vertices().size()); ++v) vs.push_back(vertex_json(g, v));
  for (const auto& l : g.links()) ls.push_back(link_json(g, l));
  doc["vertices"] = vs;
  doc["links"] = ls;

  auto devs = g.of_kind(VertexKind::gpu);
  auto nics = g.of_kind(VertexKind::nic);
  devs.insert(devs.end(), nics.begin(), nics.end());
  Json names = Json::array(), rows = Json::array();
  for (int a : devs) {
    names.push_back(g.name_of(a));
    Json row = Json::array();
    for (int b : devs) row.push_back(to_string(find_path(g, a, b)));
    rows.push_back(row);
  }
  doc["matrix"] = {{"devices", names}, {"paths", rows}};

  Json gpus = Json::array();
  auto choices = best_nics(g);
  auto all_gpus = g.of_kind(VertexKind::gpu);
  for (std::size_t i = 0; i < all_gpus.size(); ++i) {
    int gpu = all_gpus[i];
    Json j = {{"name", g.name_of(gpu)}, {"bus_id", g.vertex(gpu).bus_id}, {"numa", gpu_numa(g, gpu)},
              {"cpus", gpu_cpus(g, gpu)}};
    if (i < choices.size()) {
      const auto& c = choices[i];
      j["nic"] = g.name_of(c.nic);
      j["nic_name"] = g.nic_name(c.nic);
      j["path"] = to_string(c.path);
      j["bottleneck_gb_s"] = c.path.bottleneck_gb_s;
    }
    gpus.push_back(j);
  }
  doc["gpus"] = gpus;
  return with_schema(doc, "cairn.topo", 1);
}

}  // namespace cairn::topology
