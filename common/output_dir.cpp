#include "common/output_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/error.h"
#include "common/file_kind.h"

namespace cairn {

void make_output_dir(const std::string& flag, const std::string& dir) {
  const std::string what = fmt::format("{} {}", flag, dir);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
    if (::mkdir(dir.c_str(), 0777) == 0) return;
    const int err = errno;
    if (err == ENOENT) {
      // The last component's parent, with trailing slashes ("a/b/") not taken for one.
      std::filesystem::path p(dir);
      while (!p.has_filename() && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
      const std::filesystem::path parent = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
      throw Error(fmt::format("{}: its parent {} does not exist (cairn creates only the last component, as mkdir "
                              "does): create the parent first, or check the path for a typo",
                              what, parent.string()));
    }
    if (err != EEXIST)
      throw Error(fmt::format("{} cannot be created ({}): give a directory this user can write, or create it first",
                            what, std::strerror(err)));
  }
  if (::stat(dir.c_str(), &st) != 0)
    throw Error(fmt::format("{} cannot be used ({}): give a directory this user can reach", what, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode))
    throw Error(fmt::format("{} is {}, not a directory: give a directory to write into", what, file_kind(st.st_mode)));
}

}  // namespace cairn
