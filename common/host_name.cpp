#include "common/host_name.h"

#include <unistd.h>

namespace cairn {

std::string host_name() {
  char name[256] = {};  // gethostname need not terminate a truncated name
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace cairn
