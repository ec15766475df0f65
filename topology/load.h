// One entry point for every source a topology can come from: an NCCL topology XML, or
// anything the probe reads (an hwloc XML file, a `cairn probe --json` file, a capture
// directory), or this node live. The format is told from the content, not the file name.
#pragma once

#include <string>

#include "topology/graph.h"

namespace cairn::topology {

// Errors name the path and the problem (missing, empty, malformed, unknown format).
Graph load_topology(const std::string& path);

// This node, through the probe's live discovery.
Graph live_topology();

// True if the text's root element is NCCL's <system> (after any declaration, comments and
// whitespace).
bool looks_like_nccl_xml(const std::string& text);

}  // namespace cairn::topology
