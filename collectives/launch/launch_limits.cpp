// launch_limits.h: reading the node's limits and checking a launch against them.
#include "collectives/launch/launch_limits.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "collectives/launch/local_launcher.h"
#include "common/cpus.h"
#include "common/error.h"
#include "common/host_memory.h"

namespace cairn::coll {

namespace {

namespace fs = std::filesystem;

std::uint64_t soft_limit(int resource) {
  rlimit r{};
  if (::getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 0;
  return r.rlim_cur;
}

std::uint64_t count_entries(const std::string& dir) {
  std::error_code ec;
  std::uint64_t n = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

// Threads of every process of this real user (RLIMIT_NPROC counts threads too).
std::uint64_t user_threads() {
  const std::string uid = std::to_string(::getuid());
  std::uint64_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream status(it->path() / "status");
    std::string line;
    bool mine = false;
    while (std::getline(status, line)) {
      std::istringstream fields(line);
      std::string key, real;
      fields >> key >> real;
      if (key == "Uid:") mine = real == uid;
      if (key == "Threads:" && mine) n += std::stoull(real);
    }
  }
  return n;
}

std::string gib_text(std::uint64_t bytes) { return fmt::format("{:.1f} GiB", double(bytes) / double(1ull << 30)); }

}  // namespace

LaunchResources read_launch_resources() {
  LaunchResources r;
  r.usable_cpus = usable_cpus();
  // The ranks share the node's room (RLIMIT_AS binds each of them alone).
  const MemoryAvailable room = node_memory_available();
  if (room.bytes < std::numeric_limits<std::int64_t>::max())
    r.available_memory_bytes = static_cast<std::uint64_t>(room.bytes);
  r.max_open_files = soft_limit(RLIMIT_NOFILE);
  r.open_files = count_entries("/proc/self/fd");
  // Root is not held to RLIMIT_NPROC.
  r.max_processes = ::geteuid() == 0 ? 0 : soft_limit(RLIMIT_NPROC);
  if (r.max_processes) r.processes = user_threads();
  return r;
}

void check_launch_fits(const LaunchOptions& o, const LaunchResources& r) {
  const auto ranks = static_cast<std::uint64_t>(o.ranks);
  const int cpus = std::max(1, r.usable_cpus);
  if (!o.oversubscribe && o.ranks > kRanksPerCpuWithoutOversubscribe * cpus)
    throw Error(fmt::format("-n {} is more than {} ranks for each of the {} CPU(s) this process may use: lower -n, "
                            "or pass --oversubscribe if that is what you mean",
                            o.ranks, kRanksPerCpuWithoutOversubscribe, cpus));
  if (r.available_memory_bytes && ranks > r.available_memory_bytes / kMinRankMemoryBytes)
    throw Error(fmt::format("-n {} needs at least {} of memory ({} MiB a rank) and this node has {} available: "
                            "lower -n",
                            o.ranks, gib_text(ranks * kMinRankMemoryBytes), kMinRankMemoryBytes >> 20,
                            gib_text(r.available_memory_bytes)));
  const std::uint64_t files = r.open_files + kFilesHeadroom + (o.prefix_output ? ranks * kFilesPerPipedRank : 0);
  if (r.max_open_files && files > r.max_open_files)
    throw Error(fmt::format("-n {} needs about {} open files in the launcher (two output pipes a rank) and its "
                            "limit is {} (RLIMIT_NOFILE): raise it with 'ulimit -n {}', or lower -n",
                            o.ranks, files, r.max_open_files, files));
  if (r.max_processes && r.processes + ranks > r.max_processes)
    throw Error(fmt::format("-n {} more processes would pass this user's limit of {} (RLIMIT_NPROC; {} in use): "
                            "raise it with 'ulimit -u', or lower -n",
                            o.ranks, r.max_processes, r.processes));
}

std::string find_program(const std::string& name, const std::string& path) {
  auto runnable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) throw Error("the command after '--' is an empty string: name a program");
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return name;
    const int err = errno;
    struct stat st {};
    const bool is_dir = ::stat(name.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    throw Error(fmt::format("cannot run '{}': {}: check the path after '--'", name,
                            is_dir ? "it is a directory" : std::strerror(err)));
  }
  std::string_view rest = path;
  while (true) {
    const auto colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    const std::string candidate = fmt::format("{}/{}", dir.empty() ? std::string_view(".") : dir, name);
    if (runnable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  // A PATH can be long; the one line stays short.
  const std::string_view shown = std::string_view(path).substr(0, 120);
  throw Error(fmt::format("command '{}' not found in PATH ({}{}): give its full path or fix PATH", name, shown,
                          path.size() > shown.size() ? "..." : ""));
}

}  // namespace cairn::coll
