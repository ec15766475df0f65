// What `cairn tune --predict --cluster NAME --nodes N` prints: per collective and size,
// NCCL's choice of algorithm and protocol on that cluster and the time and bus bandwidth
// its cost model predicts (nccl_model.h), scaled by measured efficiencies where a
// calibration from a smaller run is given (calibration.h).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "common/json_io.h"
#include "topology/cluster.h"
#include "tuner/model/calibration.h"

namespace cairn::tuner {

struct PredictionRow {
  std::string collective;
  std::size_t bytes = 0;     // nccl-tests' size column
  std::string algorithm;     // NCCL's spelling: "Ring", "Tree", "PAT"
  std::string protocol;      // "LL", "LL128", "Simple"
  double time_us = 0;
  double algbw_gb_s = 0;
  double busbw_gb_s = 0;
  bool calibrated = false;   // measured efficiencies applied
};

// Every collective at every size on all GPUs of the cluster. `calibration`: NCCL family
// fits (fit_families on samples of "nccl:..." families, measured on a smaller run of the
// same node and network); empty for NCCL's model as it is. Throws cairn::Error for a
// collective NCCL's model lacks, a size of 0, or a one-GPU cluster.
std::vector<PredictionRow> predict_cluster(const topology::ClusterSpec& cluster,
                                           const std::vector<std::string>& collectives,
                                           const std::vector<std::size_t>& sizes,
                                           std::span<const FamilyFit> calibration = {});

// One collective on a group of the cluster's GPUs: `ranks_per_node` GPUs on each of
// `nodes` nodes (a TP group inside a node: nodes 1; a DP group of a TP x PP layout: one
// GPU on each of DP nodes). The same NCCL model as predict_cluster, on a communicator of
// that shape (nccl::comm_model(system, nodes, nranks)). `concurrent` groups of this shape
// run at once on every node and share its NICs (the 4 DP groups of a TP 4 layout on a
// 4-GPU node): the group's channel graph is laid over nics_per_node / concurrent NICs (a
// share of one NIC's rate when there are fewer NICs than groups). Throws cairn::Error for
// a shape the cluster cannot hold, fewer than 2 ranks, concurrent < 1, or a size of 0.
PredictionRow predict_group(const topology::ClusterSpec& cluster, const std::string& collective, std::size_t bytes,
                            int nodes, int ranks_per_node, int concurrent = 1,
                            std::span<const FamilyFit> calibration = {});

// The cluster, its channel graph and the model's assumptions, then a table (collective,
// size, algo/proto, time, algbw, busbw) within 100 columns, then the held-out error lines
// when `holdout` is given.
std::string format_prediction(const topology::ClusterSpec& cluster, const std::vector<PredictionRow>& rows,
                              const HoldoutReport* holdout = nullptr);

// The same for machines: schema "cairn.tune.prediction" v1,
//   {cluster, nodes, gpus_per_node, ranks, nccl_version: "2.28.9", assumptions: [...],
//    rows: [{collective, bytes, algorithm, protocol, time_us, algbw_gb_s, busbw_gb_s,
//            calibrated}],
//    holdout (when given): {families: [{family, fitted, held_out, median_abs_rel_error}],
//                           held_out, median_abs_rel_error}}.
Json prediction_to_json(const topology::ClusterSpec& cluster, const std::vector<PredictionRow>& rows,
                        const HoldoutReport* holdout = nullptr);

}  // namespace cairn::tuner
