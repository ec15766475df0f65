#include "common/host_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

namespace cairn {
namespace {

// The first number on the line of /proc/meminfo that starts with `key`, in bytes.
std::int64_t meminfo_bytes(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) {
      std::istringstream s(line.substr(key.size()));
      long long kb = -1;
      s >> kb;
      return kb < 0 ? -1 : kb * 1024;
    }
  return -1;
}

// A cgroup file holding one number ("max": no limit, -1).
std::int64_t cgroup_number(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max") return -1;
  try {
    return std::stoll(word);
  } catch (const std::exception&) {
    return -1;
  }
}

// Limit less usage, for the cgroup at `dir` and each above it up to `root`.
void cgroup_headroom(const std::string& root, std::string dir, const char* limit_file, const char* usage_file,
                     MemoryAvailable& best) {
  for (;;) {
    const std::string at = root + dir;
    const std::int64_t limit = cgroup_number(at + "/" + limit_file);
    const std::int64_t usage = cgroup_number(at + "/" + usage_file);
    // v1 says "no limit" with a page-rounded 2^63.
    if (limit > 0 && limit < (std::int64_t{1} << 62) && usage >= 0) {
      const std::int64_t left = std::max<std::int64_t>(0, limit - usage);
      if (left < best.bytes) best = {left, "cgroup memory limit"};
    }
    if (dir.empty() || dir == "/") return;
    dir = dir.substr(0, dir.find_last_of('/'));
  }
}

void cgroup_limits(MemoryAvailable& best) {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers.empty())  // v2
      cgroup_headroom("/sys/fs/cgroup", path == "/" ? "" : path, "memory.max", "memory.current", best);
    else if (controllers == "memory")  // v1
      cgroup_headroom("/sys/fs/cgroup/memory", path == "/" ? "" : path, "memory.limit_in_bytes",
                      "memory.usage_in_bytes", best);
  }
}

}  // namespace

MemoryAvailable node_memory_available() {
  MemoryAvailable best{std::numeric_limits<std::int64_t>::max(), "no limit found"};
  if (const std::int64_t avail = meminfo_bytes("MemAvailable:"); avail >= 0) best = {avail, "MemAvailable"};
  cgroup_limits(best);
  return best;
}

MemoryAvailable process_memory_available() {
  MemoryAvailable best = node_memory_available();
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    long long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;  // the address space in use, in pages
    const auto in_use = static_cast<std::int64_t>(pages) * ::sysconf(_SC_PAGESIZE);
    const std::int64_t left = std::max<std::int64_t>(0, static_cast<std::int64_t>(as.rlim_cur) - in_use);
    if (left < best.bytes) best = {left, "RLIMIT_AS"};
  }
  return best;
}

}  // namespace cairn
