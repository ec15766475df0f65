#include "probe/sysfs_root.h"

#include <algorithm>
#include <cctype>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include "common/error.h"
#include "common/text_file.h"

namespace cairn::probe {
namespace fs = std::filesystem;

namespace {

// sysfs attributes are at most a page; read() once instead of building an ifstream, which
// matters when a probe reads a few thousand counters.
std::optional<std::string> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (1u << 20)) break;  // not an attribute; stop rather than read forever
  }
  ::close(fd);
  return out;
}

}  // namespace

std::optional<std::string> SysfsRoot::read(const std::string& rel) const {
  auto text = read_small_file(root_ + "/" + rel);
  if (!text) return std::nullopt;
  if (!record_dir_.empty()) {
    fs::path target = fs::path(record_dir_) / rel;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) fail(target.parent_path().string(), "cannot create capture directory: " + ec.message());
    write_file_atomically(target.string(), *text);
  }
  while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back()))) text->pop_back();
  return text;
}

std::vector<std::string> SysfsRoot::list(const std::string& rel) const {
  std::vector<std::string> names;
  std::error_code ec;
  fs::path dir = fs::path(root_) / rel;
  if (!record_dir_.empty() && fs::is_directory(dir, ec)) fs::create_directories(fs::path(record_dir_) / rel, ec);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
    if (!record_dir_.empty() && it->is_directory(ec))
      fs::create_directories(fs::path(record_dir_) / rel / names.back(), ec);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace cairn::probe
