// The applier for NCCL communicators. Per call: algorithm x protocol x channels forced
// through Cairn's own tuner plugin in sweep mode -- the same libnccl-tuner-cairn.so that
// NCCL loaded for the communicator (NCCL_TUNER_PLUGIN names its path before the
// communicator is made), reached through dlopen of that path, which returns the library
// NCCL already holds. The plugin counts the calls it forced and those NCCL had disabled
// (-1 in its cost table), so a choice NCCL could not take never passes for measured.
// Per communicator: ncclConfig_t fields, by opening a communicator with them (once, then
// reused). Placements: split with new keys.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "tuner/run/applier.h"

namespace cairn::tuner {

// Makes a NCCL communicator of every rank with the given ncclConfig_t fields (collective).
using NcclCommFactory = std::function<std::unique_ptr<coll::Communicator>(const coll::NcclOptions&)>;

// `plugin_path` is the library NCCL was told to load; throws cairn::Error when this
// process has not loaded it (NCCL_TUNER_PLUGIN was not set before the communicator was
// made, or NCCL rejected the plugin).
std::unique_ptr<Applier> make_nccl_applier(coll::Communicator& comm, const std::string& plugin_path,
                                           NcclCommFactory factory);

// NcclOptions for a candidate's ncclConfig_t fields ("minCTAs", "maxCTAs",
// "cgaClusterSize", "splitShare", "netName", "CTAPolicy", "nvlsCTAs",
// "nChannelsPerNetPeer"); throws naming an unknown field or value.
coll::NcclOptions nccl_options_for(const std::map<std::string, std::string>& comm_config);

// Where `cairn` finds the plugin it built: <dir of the executable>/../lib/libnccl-tuner-cairn.so.
std::string default_plugin_path();

}  // namespace cairn::tuner
