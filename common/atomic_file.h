// A file that appears whole or not at all, and survives a crash once committed: bytes go
// to PATH.tmp.<pid> in the same directory and commit() renames it over PATH. Durable
// (checkpoints): commit() also fsyncs the file before the rename and the directory after,
// so a crash or power loss never leaves PATH torn or empty. A writer destroyed (or a
// process killed) before commit() leaves PATH as it was; only the temporary file can be
// left behind.
#pragma once

#include <cstddef>
#include <string>

namespace cairn {

class AtomicFile {
 public:
  enum class Sync { none, durable };
  // Creates the temporary file; cairn::Error naming PATH.
  explicit AtomicFile(std::string path, Sync sync = Sync::durable);
  ~AtomicFile();                          // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t bytes);  // all of it, or cairn::Error (disk full, ...)
  void commit();  // [fsync], rename over PATH, [fsync the directory]

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_, tmp_;
  Sync sync_;
  int fd_ = -1;
  bool committed_ = false;
};

// The suffix every temporary file starts with (".tmp."), so directory scans can skip them.
inline constexpr const char* kAtomicTempInfix = ".tmp.";

}  // namespace cairn
