// How much memory this host has room for, read once from the places that limit it:
// /proc/meminfo's MemAvailable, the memory limit less the usage of this process's cgroup
// and of each above it (v1 or v2), and for the process itself RLIMIT_AS.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

struct MemoryAvailable {
  std::int64_t bytes = 0;  // INT64_MAX when nothing limits it
  std::string source;      // what limits it: "MemAvailable", "cgroup memory limit", "RLIMIT_AS", ...
};

// The room the host has for new processes: the least of MemAvailable and the cgroups'
// headroom (a launcher's ranks share it).
MemoryAvailable node_memory_available();

// What this process may still allocate: node_memory_available() and RLIMIT_AS less the
// address space in use (a limit each process has on its own).
MemoryAvailable process_memory_available();

}  // namespace cairn
