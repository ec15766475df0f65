#include "probe/nvml_loader.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <map>

#include "probe/pcie_sysfs.h"

namespace cairn::probe {
namespace {

// ---- The subset of nvml.h the probe uses (layouts and values as in the official header).
using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
using nvmlDevice_t = struct nvmlDevice_st*;
using nvmlEnableState_t = int;  // NVML_FEATURE_DISABLED = 0, NVML_FEATURE_ENABLED = 1
constexpr unsigned NVML_NVLINK_MAX_LINKS = 18;
constexpr int NVML_NVLINK_DEVICE_TYPE_GPU = 0, NVML_NVLINK_DEVICE_TYPE_IBMNPU = 1,
              NVML_NVLINK_DEVICE_TYPE_SWITCH = 2;
constexpr int NVML_MEMORY_ERROR_TYPE_CORRECTED = 0, NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1;
constexpr int NVML_VOLATILE_ECC = 0;
constexpr int NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS = 0,
              NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR = 1;

struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[32];
};

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct Api {
  nvmlReturn_t (*Init_v2)();
  nvmlReturn_t (*Shutdown)();
  const char* (*ErrorString)(nvmlReturn_t);
  nvmlReturn_t (*DeviceGetCount_v2)(unsigned int*);
  nvmlReturn_t (*DeviceGetHandleByIndex_v2)(unsigned int, nvmlDevice_t*);
  nvmlReturn_t (*DeviceGetName)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*DeviceGetUUID)(nvmlDevice_t, char*, unsigned int);
  nvmlReturn_t (*DeviceGetPciInfo_v3)(nvmlDevice_t, nvmlPciInfo_t*);
  nvmlReturn_t (*DeviceGetMemoryInfo)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*DeviceGetCudaComputeCapability)(nvmlDevice_t, int*, int*);
  nvmlReturn_t (*DeviceGetCurrPcieLinkGeneration)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*DeviceGetCurrPcieLinkWidth)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*DeviceGetMaxPcieLinkGeneration)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*DeviceGetMaxPcieLinkWidth)(nvmlDevice_t, unsigned int*);
  nvmlReturn_t (*DeviceGetNvLinkState)(nvmlDevice_t, unsigned int, nvmlEnableState_t*);
  nvmlReturn_t (*DeviceGetNvLinkRemotePciInfo_v2)(nvmlDevice_t, unsigned int, nvmlPciInfo_t*);
  nvmlReturn_t (*DeviceGetNvLinkRemoteDeviceType)(nvmlDevice_t, unsigned int, int*);  // optional
  nvmlReturn_t (*DeviceGetEccMode)(nvmlDevice_t, nvmlEnableState_t*, nvmlEnableState_t*);
  nvmlReturn_t (*DeviceGetTotalEccErrors)(nvmlDevice_t, int, int, unsigned long long*);
  nvmlReturn_t (*DeviceGetRetiredPages)(nvmlDevice_t, int, unsigned int*, unsigned long long*);
  nvmlReturn_t (*DeviceGetRetiredPagesPendingStatus)(nvmlDevice_t, nvmlEnableState_t*);
  nvmlReturn_t (*DeviceGetRemappedRows)(nvmlDevice_t, unsigned int*, unsigned int*, unsigned int*, unsigned int*);
  nvmlReturn_t (*DeviceGetCurrentClocksThrottleReasons)(nvmlDevice_t, unsigned long long*);
};

template <typename F>
void bind(void* lib, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
}

