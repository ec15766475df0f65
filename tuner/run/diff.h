// `cairn tune --diff A.json B.json`: the cells whose bus bandwidth moved by more than a
// threshold between two profiles -- an NCCL upgrade, a firmware or driver change, a
// default that flipped (nccl-tests#352: 50 -> 7 GB/s) -- caught before rollout.
#pragma once

#include <string>
#include <vector>

#include "tuner/profile/profile.h"

namespace cairn::tuner {

struct CellChange {
  std::string cell;        // "all_reduce float 1048576 B, 1 node x 4 ranks"
  double before_gb_s = 0;  // A's best figure (tuned where A declared a winner, else default)
  double after_gb_s = 0;   // B's
  double change = 0;       // after / before - 1
  std::string note;        // "only in A", "winner changed: ring/simple -> tree/ll", ...
};

struct ProfileDiff {
  std::vector<std::string> context;  // NCCL version, topology, environment, backend changes
  std::vector<CellChange> moved;     // |change| > threshold, or a cell in one profile only
  int compared = 0;                  // cells present in both
  bool regressed = false;            // some cell got slower beyond the threshold
};

// threshold: a fraction (0.10 for 10 %).
ProfileDiff diff_profiles(const Profile& a, const Profile& b, double threshold);
std::string format_diff(const ProfileDiff& d, const std::string& a_name, const std::string& b_name, double threshold);

}  // namespace cairn::tuner
