// One way for a command to open the communicator of a bootstrapped job: the --backend
// choice (ucx | nccl | auto) parsed in one place, one "auto" rule, one set of errors, and
// store keys under the command's own prefix. cairn bench, pairs and train use it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "collectives/backends/communicator.h"
#include "collectives/backends/nccl/nccl_communicator.h"  // NcclOptions; no CUDA headers
#include "collectives/rendezvous/bootstrap.h"

namespace cairn::coll {

enum class BackendChoice { ucx, nccl, automatic };

// "ucx", "nccl" or "auto"; anything else throws "--backend 'x' is not a backend: use ucx,
// nccl or auto".
BackendChoice parse_backend_choice(const std::string& text);

// Where the caller's data lives: host memory, a GPU, or a GPU when one is visible (a
// benchmark that measures whatever the node has).
enum class DataPlace { host, gpu, gpu_if_visible };

// The backend a choice resolves to, "ucx" or "nccl". auto: nccl exactly when the data is
// on a GPU in a CUDA build, else ucx. Every rank must resolve alike (a mixed job would
// wait for the other backend's rendezvous), so this looks at nothing but its arguments.
// Throws for nccl in a build without CUDA, nccl with host data, nccl without a GPU.
std::string resolve_backend(BackendChoice choice, DataPlace data, bool cuda_build, int visible_gpus);

struct OpenBackendOptions {
  BackendChoice choice = BackendChoice::automatic;
  DataPlace data = DataPlace::gpu_if_visible;
  int device = -1;  // CUDA device of a GPU rank; -1: local rank mod visible GPUs
  // NCCL's init timeout and blocking mode; its store_prefix is replaced by key_prefix's.
  NcclOptions nccl;
  // Store keys of the communicator's setup: "<key_prefix>/ucx" or "<key_prefix>/nccl".
  // Commands that open one communicator each keep apart by their prefixes.
  std::string key_prefix = "cairn";
  // How long an operation may run before it aborts the job (0: forever); unset keeps the
  // backend's default.
  std::optional<std::chrono::milliseconds> timeout;
};

struct OpenedBackend {
  std::unique_ptr<Communicator> comm;
  std::string name;          // "ucx" or "nccl"
  MemoryKind memory = MemoryKind::host;  // what the communicator reduces
  int device = -1;           // the rank's CUDA device when its data is on a GPU, else -1
  std::string description;   // "backend ucx", "backend nccl nccl-library=22809 nonblocking"
};

// The backend open_backend will open with these options on this node ("ucx" or "nccl"),
// for what must be in place before it: a tuner sets NCCL's environment first.
std::string backend_for(const OpenBackendOptions& options);

// Opens the communicator of `job` (collective: every rank calls it alike).
OpenedBackend open_backend(Bootstrap& job, const OpenBackendOptions& options);

}  // namespace cairn::coll
