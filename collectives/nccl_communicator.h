// The Communicator on NCCL (device memory; built only with CAIRN_CUDA). The header needs
// no CUDA or NCCL headers, so CPU code may include it behind CAIRN_HAVE_CUDA.
//
// Failure handling follows NCCL's fault-tolerance model: the communicator is created
// non-blocking (ncclConfig_t.blocking = 0), so no NCCL call ever blocks the host; every
// wait polls the operation's completion event and ncclCommGetAsyncError, and on an
// asynchronous error, a timeout or abort() the communicator is torn down with
// ncclCommAbort, which also stops kernels stuck waiting for a lost peer.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "collectives/communicator.h"
#include "collectives/store.h"

namespace cairn::coll {

struct NcclOptions {
  // How long ncclCommInitRankConfig may take for every rank to join before the
  // communicator is aborted with an error (0: forever).
  std::chrono::milliseconds init_timeout{std::chrono::minutes(5)};
  // Store keys used to share the unique id: "<prefix>/joined", "<prefix>/uid/<n>".
  std::string store_prefix = "nccl";
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
