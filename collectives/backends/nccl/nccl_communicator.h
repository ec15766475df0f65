// The Communicator on NCCL (device memory; built only with CAIRN_CUDA). The header needs
// no CUDA or NCCL headers, so CPU code may include it behind CAIRN_HAVE_CUDA.
//
// Failure handling follows NCCL's fault-tolerance model: the communicator is created
// non-blocking (ncclConfig_t.blocking = 0), so joining never blocks the host and a rank
// that never comes is a timeout, not a hang. Every wait polls the operation's completion
// event and ncclCommGetAsyncError, and on an asynchronous error, a timeout or abort() the
// communicator is torn down with ncclCommAbort, which also stops kernels stuck waiting for
// a lost peer. NCCL's transports inside a node never report a dead peer, so every rank
// registers its process in the store and the waits watch the ranks on their host: a
// killed local peer fails the operation at once, naming the rank ("rank 1 lost (its
// process 4242 on this host has exited)"); a peer on another host shows as NCCL's own
// network error or the timeout. split() children watch nobody (NCCL renumbers them).
//
// Operations run on a blocking communicator by default (NcclOptions::blocking_operations):
// a non-blocking NCCL communicator launches every group -- each send/recv batch, and each
// collective that is more than a one-rank copy -- from a thread it creates for it (src/group.cc,
// groupLaunchNonBlocking), 50-130 us per call on an H100, which made alltoall and sendrecv
// 0.64x and 0.75x of nccl-tests at 128 MiB. Blocking calls enqueue inline as nccl-tests
// and PyTorch do; kernels stuck on a lost peer are still timed out and aborted by the
// waits. What the timeout cannot interrupt is a blocking call stuck in NCCL's own host
// code (a lazy connection to a peer that died after init): abort() from another thread
// (a watchdog) can, since it never waits behind the call and ncclCommAbort unblocks it;
// fault-tolerant runs with no watchdog set blocking_operations = false.
//
// Observers (op_observer.h) get the GPU time of each operation from timing events
// recorded on its stream around the enqueue; their ends are delivered when the end event
// is found complete (later operations, Request::test/wait, poll_observers()).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "collectives/backends/communicator.h"
#include "collectives/rendezvous/store.h"

namespace cairn::coll {

struct NcclOptions {
  // How long ncclCommInitRankConfig may take for every rank to join before the
  // communicator is aborted with an error (0: forever).
  std::chrono::milliseconds init_timeout{std::chrono::minutes(5)};
  // Store keys used to share the unique id: "<prefix>/joined", "<prefix>/uid/<n>".
  std::string store_prefix = "nccl";
  // Operations on a blocking copy of the communicator (ncclCommSplit after the
  // non-blocking init); false keeps every call non-blocking (see above for the cost).
  bool blocking_operations = true;

  // ncclConfig_t fields, for sweeps over them; unset keeps NCCL's default (or its
  // NCCL_* environment variable). Passed to ncclCommInitRankConfig and to every split.
  // Validated by make_nccl_communicator (nccl_config.h says how).
  std::optional<int> min_ctas;          // minCTAs: at least this many CTAs (channels), >= 1
  std::optional<int> max_ctas;          // maxCTAs: at most this many, >= 1 and >= min_ctas
  std::optional<int> cga_cluster_size;  // cgaClusterSize: 0 (off) to 8
  std::optional<std::string> net_name;  // netName: the network plugin or transport ("IB", "Socket")
  std::optional<bool> split_share;      // splitShare: children of split() share this one's resources
  std::optional<int> cta_policy;        // CTAPolicy: 0 (NCCL_CTA_POLICY_DEFAULT), 1 (EFFICIENCY), 2 (ZERO)
  std::optional<int> nvls_ctas;         // nvlsCTAs: CTAs of the NVLS kernels, >= 1
  std::optional<int> channels_per_net_peer;  // nChannelsPerNetPeer: point-to-point channels per remote peer, >= 1
};

// Collective over `size` ranks: rank 0 creates the NCCL unique id and publishes it through
// the store, every rank reads it and joins on CUDA device `device`. Ranks that create
// several communicators through one store must create them in the same order (each
// gets the next id). Throws cairn::Error naming the rank, device and cause.
std::unique_ptr<Communicator> make_nccl_communicator(Store& store, int rank, int size, int device,
                                                     const NcclOptions& options = {});

// The loaded NCCL library's version code (ncclGetVersion: 22809 for 2.28.9).
int nccl_library_version();

}  // namespace cairn::coll
