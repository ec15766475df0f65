#include "tuner/model/predict.h"

#include <fmt/format.h>

#include "common/error.h"
#include "tuner/model/nccl_model.h"
#include "tuner/model/system_model.h"

namespace cairn::tuner {

namespace {

// Whether a fitted NCCL family of `collective` calibrates its predictions.
bool is_calibrated(std::span<const FamilyFit> calibration, const std::string& collective) {
  for (const FamilyFit& fit : calibration)
    if (fit.collective == collective && is_nccl_family(fit.family)) return true;
  return false;
}

PredictionRow prediction_row(const std::string& collective, std::size_t bytes, const nccl::Choice& c, bool calibrated) {
  PredictionRow r;
  r.collective = collective;
  r.bytes = bytes;
  r.algorithm = nccl::to_string(c.algo);
  r.protocol = nccl::to_string(c.proto);
  r.time_us = c.time_us;
  r.algbw_gb_s = c.algbw_gb_s;
  r.busbw_gb_s = c.busbw_gb_s;
  r.calibrated = calibrated;
  return r;
}

}  // namespace

std::vector<PredictionRow> predict_cluster(const topology::ClusterSpec& cluster,
                                           const std::vector<std::string>& collectives,
                                           const std::vector<std::size_t>& sizes,
                                           std::span<const FamilyFit> calibration) {
  const SystemModel system = system_model(cluster);
  const nccl::CommModel comm = nccl::comm_model(system, cluster.nodes);
  std::vector<PredictionRow> rows;
  for (const std::string& name : collectives) {
    const nccl::Func f = nccl::parse_func(name);
    const nccl::Efficiency eff = nccl_efficiency(calibration, name);
    const bool calibrated = is_calibrated(calibration, name);
    for (std::size_t bytes : sizes) {
      if (bytes == 0) fail("size 0", "a prediction needs a size of at least 1 byte");
      const nccl::Choice c = nccl::choose(comm, f, static_cast<double>(bytes), eff);
      rows.push_back(prediction_row(name, bytes, c, calibrated));
    }
  }
  return rows;
}

PredictionRow predict_group(const topology::ClusterSpec& cluster, const std::string& collective, std::size_t bytes,
                            int nodes, int ranks_per_node, int concurrent, std::span<const FamilyFit> calibration) {
  if (bytes == 0) fail("size 0", "a prediction needs a size of at least 1 byte");
  if (concurrent < 1) fail("cluster " + cluster.name, "concurrent groups per node must be 1 or more");
  topology::ClusterSpec shared = cluster;
  if (nodes > 1 && concurrent > 1) {
    const int nics = cluster.network.nics_per_node;
    if (nics >= concurrent && nics % concurrent == 0) {
      shared.network.nics_per_node = nics / concurrent;
    } else {  // one NIC at the group's share of the node's rate
      shared.network.nics_per_node = 1;
      shared.network.link_gbit_s = cluster.network.link_gbit_s * nics / concurrent;
    }
  }
  const SystemModel system = system_model(shared);
  if (nodes < 1 || nodes > cluster.nodes)
    fail("cluster " + cluster.name, "a group of " + std::to_string(nodes) + " nodes: give 1 to " +
                                        std::to_string(cluster.nodes) + " (its nodes)");
  const nccl::CommModel comm = nccl::comm_model(system, nodes, nodes * ranks_per_node);
  const nccl::Func f = nccl::parse_func(collective);
  const nccl::Choice c = nccl::choose(comm, f, static_cast<double>(bytes), nccl_efficiency(calibration, collective));
  return prediction_row(collective, bytes, c, is_calibrated(calibration, collective));
}

std::string format_prediction(const topology::ClusterSpec& cluster, const std::vector<PredictionRow>& rows,
                              const HoldoutReport* holdout) {
  const SystemModel s = system_model(cluster);
  const ChannelGraph g = ring_graph(s, cluster.nodes);
  std::string out;
  out += fmt::format("# NCCL 2.28.9's cost model on {}: {} node{} x {} GPUs (sm {}) = {} ranks\n", cluster.name,
                     cluster.nodes, cluster.nodes == 1 ? "" : "s", s.gpus_per_node, s.sm, s.gpus_per_node * cluster.nodes);
  out += fmt::format("# network: {} x {:.0f} GB/s NICs per node ({})\n", s.nics_per_node, s.nic_gb_s,
                     s.transport.empty() ? "none given" : s.transport);
  out += fmt::format("# ring/tree graph: {} channels x {:.1f} GB/s intra, {:.1f} GB/s inter; LL128 {}\n", g.channels,
                     g.bw_intra_gb_s, g.bw_inter_gb_s, s.ll128_enabled ? "on" : "off");
  for (const std::string& n : s.notes) out += "# " + n + "\n";
  bool any_calibrated = false;
  for (const PredictionRow& r : rows) any_calibrated = any_calibrated || r.calibrated;
  out += fmt::format("{:<16} {:>14} {:<16} {:>14} {:>12} {:>12}{}\n", "collective", "size (B)", "algo/proto", "time (us)",
                     "algbw GB/s", "busbw GB/s", any_calibrated ? "  calibrated" : "");
  for (const PredictionRow& r : rows)
    out += fmt::format("{:<16} {:>14} {:<16} {:>14.2f} {:>12.2f} {:>12.2f}{}\n", r.collective, r.bytes,
                       r.algorithm + "/" + r.protocol, r.time_us, r.algbw_gb_s, r.busbw_gb_s,
                       any_calibrated ? (r.calibrated ? "  yes" : "  no") : "");
  if (holdout)
    for (const std::string& line : format_holdout(*holdout)) out += line + "\n";
  return out;
}

Json prediction_to_json(const topology::ClusterSpec& cluster, const std::vector<PredictionRow>& rows,
                        const HoldoutReport* holdout) {
  const SystemModel s = system_model(cluster);
  Json doc = Json::object();
  doc["cluster"] = cluster.name;
  doc["nodes"] = cluster.nodes;
  doc["gpus_per_node"] = s.gpus_per_node;
  doc["ranks"] = s.gpus_per_node * cluster.nodes;
  doc["nccl_version"] = "2.28.9";
  doc["assumptions"] = s.notes;
  Json out_rows = Json::array();
  for (const PredictionRow& r : rows)
    out_rows.push_back({{"collective", r.collective},
                        {"bytes", r.bytes},
                        {"algorithm", r.algorithm},
                        {"protocol", r.protocol},
                        {"time_us", r.time_us},
                        {"algbw_gb_s", r.algbw_gb_s},
                        {"busbw_gb_s", r.busbw_gb_s},
                        {"calibrated", r.calibrated}});
  doc["rows"] = out_rows;
  if (holdout) {
    Json families = Json::array();
    for (const HoldoutLine& l : holdout->families)
      families.push_back({{"family", l.family},
                          {"fitted", l.fitted},
                          {"held_out", l.held_out},
                          {"median_abs_rel_error", l.median_abs_rel_error}});
    doc["holdout"] = {{"families", families},
                      {"held_out", holdout->held_out},
                      {"median_abs_rel_error", holdout->median_abs_rel_error}};
  }
  return with_schema(doc, "cairn.tune.prediction", 1);
}

}  // namespace cairn::tuner
