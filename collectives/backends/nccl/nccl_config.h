// NcclOptions turned into NCCL's ncclConfig_t, apart from the communicator so that the
// validation and the translation are testable on a host without a GPU.
#pragma once

#include <nccl.h>

#include "collectives/backends/nccl/nccl_communicator.h"

namespace cairn::coll::detail {

// Throws cairn::Error naming the first NcclOptions field that NCCL would refuse or
// silently change, and what is valid.
void validate_nccl_options(const NcclOptions& options);

// NCCL_CONFIG_INITIALIZER with `blocking` and every field `options` sets (validated
// first). The config's netName points into options.net_name: keep `options` alive and
// unchanged until NCCL has read the config.
ncclConfig_t make_nccl_config(const NcclOptions& options, bool blocking);

}  // namespace cairn::coll::detail
