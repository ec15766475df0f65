// The real text the data and training tests use: the English fortune(6) files of the
// Debian `fortunes` package (scripts/deps.sh installs it), every file in the directory
// except the .dat indexes and .u8 links.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace cairn::train::test {

inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

inline std::vector<std::string> fortune_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(kFortunesDir, ec)) {
    if (!e.is_regular_file() || e.is_symlink() || e.path().has_extension()) continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());  // directory order is not stable
  return files;
}

using ::cairn::test::TempDir;  // tests/support/temp_dir.h

}  // namespace cairn::train::test
