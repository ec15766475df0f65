// A directory a command writes into (checkpoints, a probe capture): made if missing, but
// only its last component, as mkdir(1) does, so a mistyped path is not silently built.
#pragma once

#include <string>

namespace cairn {

// Makes `dir` if it is missing and checks that it is a directory (a symbolic link to one
// and a trailing slash are fine). cairn::Error naming "FLAG DIR" and, for a missing
// parent, the parent; for a path that exists, what it is instead.
void make_output_dir(const std::string& flag, const std::string& dir);

}  // namespace cairn
