// libFuzzer target: the hwloc XML reader (probe/hwloc_xml.h). Any input either fails with
// cairn::Error or gives a node that survives the JSON round trip, the health checks and
// the summary; a crash, another exception or a changed node is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "probe/health.h"
#include "probe/hwloc_xml.h"
#include "probe/node_json.h"
#include "probe/summary.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::probe;
  std::string text(reinterpret_cast<const char*>(data), size);
  NodeInfo node;
  try {
    node = parse_hwloc_xml(text, "fuzz.xml");
  } catch (const cairn::Error&) {
    return 0;
  }
  // Names are bytes from the file; invalid UTF-8 is replaced when written, as `--json` does.
  auto text_out = node_to_json(node).dump(-1, ' ', false, cairn::Json::error_handler_t::replace);
  auto doc = cairn::Json::parse(text_out);
  auto again = node_from_json(doc, "fuzz-export.json");
  if (node_to_json(again) != doc) std::abort();
  auto findings = check_node(node);
  auto summary = render_summary(node, findings);
  for (std::size_t start = 0; start < summary.size();) {
    auto end = summary.find('\n', start);
    if (end - start > 100) std::abort();  // every line fits 100 columns
    start = end + 1;
  }
  return 0;
}
