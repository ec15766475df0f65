// Whole-file reads and atomic writes with errors that name the file.
#pragma once

#include <string>

namespace cairn {

// Reads a whole file. Throws cairn::Error naming the path if it is missing, unreadable,
// a directory, or (unless allow_empty) empty.
std::string read_text_file(const std::string& path, bool allow_empty = false);

// Writes through a temporary file in the same directory and renames it over the target,
// so a reader never sees a half-written file and a failed write loses nothing.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace cairn
