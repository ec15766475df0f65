#include "tuner/model/nccl_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "collectives/measure/harness/collective.h"
#include "common/error.h"

namespace cairn::tuner::nccl {
namespace {

// log2i (utils.h): floor(log2 n), -1 for n < 1.
int log2i(long n) {
  int l = -1;
  while (n > 0) {
    n >>= 1;
    ++l;
  }
  return l;
}

int node_index(int nnodes) { return nnodes <= 2 ? nnodes - 1 : 2; }  // index2

const ChannelGraph& graph_of(const CommModel& c, Algo a) {
  switch (a) {
    case Algo::tree: return c.tree;
    case Algo::pat: return c.pat;
    case Algo::nvls:
    case Algo::nvls_tree: return c.nvls;
    default: return c.ring;
  }
}

// The algorithms ncclTopoTuneModel models for a collective (the `continue`s at the top
// of its loops), less the ones this model has no graph for (CollNet: needs a CollNet
// plugin and SHARP-class switches, off by default).
bool modelled(Func f, Algo a, Proto p, const CommModel& c) {
  if (a == Algo::collnet_direct || a == Algo::collnet_chain) return false;
  if ((f == Func::broadcast || f == Func::reduce) && a != Algo::ring) return false;
  if ((f == Func::reduce_scatter || f == Func::all_gather) && a != Algo::pat && a != Algo::ring && a != Algo::nvls)
    return false;
  if (f == Func::all_reduce && a == Algo::pat) return false;
  if ((a == Algo::nvls || a == Algo::nvls_tree) && p != Proto::simple) return false;
  if (a == Algo::pat && (p != Proto::simple || !c.pat_enabled)) return false;
  // The enable pass: NVLSTree off on one node, NVLS off across nodes without CollNet
  // (AllGather/ReduceScatter NVLS across nodes also need CollNet heads).
  if (a == Algo::nvls_tree && c.nnodes == 1) return false;
  if (a == Algo::nvls && c.nnodes > 1) return false;
  if (p == Proto::ll128 && !c.ll128_enabled) return false;
  return true;
}

}  // namespace

Func parse_func(const std::string& collective) {
  if (collective == "all_reduce") return Func::all_reduce;
  if (collective == "all_gather") return Func::all_gather;
  if (collective == "reduce_scatter") return Func::reduce_scatter;
  if (collective == "broadcast") return Func::broadcast;
  if (collective == "reduce") return Func::reduce;
  fail("collective " + collective,
       "NCCL's cost model covers all_reduce, all_gather, reduce_scatter, broadcast and reduce; "
       "alltoall and sendrecv are point-to-point there");
}

const char* to_string(Func f) {
  switch (f) {
    case Func::broadcast: return "broadcast";
    case Func::reduce: return "reduce";
    case Func::all_gather: return "all_gather";
    case Func::reduce_scatter: return "reduce_scatter";
    case Func::all_reduce: return "all_reduce";
  }
  return "?";
}

double bus_factor(Func f, int nranks) { return coll::bench::find_collective(to_string(f)).bus_factor(nranks); }

CommModel comm_model(const SystemModel& s, int nodes) { return comm_model(s, nodes, s.gpus_per_node * nodes); }

CommModel comm_model(const SystemModel& s, int nodes, int nranks) {
  if (nodes >= 1 && nranks >= 2 && (nranks % nodes != 0 || nranks / nodes > s.gpus_per_node))
    fail("cluster " + s.name, std::to_string(nranks) + " ranks on " + std::to_string(nodes) +
                                  " nodes: give the same number of ranks on every node, at most " +
                                  std::to_string(s.gpus_per_node) + " (its GPUs per node)");
  if (nodes < 1 || nranks < 2)
    fail("cluster " + s.name, std::to_string(nranks) + " GPU" + (nranks == 1 ? "" : "s") +
                                  ": NCCL models no algorithm for a one-rank communicator (its collectives are copies); "
                                  "give 2 or more GPUs (--nodes)");
  CommModel c;
  c.nranks = nranks;
  c.nnodes = nodes;
  c.sm = s.sm;
  // typeIntra == LINK_NVL; with one GPU per node the graph's typeIntra is PATH_LOC, so PCI.
  c.intra_hw = s.intra_nvlink && nranks / nodes > 1 ? Hw::nvlink : Hw::pci;
  c.ring = c.tree = c.pat = ring_graph(s, nodes);
  c.cpu_amd = s.cpu_vendor == "AuthenticAMD";
  c.net_overhead_us = net_overhead_us(s.cpu_arch, s.cpu_vendor);
  c.ll128_enabled = s.ll128_enabled;
  // ncclPatEnable with NCCL_PAT_ENABLE unset: sm >= 60, one GPU per node, host network.
  c.pat_enabled = s.sm >= 60 && nodes == nranks;
  c.net_latency_us = s.net_latency_us;
  return c;
}

CostTable tune_model(const CommModel& c, Func f) {
  CostTable t;
  const Arch arch = arch_of(c.sm);
  const int ai = static_cast<int>(arch);
  const int index2 = node_index(c.nnodes);
  // llMaxBws: one node, by GPU; several, by CPU vendor (index1).
  const int index1 = c.nnodes == 1 ? ai : (c.cpu_amd ? 1 : 0);
  const double ll_max_bw = kLlMaxBwGbS[index1][index2];
  const double per_ch_max_tree = kPerChannelMaxTreeGbS[ai][index2];
  const double per_ch_max_ring_ll128 = kPerChannelMaxRingLl128GbS[ai][index2];
  const double per_ch_max_tree_ll128 = kPerChannelMaxTreeLl128GbS[ai][index2];
  const double per_ch_max_nvls_tree = kPerChannelMaxNvlsTreeGbS[ai][index2];
  const double ppn = double(c.nranks) / c.nnodes;
  const int nsteps = f == Func::all_reduce ? 2 * (c.nranks - 1)
                     : f == Func::reduce_scatter || f == Func::all_gather ? c.nranks - 1
                                                                           : c.nranks;
  for (int ia = 0; ia < kNumAlgos; ++ia) {
    const Algo a = static_cast<Algo>(ia);
    const ChannelGraph& g = graph_of(c, a);
    const Hw intra_hw = c.intra_hw;
    const Hw hw = c.nnodes == 1 ? intra_hw : Hw::net;
    for (int ip = 0; ip < kNumProtos; ++ip) {
      const Proto p = static_cast<Proto>(ip);
      if (!modelled(f, a, p, c) || g.channels < 1) continue;
      // bw = bwIntra on up to 2 nodes, else bwInter; busBw = nChannels x bw.
      double bw = c.nnodes <= 2 ? g.bw_intra_gb_s : g.bw_inter_gb_s;
      if (a == Algo::nvls || a == Algo::nvls_tree) {
        if (g.channels < 2) continue;  // NVLS needs at least 2 channels
        double intra_bw = g.bw_intra_gb_s * kNvlsEfficiency[ai] * (g.channels - 1) / g.channels;
        intra_bw *= f == Func::all_reduce ? 2.0 : (ppn - 1) / ppn;  // all_reduce pipelines two operations
        const double inter_bw = g.bw_inter_gb_s * ((c.nnodes <= 2 && a == Algo::nvls_tree) ? 2 : 1);
        bw = std::min({intra_bw, inter_bw,
                       a == Algo::nvls_tree ? per_ch_max_nvls_tree : std::numeric_limits<double>::max()});
      }
      double bus_bw = g.channels * bw;
      // "Various model refinements".
      if (a == Algo::ring && p == Proto::ll) bus_bw = std::min(ll_max_bw, bus_bw * kRingLlShare);
      if (a == Algo::ring && p == Proto::ll128) bus_bw = std::min(bus_bw * kRingLl128Share, g.channels * per_ch_max_ring_ll128);
      if (a == Algo::tree && f == Func::all_reduce) bus_bw = std::min(bus_bw * kTreeAllReduceShare, g.channels * per_ch_max_tree);
      if (a == Algo::tree && p == Proto::ll) bus_bw = std::min(bus_bw * kTreeLlShare, ll_max_bw);
      if (a == Algo::tree && p == Proto::ll128)
        bus_bw = std::min(bus_bw * (c.nnodes == 1 ? kTreeLl128ShareOneNode : kTreeLl128ShareNodes),
                          g.channels * per_ch_max_tree_ll128);
      if (a == Algo::tree && c.tree_split_pattern) bus_bw *= kSplitTreeShare;
      if (a == Algo::pat) bus_bw *= kPatShare;
      // Bus to algorithm bandwidth, except for non-ring all_gather/reduce_scatter.
      if (!(a != Algo::ring && (f == Func::all_gather || f == Func::reduce_scatter))) {
        const double ratio = (a == Algo::ring || a == Algo::nvls || a == Algo::nvls_tree) ? double(c.nranks) / nsteps
                                                                                          : kTreeAlgBwRatio;
        bus_bw *= ratio;
      }
      t.bandwidth_gb_s[ia][ip] = bus_bw;

      // Latency: base, then per step by hop class.
      double lat = kBaseLatencyUs[ia][ip];
      double intra_lat = kHwLatencyUs[idx(intra_hw)][ia][ip];
      // One rank per node exposes the network's latency fully: Tree's NET figure.
      double inter_lat = ppn == 1 ? kHwLatencyUs[idx(Hw::net)][idx(Algo::tree)][ip] : kHwLatencyUs[idx(Hw::net)][ia][ip];
      inter_lat += c.net_latency_us;
      if (p == Proto::simple) inter_lat += c.net_latency_us;  // the flush
      if (a == Algo::ring) {
        if (f == Func::reduce || f == Func::broadcast) {
          double step_lat = kHwLatencyUs[idx(hw)][ia][ip];
          if (g.same_channels) {
            lat += step_lat;
          } else {
            if (p == Proto::simple) step_lat = kHwLatencyUs[idx(hw)][idx(Algo::tree)][ip];
            lat += nsteps * step_lat;
          }
        } else {
          // Inter-node rings launch nsteps network operations: the post overhead (x3 Simple).
          double net_overhead = 0;
          if (c.nnodes > 1) net_overhead = c.net_overhead_us * (p == Proto::simple ? 3 : 1);
          intra_lat = std::max(intra_lat, net_overhead);
          const int inter_steps = c.nnodes == 1 ? 0 : f == Func::all_reduce ? 2 * (c.nnodes - 1) : c.nnodes - 1;
          lat += (nsteps - inter_steps) * intra_lat + inter_steps * inter_lat;
        }
      } else if (a == Algo::tree) {
        if (f == Func::all_reduce) lat += 2 * ((c.nranks / c.nnodes - 1) * intra_lat + log2i(c.nnodes) * inter_lat);
      } else if (a == Algo::nvls) {
        lat = intra_lat + (c.nnodes > 1 ? inter_lat : 0);
      } else if (a == Algo::nvls_tree) {
        lat += intra_lat + 2 * log2i(c.nnodes) * inter_lat;
      } else if (a == Algo::pat) {
        if (f == Func::all_gather || f == Func::reduce_scatter)
          lat += log2i(c.nnodes) * (inter_lat / kPatLogLatencyDivisor) + c.nranks * kPatLinearLatencyUs;
      }
      t.latency_us[ia][ip] = lat;
    }
  }
  return t;
}

double algo_time_us(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes) {
  return evaluate(c, t, f, a, p, bytes).time_us;
}

Terms terms(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes) {
  Terms out;
  double bw = t.bandwidth_gb_s[idx(a)][idx(p)];
  double lat = t.latency_us[idx(a)][idx(p)];
  if (bw <= 0) return out;
  if (a == Algo::tree && f == Func::all_reduce) bw *= tree_correction_factor(p, bytes);
  // The ring's plateau: Simple all_reduce across nodes once each channel and rank has 64 B
  // (comm->nChannels, taken as the ring graph's channel count).
  if (a == Algo::ring && p == Proto::simple && c.nnodes > 1 && f == Func::all_reduce &&
      std::floor(bytes / (double(c.ring.channels) * c.nranks)) >= kRingPlateauMinBytesPerChannelRank)
    lat *= c.sm < 80 ? kRingPlateauLatencyPreAmpere : kRingPlateauLatency;
  out.enabled = true;
  out.latency_us = lat;
  out.bytes_us = bytes / (1000.0 * bw);
  return out;
}

Choice evaluate(const CommModel& c, const CostTable& t, Func f, Algo a, Proto p, double bytes, const Efficiency& eff) {
  Choice out;
  out.algo = a;
  out.proto = p;
  const Terms x = terms(c, t, f, a, p, bytes);
  if (!x.enabled) {
    out.time_us = -1;
    return out;
  }
  out.time_us = eff.latency_scale[idx(a)][idx(p)] * x.latency_us + eff.byte_scale[idx(a)][idx(p)] * x.bytes_us;
  out.algbw_gb_s = out.time_us > 0 ? bytes / (out.time_us * 1e3) : 0;
  out.busbw_gb_s = out.algbw_gb_s * bus_factor(f, c.nranks);
  return out;
}

Choice choose(const CommModel& c, Func f, double bytes, const Efficiency& eff) {
  const CostTable t = tune_model(c, f);
  Choice best;
  best.time_us = -1;
  for (int ia = 0; ia < kNumAlgos; ++ia)
    for (int ip = 0; ip < kNumProtos; ++ip) {
      const Choice e = evaluate(c, t, f, static_cast<Algo>(ia), static_cast<Proto>(ip), bytes, eff);
      if (e.time_us >= 0 && (best.time_us < 0 || e.time_us < best.time_us)) best = e;
    }
  if (best.time_us < 0) fail(std::string("collective ") + to_string(f), "no algorithm and protocol is enabled in NCCL's model here");
  return best;
}

}  // namespace cairn::tuner::nccl
