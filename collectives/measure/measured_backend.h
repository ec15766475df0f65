// The communicator a measurement opens on whatever the node has (GPU memory over NCCL
// where a GPU is visible, host memory over UCX otherwise: open_backend's gpu_if_visible)
// together with the Memory its buffers and timers come from. `cairn pairs` and `cairn
// acceptance` open theirs through it.
#pragma once

#include <memory>
#include <string>

#include "collectives/backends/open_backend.h"
#include "collectives/measure/memory.h"

namespace cairn::coll::bench {

struct MeasuredBackend {
  std::string name;  // "ucx" or "nccl"
  int device = -1;   // the rank's CUDA device when its data is on a GPU, else -1
  std::unique_ptr<Memory> memory;      // declared first: destroyed after the communicator
  std::unique_ptr<Communicator> comm;
};

// Collective over `job`. timeout_s: how long an operation may run before it aborts the
// job (0: forever); key_prefix keeps the command's store keys apart ("cairn/pairs").
MeasuredBackend open_measured_backend(Bootstrap& job, BackendChoice choice, double timeout_s,
                                      const std::string& key_prefix);

}  // namespace cairn::coll::bench
