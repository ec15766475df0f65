// Whole-file reads and atomic writes with errors that name the file.
#pragma once

#include <cstddef>
#include <string>

namespace cairn {

// The most read_text_file takes unless its caller says otherwise: far beyond any
// topology, probe or model file, far below what a node's memory would notice.
inline constexpr std::size_t kDefaultMaxInputBytes = std::size_t{256} << 20;

// Reads a whole input file (the one reader of Cairn's JSON, XML and text inputs). Throws
// cairn::Error naming the path, and saying why, if it is missing, a dangling symbolic
// link or a loop of them, unreadable, a directory, a device or a socket (not a regular
// file), larger than max_bytes, more than there is memory for, or (unless allow_empty)
// empty. The size is checked before reading and the read itself stops at max_bytes, for
// files that grow while read.
//
// A FIFO (or /dev/stdin) is read as `cat` reads it: the open blocks until a writer
// comes, and the read ends at the writer's end of file (or at max_bytes).
std::string read_text_file(const std::string& path, bool allow_empty = false,
                           std::size_t max_bytes = kDefaultMaxInputBytes);

// Writes through a temporary file in the same directory and renames it over the target,
// so a reader never sees a half-written file and a failed write loses nothing. Targets
// that are not regular files are handled as AtomicFile says (common/atomic_file.h).
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace cairn
