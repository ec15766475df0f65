#include "common/error.h"

namespace cairn {

void fail(const std::string& what, const std::string& problem) {
  throw Error(what + ": " + problem);
}

}  // namespace cairn
