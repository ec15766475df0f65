// What a path is, in the words an error uses: "a directory", "a character device", ...
#pragma once

#include <sys/stat.h>

namespace cairn {

// "a regular file", "a directory", "a character device", "a block device", "a FIFO",
// "a socket" or "a symbolic link" (for an lstat mode).
const char* file_kind(mode_t mode);

}  // namespace cairn
