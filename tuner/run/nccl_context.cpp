#include "tuner/run/nccl_context.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "probe/cuda_devices.h"

namespace cairn::tuner {
namespace {

std::string first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

bool names_libfabric(const char* value) {
  if (!value) return false;
  const std::string v(value);
  return v.find("ofi") != std::string::npos || v.find("OFI") != std::string::npos ||
         v.find("Libfabric") != std::string::npos || v.find("libfabric") != std::string::npos;
}

}  // namespace

NodeFacts read_node_facts(const std::string& sysfs_root, int cuda_device) {
  namespace fs = std::filesystem;
  NodeFacts f;
  std::error_code ec;
  const fs::path ib = fs::path(sysfs_root) / "class" / "infiniband";
  if (fs::is_directory(ib, ec)) f.has_ib_verbs = fs::directory_iterator(ib, ec) != fs::directory_iterator();
  const fs::path pci = fs::path(sysfs_root) / "bus" / "pci" / "devices";
  if (fs::is_directory(pci, ec))
    for (const fs::directory_entry& d : fs::directory_iterator(pci, ec))
      if (first_line(d.path() / "vendor") == "0x17db") f.has_cassini = true;
  f.ofi_plugin = names_libfabric(std::getenv("NCCL_NET_PLUGIN")) || names_libfabric(std::getenv("NCCL_NET"));
  if (cuda_device >= 0) {
    const probe::CudaReport cuda = probe::query_cuda();
    for (const probe::GpuInfo& g : cuda.gpus)
      if (g.cuda_index == cuda_device && g.cc_major > 0) f.compute_capability = g.cc_major * 10 + g.cc_minor;
  }
  return f;
}

NcclSpaceContext nccl_context(const NodeFacts& facts, const std::string& collective, int nranks, int nnodes) {
  NcclSpaceContext c;
  c.collective = collective;
  c.nranks = nranks;
  c.nnodes = nnodes;
  if (facts.compute_capability > 0) c.compute_capability = facts.compute_capability;
  // NVLS needs NVSwitch-connected Hopper or newer GPUs; where NCCL has it off, the plugin
  // sees -1 in the cost table and the candidate is reported as not honoured (cheaply).
  c.nvls = nranks > 1 && c.compute_capability >= 90;
  c.collnet = false;  // CollNet needs a SHARP network plugin, which Cairn does not detect
  if (nnodes > 1) {
    if (facts.has_ib_verbs) c.transport = NcclTransport::infiniband;
    else if (facts.ofi_plugin || facts.has_cassini) c.transport = NcclTransport::ofi;
    else c.transport = NcclTransport::socket;
  }
  c.alps_like = facts.has_cassini;
  return c;
}

}  // namespace cairn::tuner
