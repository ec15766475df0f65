#include "topology/load.h"

#include <filesystem>

#include "common/text_file.h"
#include "probe/discover.h"
#include "topology/from_probe.h"
#include "topology/nccl_xml.h"

namespace cairn::topology {

bool looks_like_nccl_xml(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto lt = text.find('<', i);
    if (lt == std::string::npos) return false;
    if (text.compare(lt, 4, "<!--") == 0) {
      auto end = text.find("-->", lt + 4);
      if (end == std::string::npos) return false;
      i = end + 3;
    } else if (text.compare(lt, 2, "<?") == 0 || text.compare(lt, 2, "<!") == 0) {
      auto end = text.find('>', lt);
      if (end == std::string::npos) return false;
      i = end + 1;
    } else {
      return text.compare(lt + 1, 6, "system") == 0 &&
             (lt + 7 >= text.size() || text[lt + 7] == ' ' || text[lt + 7] == '>' || text[lt + 7] == '\n' ||
              text[lt + 7] == '\t' || text[lt + 7] == '\r' || text[lt + 7] == '/');
    }
  }
  return false;
}

Graph load_topology(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    std::string text = read_text_file(path);  // missing or empty: an error naming the file
    if (looks_like_nccl_xml(text)) return parse_nccl_xml(text, path);
  }
  return graph_from_probe(probe::probe_from(path));
}

Graph live_topology() { return graph_from_probe(probe::probe_live()); }

}  // namespace cairn::topology
