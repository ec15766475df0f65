// Text that only rank 0 can read (a journal, a profile on its disk), handed to every rank
// through the communicator, so that all ranks decide from the same bytes.
#pragma once

#include <string>

#include "collectives/backends/communicator.h"
#include "collectives/measure/memory.h"

namespace cairn::tuner {

// Collective: rank 0's `text` on every rank (others pass anything).
std::string broadcast_text(coll::Communicator& comm, coll::bench::Memory& memory, const std::string& text);

// Collective: the number of distinct host names among the ranks.
int count_hosts(coll::Communicator& comm, coll::bench::Memory& memory);

}  // namespace cairn::tuner
