// The storage checks of acceptance (issue 22): on each node, the loader's sequential read
// rate from --data-path and the checkpointer's write rate (write, fsync, rename) into
// --checkpoint-path, measured by probe/storage's access patterns at a size suited to a
// check (--storage-size), and judged like the other per-node rates: against the fleet,
// the baseline and the run's demand (probe/storage/storage_demand.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "collectives/measure/memory.h"
#include "collectives/measure/pairs/analysis.h"
#include "probe/storage/storage_demand.h"
#include "probe/storage/storage_probe.h"
#include "reports/acceptance/check.h"

namespace cairn::acceptance {

struct AcceptanceOptions;

struct StorageCheckOptions {
  std::string data_path;        // --data-path: empty, no read check
  std::string checkpoint_path;  // --checkpoint-path: empty, no write check
  std::uint64_t bytes = 64ULL << 20;  // --storage-size: each sample's files, all threads together
  probe::storage::StorageDemand demand;
  bool any() const { return !data_path.empty() || !checkpoint_path.empty(); }
};

// The probe's options for one of the paths: its default threads and block, `bytes` in all.
probe::storage::StorageOptions probe_options(const StorageCheckOptions& s, const std::string& path);

// Throws cairn::Error, one line naming the flag, unless each given path is a directory
// this rank may write into with room for the check; validates the size and the demand.
// Makes nothing.
void check_storage_paths(const StorageCheckOptions& s);

// "storage_read" and "storage_write" checks, one per node for each path given, judged.
// Collective over comm. Every file made is removed when it returns or throws.
std::vector<Check> storage_checks(coll::Communicator& comm, coll::bench::Memory& memory,
                                  const std::vector<coll::pairs::Participant>& nodes,
                                  const std::vector<std::string>& machines, const AcceptanceOptions& o,
                                  const std::function<void(int done, int total)>& progress);

}  // namespace cairn::acceptance
