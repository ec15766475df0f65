// `cairn tune --verify profile.json`: the profile's choice against the backend's default,
// measured again now, interleaved over the same rounds, cell by cell: the speedup (median
// of paired default / tuned times) with its distribution-free interval (stats.h). A cell
// whose tuned choice is slower than the default beyond the noise (the interval's upper
// bound below 1) fails the verification.
#pragma once

#include <string>
#include <vector>

#include "tuner/run/comm_measurer.h"
#include "tuner/search/stats.h"

namespace cairn::tuner {

struct VerifiedCell {
  Cell cell;
  std::string choice;            // the tuned candidate's key, "default" when the profile keeps it
  double default_us = 0, tuned_us = 0;
  double default_gb_s = 0, tuned_gb_s = 0;
  NoiseVerdict verdict;
  bool slower = false;           // tuned slower than default beyond the noise
  bool kept_default = false;     // the profile keeps the default here: measured alone
};

struct Verification {
  std::vector<VerifiedCell> cells;
  int skipped = 0;               // profile cells of another rank or node count than this run
  bool failed() const;
};

// Collective. `profile` must be identical on every rank (broadcast_text it).
Verification verify_profile_cells(CommMeasurer& measurer, const Profile& profile, int rounds, double coverage);
std::string format_verification(const Verification& v, const std::string& profile_name);

}  // namespace cairn::tuner
