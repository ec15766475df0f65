#include "common/same_file.h"

#include <sys/stat.h>

#include "common/error.h"

namespace cairn {

bool same_existing_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void refuse_output_over_inputs(const FlaggedPath& output, const std::vector<FlaggedPath>& inputs) {
  if (output.path.empty()) return;
  for (const FlaggedPath& in : inputs) {
    if (in.path.empty() || !same_existing_file(output.path, in.path)) continue;
    const std::string which = output.path == in.path ? "is also given as " + in.flag
                                                     : "is the same file as " + in.flag + " " + in.path;
    throw Error(output.flag + " " + output.path + " " + which +
                ": writing it would destroy the input the run reads; give " + output.flag + " another path");
  }
}

}  // namespace cairn
