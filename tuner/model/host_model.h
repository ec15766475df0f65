// The structure of Cairn's host (UCX) algorithms (collectives/backends/ucx/): for a family
// and a collective at N ranks, the steps on the critical path (each costs one latency,
// alpha) and the bytes one rank moves per byte of the buffer (each costs beta), so that
//   t(n, N) = alpha x steps(N) + beta x bytes_factor(N) x n.
// Fitted at one N, alpha and beta predict other sizes n and other rank counts N. n is
// nccl-tests' size column (the whole buffer; all_gather: what each rank receives).
//
//   family    collective              steps(N)                  bytes_factor(N)
//   ring      all_reduce              2(N-1)                    2(N-1)/N
//   ring      reduce_scatter, all_gather  N-1                   (N-1)/N
//   tree      all_reduce              2 ceil(log2 N)            2   (double binary tree:
//             reduce, broadcast       ceil(log2 N)              1    every rank sends and
//                                                                    receives ~n per pass)
//   rhd       all_reduce              2 log2 P (+2 if N != P)   2(P-1)/P (+2 if N != P),
//                                     P the largest power of two <= N (MPICH's pre/post step)
//   chain     reduce, broadcast       N-1                       1   (pipelined line)
//   pairwise  alltoall                N-1                       (N-1)/N
// The backend maps families onto collectives as ucx_communicator.cpp does: reduce and
// broadcast run the chain for "ring" and the tree for "tree"/"rhd"; reduce_scatter and
// all_gather run the ring, alltoall the pairwise exchange, whatever the family. The
// backend's own choice (family "automatic" or "default", AlgoConfig{}) is resolved per size
// with the backend's rule (algo_select.h: choose_all_reduce, choose_rooted).
#pragma once

#include <string>
#include <vector>

namespace cairn::tuner {

struct HostShape {
  std::string algorithm;  // what runs: "ring", "tree", "rhd", "chain", "pairwise"
  double steps = 0;
  double bytes_factor = 0;
};

// family: "ring", "tree", "rhd", "chain", "pairwise", "automatic" (= "default"), with or
// without the "ucx:" prefix of a Candidate's family; bytes (the size) is needed by
// "automatic" only. Throws cairn::Error naming the family or collective, and the known
// ones, for any other, for nranks < 2, and for "automatic" without a size.
HostShape host_shape(const std::string& family, const std::string& collective, int nranks, double bytes = -1);

// The family names host_shape knows.
std::vector<std::string> host_family_names();

}  // namespace cairn::tuner
