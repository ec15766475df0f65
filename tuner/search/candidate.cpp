#include "tuner/search/candidate.h"

#include <fmt/format.h>

namespace cairn::tuner {

std::string Cell::key() const {
  return fmt::format("{}/{}/{}/{}", collective, coll::to_string(dtype), coll::to_string(op), bytes);
}

Choice Candidate::to_choice() const {
  Choice c = nccl;
  if (!nccl.nccl_algorithm) {
    c.host_algorithm = std::string(coll::to_string(host.algorithm));
    c.chunk_bytes = host.chunk_bytes;
    c.pipeline_depth = host.pipeline_depth;
    c.channels = host.channels;
  }
  c.key = key;
  return c;
}

}  // namespace cairn::tuner
