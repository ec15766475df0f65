#include "tuner/search/space.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "collectives/backends/ucx/algo_select.h"
#include "common/error.h"

namespace cairn::tuner {
namespace {

const std::vector<std::string>& known_collectives() {
  static const std::vector<std::string> names = {"all_reduce", "reduce_scatter", "all_gather", "broadcast",
                                                 "reduce",     "alltoall",       "sendrecv"};
  return names;
}

void check_collective(const std::string& collective, const char* what) {
  const auto& names = known_collectives();
  if (std::find(names.begin(), names.end(), collective) == names.end())
    throw Error(fmt::format("{}: unknown collective '{}'; use one of all_reduce, reduce_scatter, all_gather, "
                            "broadcast, reduce, alltoall, sendrecv",
                            what, collective));
}

Candidate default_candidate(const std::string& backend) {
  Candidate c;
  c.key = "default";
  c.family = backend + ":default";
  c.is_default = true;
  return c;
}

// ---- UCX ----

// The algorithms that run distinct code for `collective`, each under the AlgoConfig value
// that selects it; "pairwise" stands for alltoall's one algorithm (AlgoConfig automatic).
std::vector<std::pair<std::string, coll::Algorithm>> host_algorithms(const std::string& collective) {
  using coll::Algorithm;
  if (collective == "all_reduce") return {{"ring", Algorithm::ring}, {"tree", Algorithm::tree}, {"rhd", Algorithm::rhd}};
  if (collective == "broadcast" || collective == "reduce") return {{"ring", Algorithm::ring}, {"tree", Algorithm::tree}};
  if (collective == "reduce_scatter" || collective == "all_gather") return {{"ring", Algorithm::ring}};
  if (collective == "alltoall") return {{"pairwise", Algorithm::automatic}};
  return {};  // sendrecv
}

// Sorted distinct values after the backend's own clamping (equal effective values fold).
template <typename T>
std::vector<T> effective(const std::vector<T>& values, T lo, T hi, const char* knob) {
  std::set<T> out;
  for (T v : values) {
    if (v <= 0) throw Error(fmt::format("host search space: {} value {} must be positive", knob, v));
    out.insert(std::clamp(v, lo, hi));
  }
  if (out.empty()) throw Error(fmt::format("host search space: no {} values; give at least one", knob));
  return {out.begin(), out.end()};
}

// The default knobs first (the family's seed), the rest in grid order.
template <typename T>
std::vector<T> default_first(std::vector<T> values, T dflt) {
  auto it = std::find(values.begin(), values.end(), dflt);
  if (it != values.end()) std::rotate(values.begin(), it, it + 1);
  return values;
}

// ---- NCCL ----


// Algorithm x protocol pairs NCCL 2.28 may pick for the collective (graph/tuning.cc,
// ncclTopoTuneModel: broadcast and reduce run Ring only; reduce_scatter and all_gather Ring,
// PAT, NVLS and CollNet Direct; all_reduce everything but PAT; NVLS, NVLS Tree and both
// CollNets Simple only; PAT Simple only and only at one GPU per node, ncclPatEnable).
std::vector<std::pair<NcclAlgo, NcclProto>> nccl_algo_protos(const NcclSpaceContext& c) {
  std::vector<NcclAlgo> algos;
  const bool one_gpu_per_node = c.nnodes == c.nranks;
  if (c.collective == "broadcast" || c.collective == "reduce") {
    algos = {NcclAlgo::ring};
  } else if (c.collective == "reduce_scatter" || c.collective == "all_gather") {
    algos = {NcclAlgo::ring};
    if (one_gpu_per_node) algos.push_back(NcclAlgo::pat);
    if (c.nvls) algos.push_back(NcclAlgo::nvls);
    if (c.collnet) algos.push_back(NcclAlgo::collnet_direct);
  } else if (c.collective == "all_reduce") {
    algos = {NcclAlgo::ring, NcclAlgo::tree};
    if (c.collnet) algos.insert(algos.end(), {NcclAlgo::collnet_direct, NcclAlgo::collnet_chain});
    if (c.nvls) algos.insert(algos.end(), {NcclAlgo::nvls, NcclAlgo::nvls_tree});
  }
  std::vector<std::pair<NcclAlgo, NcclProto>> out;
  for (NcclAlgo a : algos) {
    const bool simple_only = a != NcclAlgo::ring && a != NcclAlgo::tree;
    for (NcclProto p : {NcclProto::simple, NcclProto::ll, NcclProto::ll128})
      if (!simple_only || p == NcclProto::simple) out.push_back({a, p});
  }
  return out;
}

struct EnvValues {
  std::string name;
  std::vector<std::string> values;
};

// Per-process variables that apply to the context, each value list with its reason
// (NCCL's env documentation, docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html).
std::vector<EnvValues> nccl_process_knobs(const NcclSpaceContext& c) {
  std::vector<EnvValues> out;
  // Default 4 MiB per channel buffer (NCCL_BUFFSIZE): smaller frees memory, larger keeps
  // more bytes in flight on long-latency networks.
  out.push_back({"NCCL_BUFFSIZE", {"1048576", "2097152", "8388608", "16777216"}});
  // Threads per block for Simple (512 by default on current GPUs): fewer threads leave SM
  // time to compute and may suffice below the link rate.
  out.push_back({"NCCL_NTHREADS", {"128", "256"}});
  if (c.nranks > c.nnodes)
    // How far peer-to-peer reaches inside a node: NVLink only, through PCI switches, the
    // host bridge, or across sockets.
    out.push_back({"NCCL_P2P_LEVEL", {"NVL", "PXB", "PHB", "SYS"}});
  if (c.nnodes > 1) {
    // Rings and trees may leave a node through another NIC than they came in by (0/1;
    // NCCL's default 2 lets NCCL decide).
    out.push_back({"NCCL_CROSS_NIC", {"0", "1"}});
    if (c.transport != NcclTransport::socket)
      // GPU Direct RDMA up to: same PCI switch, across switches, the host bridge, anywhere.
      out.push_back({"NCCL_NET_GDR_LEVEL", {"PIX", "PXB", "PHB", "SYS"}});
    if (c.transport == NcclTransport::infiniband) {
      // Several queue pairs per connection spread flows over ECMP / adaptive routing paths.
      out.push_back({"NCCL_IB_QPS_PER_CONNECTION", {"2", "4", "8"}});
    }
  }
  return out;
}

Candidate env_candidate(const std::string& family, const std::map<std::string, std::string>& env) {
  Candidate c;
  c.family = family;
  c.level = Level::per_process;
  c.process_env = env;
  std::string parts;
  for (const auto& [k, v] : env) parts += (parts.empty() ? "" : ",") + k + "=" + v;
  c.key = "nccl:env/" + parts;
  return c;
}

// The Slingshot set: what CSCS documents for NCCL on Alps (docs.cscs.ch, "NCCL" under
// software/communication) and HPE's shs-ccl-docs ccl_env.sh. NCCL_NET / NCCL_NET_PLUGIN
// select the plugin and are the site's setting, not a tuning knob: left out.
std::map<std::string, std::string> cscs_alps_environment() {
  return {
      {"NCCL_PROTO", "^LL128"},            // LL128 is slower on Slingshot since NCCL 2.27 (CSCS)
      {"NCCL_NET_GDR_LEVEL", "PHB"},
      {"NCCL_CROSS_NIC", "1"},
      {"FI_CXI_DEFAULT_CQ_SIZE", "131072"},
      {"FI_CXI_DEFAULT_TX_SIZE", "32768"},
      {"FI_CXI_DISABLE_HOST_REGISTER", "1"},
      {"FI_CXI_RX_MATCH_MODE", "software"},
      {"FI_MR_CACHE_MONITOR", "userfaultfd"},
  };
}

}  // namespace

std::vector<Candidate> host_space(const HostSpaceOptions& o) {
  check_collective(o.collective, "host search space");
  if (o.nranks < 1) throw Error(fmt::format("host search space: nranks {} must be at least 1", o.nranks));
  std::vector<Candidate> out{default_candidate("ucx")};
  const auto algos = host_algorithms(o.collective);
  if (algos.empty()) return out;
  const auto chunks = default_first(effective<std::size_t>(o.chunk_bytes, 1, SIZE_MAX, "chunk_bytes"),
                                    coll::detail::kDefaultChunkBytes);
  const auto depths = default_first(effective(o.pipeline_depths, 1, coll::detail::kMaxDepth, "pipeline_depth"),
                                    coll::detail::kDefaultDepth);
  // Pairwise alltoall runs at most nranks - 1 channels (algo_pairwise.cpp).
  const int max_channels = o.collective == "alltoall" ? std::max(1, o.nranks - 1) : coll::detail::kMaxChannels;
  const auto channels = default_first(effective(o.channels, 1, max_channels, "channels"), coll::detail::kDefaultChannels);
  for (const auto& [name, algorithm] : algos)
    for (std::size_t chunk : chunks)
      for (int depth : depths)
        for (int ch : channels) {
          Candidate c;
          c.family = "ucx:" + name;
          c.key = fmt::format("ucx:{}/c{}/d{}/k{}", name, chunk, depth, ch);
          c.host = coll::AlgoConfig{algorithm, chunk, depth, ch};
          out.push_back(std::move(c));
        }
  return out;
}

std::vector<Candidate> nccl_space(const NcclSpaceContext& ctx) {
  check_collective(ctx.collective, "NCCL search space");
  if (ctx.nranks < 1 || ctx.nnodes < 1 || ctx.nnodes > ctx.nranks)
    throw Error(fmt::format("NCCL search space: {} ranks on {} nodes; need 1 <= nnodes <= nranks", ctx.nranks, ctx.nnodes));
  std::vector<Candidate> out{default_candidate("nccl")};

  // Per call, answered by Cairn's plugin: channels 0 (NCCL's count) first as the family seed.
  std::vector<int> channels(ctx.channels.begin(), ctx.channels.end());
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  for (int ch : channels)
    if (ch < 0 || ch > 64) throw Error(fmt::format("NCCL search space: channel count {} outside 0..64", ch));
  for (const auto& [algo, proto] : nccl_algo_protos(ctx)) {
    const std::string family = fmt::format("nccl:{}/{}", to_string(algo), to_string(proto));
    for (int ch : channels) {
      Candidate c;
      c.family = family;
      c.key = fmt::format("{}/ch{}", family, ch);
      c.nccl.nccl_algorithm = algo;
      c.nccl.nccl_protocol = proto;
      c.nccl.channels = ch;
      out.push_back(std::move(c));
    }
  }

  // Per communicator: ncclConfig_t fields of 2.28 (nccl.h ncclConfig_v22800) that change
  // how collectives run. blocking, netName, splitShare, shrinkShare, commName,
  // trafficClass and collnetEnable change behaviour or routing, not the speed of a choice.
  auto comm = [&](const std::string& field, const std::vector<std::string>& values) {
    for (const std::string& v : values) {
      Candidate c;
      c.family = "nccl:default";
      c.level = Level::per_communicator;
      c.comm_config = {{field, v}};
      c.key = fmt::format("nccl:comm/{}={}", field, v);
      out.push_back(std::move(c));
    }
  };
  // A floor on channels (CTAs): mid sizes may gain from more parallel rings than NCCL's
  // model gives them.
  comm("minCTAs", {"4", "8", "16"});
  // A ceiling: fewer SMs taken from the model's compute, often at no loss below the link rate.
  comm("maxCTAs", {"4", "8", "16"});
  // Thread block clusters exist from sm_90; NCCL allows 1..8 (init.cc NCCL_MAX_CGA_CLUSTER_SIZE).
  if (ctx.compute_capability >= 90) comm("cgaClusterSize", {"1", "2", "8"});
  // NCCL_CTA_POLICY_EFFICIENCY (nccl.h): fewer CTAs where NCCL judges them enough.
  comm("CTAPolicy", {"1"});
  if (ctx.nvls) comm("nvlsCTAs", {"8", "16", "24"});  // SMs the NVLS kernels take
  if (ctx.nnodes > 1 && (ctx.collective == "alltoall" || ctx.collective == "sendrecv"))
    comm("nChannelsPerNetPeer", {"1", "2", "4", "8"});  // point-to-point channels per remote peer

  // Per process: one variable at a time from NCCL's defaults.
  for (const EnvValues& knob : nccl_process_knobs(ctx))
    for (const std::string& v : knob.values) out.push_back(env_candidate("nccl:default", {{knob.name, v}}));
  if (ctx.nnodes > 1 && ctx.transport == NcclTransport::infiniband)
    // Splitting each message over the queue pairs only means something with several of
    // them: one coordinate move from each NCCL_IB_QPS_PER_CONNECTION value.
    for (const char* qps : {"2", "4", "8"})
      out.push_back(env_candidate("nccl:default", {{"NCCL_IB_QPS_PER_CONNECTION", qps}, {"NCCL_IB_SPLIT_DATA_ON_QPS", "1"}}));
  if (ctx.nnodes > 1 && ctx.transport == NcclTransport::socket) {
    // Threads and sockets per connection for the socket transport (product <= 64): each
    // alone and each pair.
    for (const char* t : {"", "2", "4", "8"})
      for (const char* s : {"", "2", "4"}) {
        std::map<std::string, std::string> env;
        if (*t) env["NCCL_SOCKET_NTHREADS"] = t;
        if (*s) env["NCCL_NSOCKS_PERTHREAD"] = s;
        if (!env.empty()) out.push_back(env_candidate("nccl:default", env));
      }
  }
  if (ctx.alps_like) {
    // The documented set first (the family's seed), then one change at a time from it:
    // HPE's alternatives (hybrid matching, rendezvous by alt_read, a smaller TX queue) and
    // LL128 allowed again (in case a later NCCL fixes what CSCS saw).
    const auto base = cscs_alps_environment();
    std::vector<Candidate> alps{env_candidate("nccl:alps", base)};
    auto variant = [&](const std::string& name, const std::string& value) {
      auto env = base;
      if (value.empty()) env.erase(name);
      else env[name] = value;
      alps.push_back(env_candidate("nccl:alps", env));
    };
    variant("FI_CXI_RX_MATCH_MODE", "hybrid");
    variant("FI_CXI_RDZV_PROTO", "alt_read");
    variant("FI_CXI_DEFAULT_TX_SIZE", "2048");
    variant("NCCL_PROTO", "");
    out.insert(out.end(), alps.begin(), alps.end());
  }

  // Placements: the launch order is the default. Reversed changes every ring's direction
  // and neighbour pairs (distinct from identity above 2 ranks); by host interleaved puts
  // consecutive ranks on different nodes (with several GPUs per node), so rings cross the
  // network at every step where the launch order crosses it once per node.
  if (ctx.placements && ctx.nranks > 2) {
    Candidate rev;
    rev.family = "nccl:default";
    rev.level = Level::placement;
    rev.key = "nccl:place/reversed";
    for (int r = 0; r < ctx.nranks; ++r) rev.rank_order.push_back(ctx.nranks - 1 - r);
    out.push_back(std::move(rev));
  }
  if (ctx.placements && ctx.nnodes > 1 && ctx.nranks > ctx.nnodes && ctx.nranks % ctx.nnodes == 0) {
    const int per_node = ctx.nranks / ctx.nnodes;
    Candidate inter;
    inter.family = "nccl:default";
    inter.level = Level::placement;
    inter.key = "nccl:place/by-host-interleaved";
    // Launched host-major (old rank = node x per_node + local): new rank = local x nnodes + node.
    for (int r = 0; r < ctx.nranks; ++r) inter.rank_order.push_back((r % per_node) * ctx.nnodes + r / per_node);
    out.push_back(std::move(inter));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> family_knobs(const Candidate& c) {
  std::vector<std::pair<std::string, std::string>> k;
  if (!c.nccl.nccl_algorithm && (c.host.chunk_bytes || c.host.pipeline_depth || c.host.channels)) {
    k.push_back({"chunk_bytes", std::to_string(c.host.chunk_bytes)});
    k.push_back({"pipeline_depth", std::to_string(c.host.pipeline_depth)});
    k.push_back({"channels", std::to_string(c.host.channels)});
  }
  if (c.nccl.nccl_algorithm) k.push_back({"channels", std::to_string(c.nccl.channels)});
  for (const auto& [name, v] : c.comm_config) k.push_back({name, v});
  for (const auto& [name, v] : c.process_env) k.push_back({name, v});
  if (!c.rank_order.empty()) {
    std::string order;
    for (int r : c.rank_order) order += (order.empty() ? "" : ",") + std::to_string(r);
    k.push_back({"rank_order", order});
  }
  std::sort(k.begin(), k.end());
  return k;
}

}  // namespace cairn::tuner
