// A file that appears whole or not at all, and survives a crash once committed: bytes go
// to PATH.tmp.<pid> in the same directory and commit() renames it over PATH. Durable
// (checkpoints): commit() also fsyncs the file before the rename and the directory after,
// so a crash or power loss never leaves PATH torn or empty. A writer destroyed (or a
// process killed) before commit() leaves PATH as it was; only the temporary file can be
// left behind.
//
// What is already at PATH decides how it is written; nothing but a regular file is ever
// replaced:
// - nothing, or a regular file: replaced atomically as above.
// - a symbolic link: followed on purpose. The file it points to (through any chain of
//   links) is replaced atomically and the link stays a link. A dangling link creates the
//   file it names, as shell redirection does; its directory must exist. A loop of links
//   is an error naming PATH.
// - a character or block device, or a FIFO: opened and written in place, never renamed
//   over, as `cmd > PATH` would: /dev/null discards, /dev/full fails with "No space left
//   on device" naming PATH, and a FIFO blocks in the constructor until a reader opens it.
//   Such a write is not atomic (there is nothing to rename); durable writes still fsync
//   where the device supports it.
// - a directory or a socket: refused (cairn::Error naming PATH).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cairn {

class AtomicFile {
 public:
  enum class Sync { none, durable };
  // Creates the temporary file (or opens a device in place); cairn::Error naming PATH.
  explicit AtomicFile(std::string path, Sync sync = Sync::durable);
  ~AtomicFile();                          // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t bytes);  // all of it, or cairn::Error (disk full, ...)
  // Overwrites bytes already written, at offset from the start (a header whose counts are
  // known only at the end). Needs a seekable target: cairn::Error naming PATH on a FIFO.
  void write_at(std::uint64_t offset, const void* data, std::size_t bytes);
  void commit();  // [fsync], rename over PATH, [fsync the directory]; in place: [fsync], close

  // What the constructor would refuse, checked without writing anything: a command whose
  // output comes at the end of long work checks it at the start. Also refuses a parent
  // directory that does not exist. cairn::Error naming PATH.
  static void check_writable(const std::string& path);

  const std::string& path() const { return path_; }
  // The file a commit() renames over: PATH, or where PATH's symbolic links lead.
  const std::string& target_path() const { return target_; }
  // Empty when PATH is written in place (a device or a FIFO).
  const std::string& temp_path() const { return tmp_; }

 private:
  std::string path_, target_, tmp_;
  Sync sync_;
  int fd_ = -1;
  bool committed_ = false;
};

// The suffix every temporary file starts with (".tmp."), so directory scans can skip them.
inline constexpr const char* kAtomicTempInfix = ".tmp.";

}  // namespace cairn
