#include "tests/support/fixtures.h"

#include <algorithm>
#include <filesystem>

#include "common/error.h"

namespace cairn::test {

std::string fixture(const std::string& rel) { return std::string(CAIRN_FIXTURES_DIR) + "/" + rel; }

std::vector<std::string> capture_fixtures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(fixture("captures")))
    if (e.is_directory()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  if (names.empty()) throw Error(fixture("captures") + ": holds no capture; the repository ships at least one");
  return names;
}

}  // namespace cairn::test
