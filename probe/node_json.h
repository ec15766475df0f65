// NodeInfo as JSON: schema "cairn.probe", version 1 (docs/probe-schema.md). What
// `cairn probe --json` writes, and what `cairn probe --from FILE.json` and later modules
// read back.
#pragma once

#include <string>

#include "common/json_io.h"
#include "probe/node.h"
#include "probe/pci_class.h"

namespace cairn::probe {

inline constexpr const char* kProbeSchema = "cairn.probe";
inline constexpr int kProbeSchemaVersion = 1;

Json node_to_json(const NodeInfo& node);  // with the schema fields
// Checks the schema and every field's type; errors name `source` and the field.
NodeInfo node_from_json(const Json& doc, const std::string& source);
NodeInfo read_node_json_file(const std::string& path);

// Pieces shared with the capture files (gpus.json holds GpuInfo objects).
Json gpu_to_json(const GpuInfo& gpu);
GpuInfo gpu_from_json(const Json& obj, const std::string& source);

PciKind pci_kind_from_string(const std::string& text, const std::string& source);

}  // namespace cairn::probe
