#include "tuner/model/system_model.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "topology/link_model.h"
#include "topology/node_presets.h"
#include "topology/paths.h"
#include "tuner/model/nccl_constants.h"

namespace cairn::tuner {
namespace {

using topology::LinkKind;
using topology::VertexKind;

double nvlink_gb_s_of(const topology::Graph& g, int gpu) {
  double sum = 0;
  for (int l : g.links_of(gpu))
    if (g.link(l).kind == LinkKind::nvlink) sum += g.link(l).gb_s;
  return sum;
}

// A ring over the GPUs in display order: the slowest path between neighbours.
double slowest_ring_path_gb_s(const topology::Graph& g, const std::vector<int>& gpus) {
  double slowest = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const topology::Path p = topology::find_path(g, gpus[i], gpus[(i + 1) % gpus.size()]);
    slowest = std::min(slowest, p.bottleneck_gb_s);
  }
  return std::isfinite(slowest) ? slowest : 0;
}

// ncclTopoTuneModel enables LL128 by default (sm >= 90, NCCL_LL128_C2C=1) only when the
// intra-node path is NVLink-class (typeIntra <= PATH_NVB) and the GPU-to-NIC path is at
// most PATH_PXN (PIX, PXB, or P2C over Grace's C2C); never below sm70; below sm90
// only up to PXB.
bool nccl_default_enables_ll128(const topology::Graph& g, const std::vector<int>& gpus, bool intra_nvlink, int nodes,
                                int sm) {
  if (sm < 70) return false;  // pEnable &= !(minCompCap < 70 ...)
  if (gpus.size() > 1 && !intra_nvlink) return false;
  if (nodes <= 1) return true;
  for (const topology::NicChoice& c : topology::best_nics(g)) {
    const bool c2c = sm >= 90 && g.link_between(c.gpu, g.cpu_of(c.gpu), LinkKind::c2c) >= 0;
    const bool near = c.path.cls == topology::PathClass::pix || c.path.cls == topology::PathClass::pxb;
    if (!near && !c2c) return false;
  }
  return true;
}

}  // namespace

SystemModel system_model(const topology::ClusterSpec& cluster) {
  return system_model(topology::node_preset(cluster.node_type), cluster);
}

SystemModel system_model(const topology::Graph& g, const topology::ClusterSpec& cluster) {
  const std::string what = "cluster " + cluster.name;
  SystemModel s;
  s.name = cluster.name;
  s.node_type = cluster.node_type;
  s.nodes = cluster.nodes;
  const std::vector<int> gpus = g.of_kind(VertexKind::gpu);
  if (gpus.empty()) fail(what, "node type " + cluster.node_type + " has no GPU; NCCL's model needs GPUs");
  s.gpus_per_node = static_cast<int>(gpus.size());
  for (int gpu : gpus) {
    const auto& sm = g.vertex(gpu).gpu.sm;
    if (!sm) fail(what, g.name_of(gpu) + " of node type " + cluster.node_type + " has no compute capability (sm); set it in the topology");
    if (s.sm != 0 && *sm != s.sm)
      fail(what, "GPUs of compute capabilities " + std::to_string(s.sm) + " and " + std::to_string(*sm) +
                     " in one node: NCCL disables LL128 there and this model covers one GPU type only");
    s.sm = *sm;
  }
  s.nvswitch = !g.of_kind(VertexKind::nvswitch).empty();
  s.intra_nvlink = gpus.size() > 1 && nvlink_gb_s_of(g, gpus[0]) > 0;
  if (gpus.size() > 1) {
    s.intra_path_gb_s = slowest_ring_path_gb_s(g, gpus);
    s.intra_gpu_gb_s = s.intra_nvlink ? nvlink_gb_s_of(g, gpus[0]) : s.intra_path_gb_s;
  }
  const std::vector<int> cpus = g.of_kind(VertexKind::cpu);
  if (!cpus.empty()) {
    s.cpu_arch = g.vertex(cpus[0]).cpu.arch;
    s.cpu_vendor = g.vertex(cpus[0]).cpu.vendor;
  }
  s.transport = cluster.network.transport;
  s.nics_per_node = cluster.network.nics_per_node;
  s.nic_gb_s = topology::nccl_net_bandwidth_gb_s(static_cast<long long>(std::llround(cluster.network.link_gbit_s * 1000)));
  if (cluster.nodes > 1 && s.nics_per_node < 1)
    fail(what, "spans " + std::to_string(cluster.nodes) + " nodes but has no NIC (network.nics_per_node 0); give the NICs per node");
  double path = std::numeric_limits<double>::infinity();
  for (const topology::NicChoice& c : topology::best_nics(g)) path = std::min(path, c.path.bottleneck_gb_s);
  s.gpu_nic_path_gb_s = std::isfinite(path) ? path : s.nic_gb_s;
  s.ll128_enabled = nccl_default_enables_ll128(g, gpus, s.intra_nvlink, cluster.nodes, s.sm);
  if (!s.ll128_enabled) s.notes.push_back("LL128 off: NCCL enables it only over NVLink-class paths (tuning.cc, ncclTopoTuneModel)");
  if (s.transport == "slingshot-cxi") {
    s.ll128_enabled = false;
    s.notes.push_back("Slingshot: LL128 modelled as disabled (sites set NCCL_PROTO=^LL128, slower there since NCCL 2.27)");
  }
  s.notes.push_back("not modelled: NVLS, NVLSTree (NVSwitch multicast), CollNet (SHARP; off by default)");
  s.notes.push_back("channel graphs approximate NCCL's search (search.cc); the net's latency is taken as 0");
  return s;
}

