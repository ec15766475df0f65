// The UCX backend's collective algorithms, each a Plan for the executor in chunk_schedule.h.
// One file per family: algo_ring.cpp, algo_tree.cpp (double binary tree), algo_rhd.cpp
// (recursive halving/doubling), algo_chain.cpp, algo_pairwise.cpp, algo_barrier.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "collectives/backends/communicator.h"
#include "collectives/backends/ucx/chunk_schedule.h"

namespace cairn::coll::detail {

// Buffers and shape of one collective as this rank sees it. `count` is per operation
// kind: all_reduce/reduce/broadcast the whole buffer, reduce_scatter the received block,
// all_gather the sent block, alltoall one block.
struct CollArgs {
  const std::byte* send = nullptr;
  std::byte* recv = nullptr;
  std::size_t count = 0;
  DataType dt = DataType::f32;
  std::size_t elem_bytes = 4;
  ReduceOp op = ReduceOp::sum;
  int root = 0;
  int rank = 0;
  int size = 1;
};

// Resolved knobs (AlgoConfig with the defaults filled in; see algo_select.h).
struct Knobs {
  std::size_t chunk_bytes = 0;  // the largest message one step of a job sends
  int channels = 1;
  int depth = 1;
};

// A ring over all ranks in rank order from `origin`, or in reverse order. Odd channels
// of ring and chain algorithms run reversed so that both directions of every link carry
// data. The chain algorithms walk it as a line from the root.
struct Ring {
  int size = 1;
  bool reversed = false;
  int origin = 0;  // the rank at position 0
  int rank_at(int pos) const;
  int pos_of(int rank) const;
};

// The common chunking: a buffer of `total` elements cut into `channels` contiguous
// slices, each slice into near-equal pieces of at most `piece_elems` elements, and one
// job per piece made by `make` (which gets the plan's copy of the arguments).
struct PlanShape {
  std::size_t total = 0;
  int channels = 1;
  std::size_t piece_elems = 1;
  std::size_t scratch_bytes = 0;  // per job in flight
  std::uint32_t steps_per_job = 1;
};
using JobMaker = std::function<std::unique_ptr<Job>(const CollArgs& a, int channel, Span piece, std::byte* scratch)>;
std::unique_ptr<Plan> sliced_plan(const CollArgs& a, const PlanShape& shape, JobMaker make);

// Elements in one chunk (at least one).
std::size_t chunk_elems(const CollArgs& a, const Knobs& k);

std::unique_ptr<Plan> ring_all_reduce(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> ring_reduce_scatter(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> ring_all_gather(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> tree_all_reduce(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> tree_reduce(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> tree_broadcast(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> rhd_all_reduce(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> chain_reduce(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> chain_broadcast(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> pairwise_alltoall(const CollArgs& a, const Knobs& k);
std::unique_ptr<Plan> dissemination_barrier(int rank, int size);

}  // namespace cairn::coll::detail
