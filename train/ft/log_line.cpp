#include "train/ft/log_line.h"

#include <cstdio>
#include <mutex>

namespace cairn::train {

void log_line(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fprintf(stdout, "%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace cairn::train
