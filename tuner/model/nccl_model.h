// NCCL 2.28.9's cost model, term by term (src/graph/tuning.cc): ncclTopoTuneModel fills a
// latency (us) and a bandwidth (GB/s) per collective x algorithm x protocol from the
// channel graphs, and ncclTopoGetAlgoTime turns one into a time for a size,
//   time = latency + nBytes / (1000 x bandwidth)          (us, bytes, GB/s),
// with Tree's size-dependent correction and Ring's plateau factor; NCCL runs the pair of
// least time (enqueue.cc, topoGetAlgoInfo). nBytes is nccl-tests' size column: the whole
// buffer (all_gather and reduce_scatter: nRanks x the per-rank count, as
// ncclFuncMaxSendRecvCount gives it).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "tuner/model/nccl_constants.h"
#include "tuner/model/system_model.h"

namespace cairn::tuner::nccl {

// ncclFunc_t's collectives, by nccl-tests name.
enum class Func { broadcast, reduce, all_gather, reduce_scatter, all_reduce };
// "all_reduce", "all_gather", "reduce_scatter", "broadcast", "reduce"; throws cairn::Error
// naming the collective and these for any other (alltoall and sendrecv are point-to-point
// in NCCL and have no entry in its cost model).
Func parse_func(const std::string& collective);
const char* to_string(Func f);

// What ncclTopoTuneModel reads of a communicator.
struct CommModel {
  int nranks = 0;
  int nnodes = 0;
  int sm = 0;
  Hw intra_hw = Hw::nvlink;       // graphs[a]->typeIntra == LINK_NVL ? NVLINK : PCI
  ChannelGraph ring, tree, pat;   // graphs[RING], graphs[TREE], graphs[PAT] (the tree's)
  ChannelGraph nvls;              // graphs[NVLS]; channels 0: none (no NVSwitch, several nodes)
  bool cpu_amd = false;           // cpuVendor AMD or mixed: llMaxBws row 1 across nodes
  double net_overhead_us = 1.0;   // getNetOverhead
  bool ll128_enabled = true;      // after NCCL's default rule and NCCL_PROTO
  bool tree_split_pattern = false;  // maxTreePattern == NCCL_TOPO_PATTERN_TREE (x 0.85)
  bool pat_enabled = false;       // ncclPatEnable: sm >= 60 and one GPU per node
  double net_latency_us = 0;      // graphs[a]->latencyInter
};

// The communicator of all GPUs of `nodes` nodes of the system. Throws cairn::Error when it
// has one rank: NCCL runs no algorithm there (ncclTopoTuneModel returns before modelling,
// a one-rank collective is a copy).
CommModel comm_model(const SystemModel& s, int nodes);
// nranks GPUs over nnodes nodes of the system (nranks / nnodes per node, at most its GPUs
// per node; the same channel graphs). Throws cairn::Error naming the shape otherwise.
CommModel comm_model(const SystemModel& s, int nnodes, int nranks);

// comm->latencies / comm->bandwidths for one collective; bandwidth 0 where NCCL leaves the
// pair out or disables it. Bandwidth is the algorithm bandwidth NCCL divides bytes by
// (ring: bus bandwidth x nRanks / nsteps; tree all_reduce: x 0.5).
struct CostTable {
  AlgoProtoTable latency_us{};
  AlgoProtoTable bandwidth_gb_s{};
};
CostTable tune_model(const CommModel& c, Func f);

// ncclTopoGetAlgoTime's two terms, with numPipeOps 1: the latency (Ring/Simple's plateau
// factor applied) and nBytes / (1000 x bandwidth) (Tree's correction applied); enabled
// false where the pair's bandwidth is 0.
struct Terms {
  bool enabled = false;
  double latency_us = 0;
  double bytes_us = 0;
};
Terms terms(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes);

// ncclTopoGetAlgoTime with numPipeOps 1: -1 where the pair is disabled.
double algo_time_us(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes);

struct Choice {
  Algo algo = Algo::ring;
  Proto proto = Proto::simple;
  double time_us = 0;
  double algbw_gb_s = 0;  // nccl-tests: bytes / time
  double busbw_gb_s = 0;  // algbw x nccl-tests' bus factor
};
// Measured efficiencies of each pair's two terms (calibration.h): time = latency_scale x
// latency + byte_scale x nBytes / (1000 x bandwidth). All 1: NCCL's model as it is.
struct Efficiency {
  AlgoProtoTable latency_scale = ones();
  AlgoProtoTable byte_scale = ones();
  static AlgoProtoTable ones() {
    AlgoProtoTable t;
    for (auto& row : t) row.fill(1.0);
    return t;
  }
};

// The pair of least time over the enabled ones, NCCL's order on ties (algorithm, then
// protocol, first wins), with each pair's time scaled by `eff`.
Choice choose(const CommModel& c, Func f, double bytes, const Efficiency& eff = {});
// One pair's time and bandwidths; time -1 where disabled.
Choice evaluate(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes,
                const Efficiency& eff = {});

// nccl-tests' bus factor of the collective at nranks (collectives/measure/harness).
double bus_factor(Func f, int nranks);

}  // namespace cairn::tuner::nccl
