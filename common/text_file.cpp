#include "common/text_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"

namespace cairn {

std::string read_text_file(const std::string& path, bool allow_empty) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "read error");
  std::string s = ss.str();
  if (s.empty() && !allow_empty) fail(path, "file is empty");
  return s;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile out(path, AtomicFile::Sync::none);
  out.write(contents.data(), contents.size());
  out.commit();
}

}  // namespace cairn
