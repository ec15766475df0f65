// Whether this node can hold the ranks a launch asks for, checked before anything starts:
// CPUs, memory, the launcher's open files and the user's processes. A request past them
// used to start anyway and fail late (tens of GB and a minute in, "Too many open files").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::coll {

struct LaunchOptions;

// More local ranks than this per CPU the launcher may use needs --oversubscribe: a few
// per CPU is how the tests and a laptop run a job; hundreds is a mistyped -n.
inline constexpr int kRanksPerCpuWithoutOversubscribe = 4;
// What every rank is assumed to need at least (a cairn bench rank over UCX takes about
// 90 MB); the launch is refused when the node has less available for all of them.
inline constexpr std::uint64_t kMinRankMemoryBytes = 64ull << 20;
// The launcher's own descriptors per rank when it relays output (a stdout and a stderr
// pipe), and what it keeps in hand for the rest (the two ends of a pipe being set up, the
// signal pipe, its standard streams).
inline constexpr std::uint64_t kFilesPerPipedRank = 2;
inline constexpr std::uint64_t kFilesHeadroom = 16;

// What this process may use, as read at start (0 where a value is unknown or unlimited:
// that check is skipped).
struct LaunchResources {
  int usable_cpus = 1;                    // the affinity mask
  std::uint64_t available_memory_bytes = 0;  // MemAvailable, or the cgroup's room if less
  std::uint64_t max_open_files = 0;       // RLIMIT_NOFILE (soft)
  std::uint64_t open_files = 0;           // open now
  std::uint64_t max_processes = 0;        // RLIMIT_NPROC (soft); 0 also when it does not bind (root)
  std::uint64_t processes = 0;            // this user's processes and threads now
};

LaunchResources read_launch_resources();

// Throws cairn::Error naming the limit, what the launch needs and the fix.
void check_launch_fits(const LaunchOptions& options, const LaunchResources& resources);

// The program the ranks will exec: `name` as given if it has a '/', else the first
// executable match in `path` (a PATH value). Throws cairn::Error naming it and PATH when
// there is none, so a typo is one line instead of every rank failing with code 127.
std::string find_program(const std::string& name, const std::string& path);

}  // namespace cairn::coll
