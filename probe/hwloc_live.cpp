#include "probe/hwloc_live.h"

#include <cstdlib>
#include <memory>
#include <optional>

#include <hwloc.h>

#include "common/error.h"

namespace cairn::probe {

namespace {

// Sets an environment variable for one scope and restores the previous value (or its
// absence) when the scope ends, even when discovery throws.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The export of this machine, or (`snapshot`) of the tree HWLOC_FSROOT names.
std::string export_hwloc_xml(bool snapshot) {
  // hwloc hides the NUMA nodes of NVIDIA GPU memory (coherent CPU-GPU nodes) unless asked;
  // the probe reports them. A user's own setting wins.
  ::setenv("HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES", "1", 0);
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) throw Error("hwloc: cannot initialise a topology (out of memory?)");
  std::unique_ptr<hwloc_topology, void (*)(hwloc_topology_t)> guard(topo, hwloc_topology_destroy);
  // Leave out hwloc's own GPU plugins: opencl and cuda start the GPU drivers (hundreds of
  // ms), and NVML/CUDA facts come from our own queries anyway. Leave out "pci" too: it reads
  // PCI through libpciaccess, which ignores HWLOC_FSROOT and leaks; hwloc's Linux backend
  // reads the same tree from sysfs.
  for (const char* name : {"pci", "opencl", "cuda", "nvml", "gl", "rsmi", "levelzero"})
    hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, name);
  // The x86 backend asks this machine's CPUID instructions, not the snapshot: a POWER9
  // tree read on an AMD host came out "AMD EPYC". The snapshot's own /proc/cpuinfo names it.
  if (snapshot) hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "x86");
  // PCI functions, bridges on the way to them, and OS devices (mlx5_0, ib0, nvme0n1).
  hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  // Caches are not reported and cost time in discovery, export and parsing.
  hwloc_topology_set_cache_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
  hwloc_topology_set_icache_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
  if (hwloc_topology_load(topo) != 0) throw Error("hwloc: topology discovery failed on this machine");
  char* buf = nullptr;
  int len = 0;
  if (hwloc_topology_export_xmlbuffer(topo, &buf, &len, 0) != 0 || !buf)
    throw Error("hwloc: cannot export the topology as XML");
  std::string xml(buf, len > 0 ? static_cast<std::size_t>(len - 1) : 0);  // len counts the NUL
  hwloc_free_xmlbuffer(topo, buf);
  return xml;
}

}  // namespace

std::string export_live_hwloc_xml() { return export_hwloc_xml(false); }

std::string export_snapshot_hwloc_xml(const std::string& root) {
  ScopedEnv fsroot("HWLOC_FSROOT", root);
  return export_hwloc_xml(true);
}

}  // namespace cairn::probe
