// The probe's scratch directory: PATH/cairn-storage-XXXXXX, made by mkdtemp and removed
// with everything in it when the probe ends, however it ends (an error, a full disk, a
// stop signal: the destructor runs while the exception unwinds).
#pragma once

#include <cstdint>
#include <string>

namespace cairn::probe::storage {

// Throws cairn::Error, one line naming PATH and the fix, unless PATH is a directory this
// process may write into on a writable filesystem with at least `needed_bytes` free
// (`size_flag`: the flag a smaller need is given with).
void check_probe_path(const std::string& path, std::uint64_t needed_bytes, const std::string& size_flag = "--size");

class ScratchDir {
 public:
  // Creates the directory under `parent` (cairn::Error naming parent and why it cannot).
  explicit ScratchDir(const std::string& parent);
  ~ScratchDir();  // removes the tree; never throws
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cairn::probe::storage