ChannelGraph ring_graph(const SystemModel& s, int nodes) {
  const bool inter = nodes > 1;
  // system->maxBw: the best path a channel can take (GPU to GPU in one node, GPU to NET
  // across nodes; a ring across nodes also crosses the node, so its slower path bounds).
  double max_bw = s.intra_path_gb_s;
  if (inter) {
    const double net = std::min(s.nic_gb_s, s.gpu_nic_path_gb_s);
    max_bw = s.gpus_per_node > 1 ? std::min(net, s.intra_path_gb_s) : net;
  }
  const std::span<const double> speeds = nccl::search_speeds_gb_s(s.sm, inter);
  double speed = speeds.back();
  for (double v : speeds)
    if (v <= max_bw) {
      speed = v;
      break;
    }
  // Channels at that speed: one GPU's NVLink (or PCI path) is shared by every channel; a
  // ring across nodes enters and leaves each node through a NIC, a NIC carrying as many
  // channels as its bandwidth allows at that speed, and uses the node's NVLink on the other
  // (gpus - 1) / gpus of its hops.
  int channels = 1;
  if (!inter) {
    channels = static_cast<int>(std::floor(s.intra_gpu_gb_s / speed + 1e-9));
  } else {
    channels = s.nics_per_node * static_cast<int>(std::floor(s.nic_gb_s / speed + 1e-9));
    if (s.gpus_per_node > 1) {
      const double share = double(s.gpus_per_node - 1) / s.gpus_per_node;
      channels = std::min(channels, static_cast<int>(std::floor(s.intra_gpu_gb_s / (speed * share) + 1e-9)));
    }
  }
  channels = std::clamp(channels, 1, nccl::kMaxRingChannels);
  ChannelGraph r;
  r.channels = channels;
  r.bw_intra_gb_s = r.bw_inter_gb_s = speed;
  // ncclTopoDupChannels: channels doubled (bandwidth per channel halved) when the speed is
  // >= 25 GB/s, except on sm > 80 at below 50 GB/s with more than 4 channels.
  if (!(speed < 25.0) && !(s.sm > 80 && speed < 50.0 && channels > 4)) {
    const int dup = std::min(channels * 2, nccl::kMaxRingChannels);
    const int div = (dup + channels - 1) / channels;
    r.bw_intra_gb_s /= div;
    r.bw_inter_gb_s /= div;
    r.channels = dup;
  }
  return r;
}

}  // namespace cairn::tuner
