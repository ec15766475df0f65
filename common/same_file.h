// An output that is one of the run's own inputs would be overwritten while (or before) it
// is read. Commands call refuse_output_over_inputs once, before reading anything.
#pragma once

#include <string>
#include <vector>

namespace cairn {

// A path and the flag that gave it ("--data", "--loss-log"), for the error message.
struct FlaggedPath {
  std::string flag, path;
};

// True when both paths exist and are one file: the same device and inode, so hard links,
// symlinks and "./x" against "x" all count.
bool same_existing_file(const std::string& a, const std::string& b);

// Throws cairn::Error naming both when output is the same file as one of inputs. Empty
// paths (a flag not given) are skipped.
void refuse_output_over_inputs(const FlaggedPath& output, const std::vector<FlaggedPath>& inputs);

}  // namespace cairn