// The library stays loaded for the life of the process: unloading NVML while other
// threads may have called it is not worth the few pages.
bool load_api(Api& a, std::string& why_not) {
  void* lib = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    why_not = "NVML not found (libnvidia-ml.so.1): GPU PCIe/NVLink/ECC facts missing";
    return false;
  }
  bind(lib, a.Init_v2, "nvmlInit_v2");
  bind(lib, a.Shutdown, "nvmlShutdown");
  bind(lib, a.ErrorString, "nvmlErrorString");
  bind(lib, a.DeviceGetCount_v2, "nvmlDeviceGetCount_v2");
  bind(lib, a.DeviceGetHandleByIndex_v2, "nvmlDeviceGetHandleByIndex_v2");
  bind(lib, a.DeviceGetName, "nvmlDeviceGetName");
  bind(lib, a.DeviceGetUUID, "nvmlDeviceGetUUID");
  bind(lib, a.DeviceGetPciInfo_v3, "nvmlDeviceGetPciInfo_v3");
  bind(lib, a.DeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo");
  bind(lib, a.DeviceGetCudaComputeCapability, "nvmlDeviceGetCudaComputeCapability");
  bind(lib, a.DeviceGetCurrPcieLinkGeneration, "nvmlDeviceGetCurrPcieLinkGeneration");
  bind(lib, a.DeviceGetCurrPcieLinkWidth, "nvmlDeviceGetCurrPcieLinkWidth");
  bind(lib, a.DeviceGetMaxPcieLinkGeneration, "nvmlDeviceGetMaxPcieLinkGeneration");
  bind(lib, a.DeviceGetMaxPcieLinkWidth, "nvmlDeviceGetMaxPcieLinkWidth");
  bind(lib, a.DeviceGetNvLinkState, "nvmlDeviceGetNvLinkState");
  bind(lib, a.DeviceGetNvLinkRemotePciInfo_v2, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
  bind(lib, a.DeviceGetNvLinkRemoteDeviceType, "nvmlDeviceGetNvLinkRemoteDeviceType");
  bind(lib, a.DeviceGetEccMode, "nvmlDeviceGetEccMode");
  bind(lib, a.DeviceGetTotalEccErrors, "nvmlDeviceGetTotalEccErrors");
  bind(lib, a.DeviceGetRetiredPages, "nvmlDeviceGetRetiredPages");
  bind(lib, a.DeviceGetRetiredPagesPendingStatus, "nvmlDeviceGetRetiredPagesPendingStatus");
  bind(lib, a.DeviceGetRemappedRows, "nvmlDeviceGetRemappedRows");
  // Renamed nvmlDeviceGetCurrentClocksEventReasons in CUDA 12.2; the old name stays exported.
  bind(lib, a.DeviceGetCurrentClocksThrottleReasons, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!a.DeviceGetCurrentClocksThrottleReasons)
    bind(lib, a.DeviceGetCurrentClocksThrottleReasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
  if (!a.Init_v2 || !a.DeviceGetCount_v2 || !a.DeviceGetHandleByIndex_v2 || !a.DeviceGetPciInfo_v3) {
    why_not = "NVML (libnvidia-ml.so.1) is too old (no nvmlInit_v2/nvmlDeviceGetPciInfo_v3): "
              "GPU PCIe/NVLink/ECC facts missing";
    return false;
  }
  return true;
}

template <typename F, typename... A>
bool ok(F fn, A... args) {
  return fn && fn(args...) == NVML_SUCCESS;
}

void read_nvlinks(const Api& a, nvmlDevice_t dev, GpuInfo& g) {
  std::map<std::string, NvLinkPeer> peers;
  std::vector<std::string> order;
  double per_link = nvlink_gb_s_per_link(g.cc_major, g.cc_minor);
  for (unsigned link = 0; link < NVML_NVLINK_MAX_LINKS; ++link) {
    nvmlEnableState_t active = 0;
    if (!ok(a.DeviceGetNvLinkState, dev, link, &active)) continue;  // no such link
    ++g.nvlinks_supported;
    if (active != 1) continue;
    ++g.nvlinks_active;
    nvmlPciInfo_t remote{};
    std::string bus = ok(a.DeviceGetNvLinkRemotePciInfo_v2, dev, link, &remote) ? normalize_bus_id(remote.busId) : "";
    int type = -1;
    std::string kind = "unknown";
    if (ok(a.DeviceGetNvLinkRemoteDeviceType, dev, link, &type))
      kind = type == NVML_NVLINK_DEVICE_TYPE_GPU      ? "gpu"
             : type == NVML_NVLINK_DEVICE_TYPE_SWITCH ? "nvswitch"
             : type == NVML_NVLINK_DEVICE_TYPE_IBMNPU ? "cpu"
                                                      : "unknown";
    std::string key = bus + "|" + kind;
    if (!peers.count(key)) order.push_back(key);
    auto& p = peers[key];
    p.remote_bus_id = bus;
    p.remote_kind = kind;
    ++p.links;
    p.bandwidth_gb_s += per_link;
  }
  for (const auto& k : order) g.nvlink_peers.push_back(peers[k]);
}

void read_health(const Api& a, nvmlDevice_t dev, GpuInfo& g) {
  nvmlEnableState_t current = 0, pending = 0;
  if (ok(a.DeviceGetEccMode, dev, &current, &pending)) g.ecc_enabled = current == 1;
  if (g.ecc_enabled) {
    unsigned long long n = 0;
    if (ok(a.DeviceGetTotalEccErrors, dev, NVML_MEMORY_ERROR_TYPE_CORRECTED, NVML_VOLATILE_ECC, &n)) g.ecc_corrected = n;
    if (ok(a.DeviceGetTotalEccErrors, dev, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC, &n)) g.ecc_uncorrected = n;
  }
  // Ampere and later remap rows; older GPUs retire pages. Ask for the newer first.
  unsigned corr = 0, unc = 0, is_pending = 0, failure = 0;
  if (ok(a.DeviceGetRemappedRows, dev, &corr, &unc, &is_pending, &failure)) {
    g.retired_pages = corr + unc;
    g.retirement_pending = is_pending != 0 || failure != 0;
  } else if (a.DeviceGetRetiredPages) {
    for (int cause : {NVML_PAGE_RETIREMENT_CAUSE_MULTIPLE_SINGLE_BIT_ECC_ERRORS, NVML_PAGE_RETIREMENT_CAUSE_DOUBLE_BIT_ECC_ERROR}) {
      unsigned count = 0;  // 0 asks for the count only
      auto r = a.DeviceGetRetiredPages(dev, cause, &count, nullptr);
      if (r == NVML_SUCCESS || r == NVML_ERROR_INSUFFICIENT_SIZE) g.retired_pages += count;
    }
    nvmlEnableState_t p = 0;
    if (ok(a.DeviceGetRetiredPagesPendingStatus, dev, &p)) g.retirement_pending = p == 1;
  }
  unsigned long long reasons = 0;
  if (ok(a.DeviceGetCurrentClocksThrottleReasons, dev, &reasons)) g.throttle_reasons = throttle_reason_names(reasons);
}

}  // namespace

std::string normalize_bus_id(const std::string& nvml_bus_id) {
  std::string s;
  for (char c : nvml_bus_id) {
    if (c == '\0') break;
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // An eight-digit domain ("00000000:3b:00.0") becomes four digits.
  auto colon = s.find(':');
  if (colon == 8 && s.compare(0, 4, "0000") == 0) s.erase(0, 4);
  return s;
}

double nvlink_gb_s_per_link(int cc_major, int cc_minor) {
  // By architecture, because nvmlDeviceGetNvLinkVersion's numbering changed between driver
  // releases (an enum where 4 means NVLink 3.0, after years of returning the major).
  if (cc_major == 6) return 20;  // Pascal, NVLink 1: 8 lanes x 20 Gbit/s
  if (cc_major >= 7 && cc_major <= 9) return 25;  // NVLink 2, 3, 4
  if (cc_major >= 10) return 50;  // Blackwell, NVLink 5
  (void)cc_minor;
  return 0;
}

std::vector<std::string> throttle_reason_names(unsigned long long mask) {
  static const std::pair<unsigned long long, const char*> kBits[] = {
      {0x1, "gpu_idle"},           {0x2, "applications_clocks_setting"},
      {0x4, "sw_power_cap"},       {0x8, "hw_slowdown"},
      {0x10, "sync_boost"},        {0x20, "sw_thermal"},
      {0x40, "hw_thermal"},        {0x80, "hw_power_brake"},
      {0x100, "display_clock_setting"}};
  std::vector<std::string> out;
  for (auto [bit, name] : kBits)
    if (mask & bit) out.push_back(name);
  return out;
}

NvmlReport query_nvml() {
  NvmlReport report;
  Api a{};
  std::string why;
  if (!load_api(a, why)) {
    report.notes.push_back(why);
    return report;
  }
  if (auto r = a.Init_v2(); r != NVML_SUCCESS) {
    report.notes.push_back(std::string("NVML did not start (") + (a.ErrorString ? a.ErrorString(r) : "error") +
                           "): GPU PCIe/NVLink/ECC facts missing; is the NVIDIA driver loaded?");
    return report;
  }
  report.available = true;
  unsigned count = 0;
  if (!ok(a.DeviceGetCount_v2, &count)) count = 0;
  for (unsigned i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    if (!ok(a.DeviceGetHandleByIndex_v2, i, &dev)) {
      report.notes.push_back("NVML could not open GPU " + std::to_string(i) + " (no permission, or the GPU fell off the bus)");
      continue;
    }
    GpuInfo g;
    g.source = "nvml";
    nvmlPciInfo_t pci{};
    if (ok(a.DeviceGetPciInfo_v3, dev, &pci)) g.bus_id = normalize_bus_id(pci.busId);
    char buf[128] = {};
    if (ok(a.DeviceGetName, dev, buf, static_cast<unsigned>(sizeof buf))) g.name = buf;
    std::memset(buf, 0, sizeof buf);
    if (ok(a.DeviceGetUUID, dev, buf, static_cast<unsigned>(sizeof buf))) g.uuid = buf;
    nvmlMemory_t mem{};
    if (ok(a.DeviceGetMemoryInfo, dev, &mem)) g.memory_bytes = mem.total;
    ok(a.DeviceGetCudaComputeCapability, dev, &g.cc_major, &g.cc_minor);
    unsigned gen = 0, width = 0;
    if (ok(a.DeviceGetCurrPcieLinkGeneration, dev, &gen) && ok(a.DeviceGetCurrPcieLinkWidth, dev, &width)) {
      g.pcie.speed_gt_s = pcie_gen_to_gt_s(static_cast<int>(gen));
      g.pcie.width = static_cast<int>(width);
      if (ok(a.DeviceGetMaxPcieLinkGeneration, dev, &gen) && ok(a.DeviceGetMaxPcieLinkWidth, dev, &width)) {
        g.pcie.max_speed_gt_s = pcie_gen_to_gt_s(static_cast<int>(gen));
        g.pcie.max_width = static_cast<int>(width);
      }
    }
    read_nvlinks(a, dev, g);
    read_health(a, dev, g);
    report.gpus.push_back(std::move(g));
  }
  if (a.Shutdown) a.Shutdown();
  return report;
}

}  // namespace cairn::probe
