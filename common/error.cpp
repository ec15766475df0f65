#include "common/error.h"

namespace cairn {

void fail(const std::string& what, const std::string& problem) {
  throw Error(what + ": " + problem);
}

void fail_out_of_memory(const std::string& what, const std::string& task) {
  fail(what, "not enough memory to " + task + "; raise the memory limit (ulimit -v) or give a smaller file");
}

}  // namespace cairn
