// What only libibverbs tells, not sysfs: each port's active MTU (ibv_query_port).
#pragma once

#include <map>
#include <string>

#include "common/json_io.h"
#include "probe/node.h"

namespace cairn::probe {

// device name -> port number -> active MTU in bytes. Empty when there is no device.
using VerbsMtus = std::map<std::string, std::map<int, int>>;

VerbsMtus query_verbs_mtus();
void apply_verbs_mtus(NodeInfo& node, const VerbsMtus& mtus);

inline constexpr const char* kVerbsSchema = "cairn.probe-verbs";
Json verbs_mtus_to_json(const VerbsMtus& mtus);
VerbsMtus verbs_mtus_from_json(const Json& doc, const std::string& source);

}  // namespace cairn::probe
