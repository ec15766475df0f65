// The Communicator on host memory over UCX (UCP tag matching): CPU nodes, CI, many ranks
// on one box. Algorithms: ring, double binary tree, recursive halving/doubling, chosen by
// AlgoConfig (see collectives/backends/ucx/algo_select.h for the automatic rule).
//
// Each communicator owns a UCP context and worker, an endpoint to every peer (with peer
// error handling, so a dead rank becomes an error that names it). Its operations run in
// the order they were issued, like a stream: on the thread that waits for one (as MPI's
// progress), or on the communicator's progress thread when nobody waits (asynchronous
// operations progress while the caller computes; collectives/backends/ucx/op_queue.h). A
// failure (a lost peer, a timeout, abort()) stops the communicator: the running and all
// later operations fail, and the other ranks are told why, so that they fail fast too.
// Destroying a communicator is collective (a barrier, bounded by the timeout or 60 s).
#pragma once

#include <memory>
#include <string>

#include "collectives/backends/communicator.h"
#include "collectives/rendezvous/store.h"

namespace cairn::coll {

// Creates this rank's endpoint of a `size`-rank communicator; every rank calls it with
// the same `key_prefix`, under which worker addresses are exchanged through `store`.
// `store` must outlive the communicator (split() uses it). Blocks until every peer has
// published its address (the store's timeout bounds the wait). Throws cairn::Error on a
// world-size mismatch between ranks or a UCX failure.
//
// Environment: UCX_* as usual (UCX_TLS, ...); CAIRN_UCX_SPIN_US sets how long the
// thread running an operation spins before sleeping on the worker's event descriptor
// (default 50, or 0 when this host runs more ranks of the communicator than the process
// has CPUs).
// Unless set, UCX_POSIX_ERROR_HANDLING and UCX_SYSV_ERROR_HANDLING are set to "y" so
// that ranks on one host use shared memory; peers on the host are watched through /proc.
std::unique_ptr<Communicator> make_ucx_communicator(Store& store, int rank, int size,
                                                    const std::string& key_prefix = "ucx");

}  // namespace cairn::coll
