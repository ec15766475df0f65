// The search space: every candidate configuration of a backend for one collective, with
// equivalent configurations folded into one (a knob an algorithm ignores is not a
// dimension). Each list starts with the default candidate (key "default", is_default),
// and within a family the first candidate is the family's own default knobs: the guided
// search (search.h) seeds from those.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tuner/search/candidate.h"

namespace cairn::tuner {

// UCX (host memory): Cairn's AlgoConfig. Which knobs each collective reads
// (collectives/backends/ucx/ucx_communicator.cpp, algo_select.cpp):
//   all_reduce        ring | tree | rhd, each with chunk, depth, channels;
//   broadcast, reduce ring (the pipelined chain) | tree; rhd runs the tree (choose_rooted);
//   reduce_scatter, all_gather  the ring only: the algorithm is not a dimension;
//   alltoall          pairwise exchange only; channels above nranks - 1 fold into nranks - 1;
//   sendrecv          no knob: the default alone.
// Channels are clamped to kMaxChannels and depth to kMaxDepth by the backend, so values
// beyond those fold too.
struct HostSpaceOptions {
  std::string collective = "all_reduce";
  int nranks = 2;
  // Around the backend's default of 128 KiB: 32 KiB pipelines small buffers finely,
  // 2 MiB cuts per-message overhead for large ones (docs/ucx_backend.md).
  std::vector<std::size_t> chunk_bytes = {32 << 10, 128 << 10, 512 << 10, 2 << 20};
  // Chunks in flight per channel: 1 (no overlap) to 8 (deep pipelines hide latency).
  std::vector<int> pipeline_depths = {1, 2, 4, 8};
  // Disjoint slices run in parallel: 1 to 4 (more than the host's cores rarely helps).
  std::vector<int> channels = {1, 2, 4};
};
std::vector<Candidate> host_space(const HostSpaceOptions& options);

// NCCL (device memory), as NCCL 2.28 offers it to a communicator like the one described.
enum class NcclTransport {
  none,        // one node: no network
  infiniband,  // NCCL's IB transport (ibverbs)
  socket,      // NCCL's socket transport
  ofi,         // a network plugin (aws-ofi-nccl over libfabric, e.g. Slingshot's cxi)
};
struct NcclSpaceContext {
  std::string collective = "all_reduce";
  int nranks = 1;
  int nnodes = 1;
  bool collnet = false;        // the communicator supports CollNet (SHARP)
  bool nvls = false;           // the communicator supports NVLS (NVLink SHARP)
  int compute_capability = 90; // cgaClusterSize applies from sm_90 (Hopper) on
  NcclTransport transport = NcclTransport::none;
  bool alps_like = false;      // Slingshot-11 through aws-ofi-nccl (../shared/FIELD.md)
  // 0 leaves the channel count to NCCL; the rest double from 2 to NCCL's 32 channels
  // (MAXCHANNELS of 2.28's device.h) so the model sees the whole bandwidth curve.
  std::vector<int> channels = {0, 2, 4, 8, 16, 32};
  bool placements = true;      // rank orders (identity is the default)
};
std::vector<Candidate> nccl_space(const NcclSpaceContext& context);

// The knobs of a candidate inside its family, by name ("chunk_bytes", "channels",
// "minCTAs", "NCCL_BUFFSIZE", "rank_order", ...): two candidates of one family whose knobs
// differ in exactly one name are one coordinate move apart.
std::vector<std::pair<std::string, std::string>> family_knobs(const Candidate& c);

}  // namespace cairn::tuner
