// A fresh directory under the system temp dir for one test, removed with everything in it
// when the object goes. Shared by every module's tests (header only: no library to link).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cairn::test {

struct TempDir {
  std::filesystem::path path;

  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("cairn_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);  // a leftover of a killed run with the same pid
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string str() const { return path.string(); }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string operator/(const std::string& rel) const { return file(rel); }

  // Writes a file (parents created); sysfs attributes end with a newline.
  void write(const std::string& rel, const std::string& text) const {
    const auto p = path / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path / rel); }
};

}  // namespace cairn::test
