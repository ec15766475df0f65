// The per-GPU checks of acceptance: every rank with a GPU takes --repeats samples of a
// bf16 GEMM and a device-to-device copy on its own GPU at once (each GPU is its own), and
// the rates are judged against the spec, the fleet of GPUs, the GPU's past and a fraction
// of its datasheet's rate.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/measure/memory.h"
#include "reports/acceptance/acceptance.h"

namespace cairn::acceptance {

// Nothing (and no collective) when no rank has a GPU or the build has no CUDA: every rank
// passes the same options, and o.gpu_device < 0 on all of them then. Collective otherwise.
std::vector<Check> gpu_checks(coll::Communicator& comm, coll::bench::Memory& memory, const std::vector<std::string>& hosts,
                              const AcceptanceOptions& o, const std::function<void(int, int)>& progress);

}  // namespace cairn::acceptance
