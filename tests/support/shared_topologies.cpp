#include "tests/support/shared_topologies.h"

#include <filesystem>

namespace cairn::test {
namespace {

// CAIRN_SHARED_DIR is where the build expects ../shared (tests/support/CMakeLists.txt).
std::string path_of(const std::string& rel) { return std::string(CAIRN_SHARED_DIR) + "/topologies/" + rel; }

}  // namespace

std::string shared_topology(const std::string& rel) {
  std::error_code ec;
  return std::filesystem::exists(path_of(rel), ec) ? path_of(rel) : "";
}

std::string shared_topology_absent(const std::string& rel) {
  return "../shared/topologies is absent: " + path_of(rel) +
         " not found; put the shared folder beside the checkout to run this test "
         "(tests/fixtures/ covers the same readers on a plain clone)";
}

}  // namespace cairn::test
