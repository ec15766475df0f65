#include "tuner/run/nccl_applier.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "common/error.h"
#include "tuner/plugin/sweep_control.h"

namespace cairn::tuner {
namespace {

int parse_int(const std::string& field, const std::string& value) {
  std::size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty())
    throw Error(fmt::format("ncclConfig_t field {}: '{}' is not an integer", field, value));
  return v;
}

// The plugin's sweep controls, looked up in the library NCCL loaded.
struct SweepControls {
  decltype(&cairn_tuner_sweep_set) set = nullptr;
  decltype(&cairn_tuner_sweep_clear) clear = nullptr;
  decltype(&cairn_tuner_sweep_counts) counts = nullptr;
};

SweepControls find_controls(const std::string& path) {
  // RTLD_NOLOAD: only a library already in the process -- the one NCCL loaded.
  void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!lib)
    throw Error(fmt::format("{}: NCCL did not load Cairn's tuner plugin (set NCCL_TUNER_PLUGIN to this path before "
                            "NCCL starts, and check NCCL_DEBUG=INFO for why it was rejected)",
                            path));
  SweepControls c;
  c.set = reinterpret_cast<decltype(c.set)>(::dlsym(lib, "cairn_tuner_sweep_set"));
  c.clear = reinterpret_cast<decltype(c.clear)>(::dlsym(lib, "cairn_tuner_sweep_clear"));
  c.counts = reinterpret_cast<decltype(c.counts)>(::dlsym(lib, "cairn_tuner_sweep_counts"));
  // The handle from RTLD_NOLOAD holds a reference; the library stays for the process.
  if (!c.set || !c.clear || !c.counts)
    throw Error(fmt::format("{}: the library has no sweep controls: it is not Cairn's tuner plugin of this build", path));
  return c;
}

class NcclApplier final : public Applier {
 public:
  NcclApplier(coll::Communicator& comm, const std::string& plugin_path, NcclCommFactory factory)
      : comm_(comm), controls_(find_controls(plugin_path)), factory_(std::move(factory)) {}

  coll::Communicator& apply(const Candidate& c) override {
    if (c.level == Level::per_process)
      throw Error(fmt::format("candidate {}: per-process settings need fresh workers, not this process", c.key));
    if (!c.rank_order.empty()) return placements_.get(comm_, c);
    if (c.comm_config.empty()) return comm_;
    auto it = configured_.find(c.comm_config);
    if (it != configured_.end()) return *it->second;
    std::unique_ptr<coll::Communicator> made = factory_(nccl_options_for(c.comm_config));
    return *configured_.emplace(c.comm_config, std::move(made)).first->second;
  }

  void arm(const Candidate& c, const Cell& cell) override {
    if (!c.nccl.nccl_algorithm || !c.nccl.nccl_protocol) return;
    const std::optional<NcclFunc> func = nccl_func_of(cell.collective);
    if (!func) return;
    // Setting resets the plugin's counts: what disarm() reads is this window's.
    if (controls_.set(static_cast<int>(*func), static_cast<int>(*c.nccl.nccl_algorithm),
                      static_cast<int>(*c.nccl.nccl_protocol), c.nccl.channels) != 0)
      throw Error(fmt::format("candidate {}: the tuner plugin refused its choice as out of range", c.key));
    armed_ = true;
  }

  void disarm() override {
    if (!armed_) return;
    long applied = 0, refused = 0;
    controls_.counts(&applied, &refused);
    controls_.clear();
    applied_ += applied;
    refused_ += refused;
    armed_ = false;
  }

  bool honoured(const Candidate& c) override {
    const bool forced = c.nccl.nccl_algorithm && c.nccl.nccl_protocol;
    const bool ok = !forced || (applied_ > 0 && refused_ == 0);
    applied_ = refused_ = 0;
    return ok;
  }

  void reset() override {
    controls_.clear();
    armed_ = false;
  }
  coll::Communicator& base() override { return comm_; }

 private:
  coll::Communicator& comm_;
  SweepControls controls_;
  NcclCommFactory factory_;
  PlacementCache placements_;
  std::map<std::map<std::string, std::string>, std::unique_ptr<coll::Communicator>> configured_;
  bool armed_ = false;
  long applied_ = 0, refused_ = 0;
};

}  // namespace

coll::NcclOptions nccl_options_for(const std::map<std::string, std::string>& comm_config) {
  coll::NcclOptions o;
  for (const auto& [field, value] : comm_config) {
    if (field == "minCTAs") o.min_ctas = parse_int(field, value);
    else if (field == "maxCTAs") o.max_ctas = parse_int(field, value);
    else if (field == "cgaClusterSize") o.cga_cluster_size = parse_int(field, value);
    else if (field == "splitShare") o.split_share = parse_int(field, value) != 0;
    else if (field == "netName") o.net_name = value;
    else if (field == "CTAPolicy") o.cta_policy = parse_int(field, value);
    else if (field == "nvlsCTAs") o.nvls_ctas = parse_int(field, value);
    else if (field == "nChannelsPerNetPeer") o.channels_per_net_peer = parse_int(field, value);
    else
      throw Error(fmt::format("ncclConfig_t field '{}' is not one Cairn sets: use minCTAs, maxCTAs, cgaClusterSize, "
                              "splitShare, netName, CTAPolicy, nvlsCTAs or nChannelsPerNetPeer",
                              field));
  }
  return o;
}

std::unique_ptr<Applier> make_nccl_applier(coll::Communicator& comm, const std::string& plugin_path,
                                           NcclCommFactory factory) {
  return std::make_unique<NcclApplier>(comm, plugin_path, std::move(factory));
}

std::string default_plugin_path() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Error("cannot read /proc/self/exe to find Cairn's tuner plugin; give --plugin PATH");
  const std::filesystem::path exe(std::string(buf, static_cast<std::size_t>(n)));
  return (exe.parent_path().parent_path() / "lib" / "libnccl-tuner-cairn.so").string();
}

}  // namespace cairn::tuner
