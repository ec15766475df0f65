// The run's storage demand as flags, shared by `cairn probe storage` and `cairn
// acceptance --data-path/--checkpoint-path` (probe/storage/storage_demand.h).
#pragma once

#include <string>

#include "cli/options.h"
#include "probe/storage/storage_demand.h"

namespace cairn::cli {

struct StorageDemandFlags {
  probe::storage::StorageDemand demand;
  std::string checkpoint_bytes, preset;
};

// --tokens-per-s-per-gpu, --gpus, --bytes-per-token, --checkpoint-bytes, --preset,
// --checkpoint-every-s.
void add_storage_demand_options(po::options_description& desc, StorageDemandFlags& f);

// The demand the parsed flags give, validated (cairn::Error naming the flag).
probe::storage::StorageDemand storage_demand_from(const po::variables_map& vm, StorageDemandFlags& f);

}  // namespace cairn::cli
