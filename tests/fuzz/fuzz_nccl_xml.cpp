// libFuzzer target: NCCL topology XML import (topology/nccl_xml.h). Any input either fails
// with cairn::Error or gives a graph that exports, re-imports to the same graph, and
// answers path queries; anything else (a crash, another exception, a changed graph) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "topology/graph.h"
#include "topology/nccl_xml.h"
#include "topology/paths.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::topology;
  std::string text(reinterpret_cast<const char*>(data), size);
  Graph g;
  try {
    g = parse_nccl_xml(text, "fuzz.xml");
  } catch (const cairn::Error&) {
    return 0;
  }
  std::string xml;
  try {
    xml = to_nccl_xml(g);
  } catch (const cairn::Error&) {
    return 0;  // larger than NCCL's reader takes: refused, as it should be
  }
  Graph again = parse_nccl_xml(xml, "fuzz-export.xml");  // our own output must parse
  if (canonical_text(again) != canonical_text(g)) std::abort();
  auto gpus = g.of_kind(VertexKind::gpu), nics = g.of_kind(VertexKind::nic);
  if (gpus.size() + nics.size() <= 32) {
    for (int a : gpus)
      for (int b : nics) (void)find_path(g, a, b);
    (void)best_nics(g);
    (void)format_matrix(g);
  }
  return 0;
}
