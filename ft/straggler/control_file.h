// --straggler-control FILE: thresholds an operator changes while the job runs, as
// key=value lines (blank lines and # comments allowed):
//   threshold=4        the modified z-score cut (also "z"); finite, > 0
//   min_slowdown=0.15  the least slowdown worth an alert, a fraction; 0 to 10
//   hysteresis=3       consecutive windows before a rank is suspect; 1 to 1000
// Rank 0 reads it at every window and its values travel in the window's all_gather, so
// every rank scores with the same thresholds. A bad line is logged (once per change of
// the file) and ignored, the rest applies: refusing would stop a production run for an
// operator's typo, and a value left as it was is what they had before the edit.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ft/straggler/straggler_options.h"

namespace cairn::ft {

struct ControlUpdate {
  StragglerThresholds thresholds;
  std::vector<std::string> problems;  // "line 3: ...", one a bad line
};

ControlUpdate parse_control(std::string_view text, const StragglerThresholds& current);

inline constexpr std::size_t kMaxControlBytes = 64 << 10;

// Reads the file at each call: missing means no change (it may be made later); not a
// regular file, unreadable or larger than kMaxControlBytes is a problem, also no change.
class ControlFile {
 public:
  explicit ControlFile(std::string path) : path_(std::move(path)) {}
  // The thresholds it says over `current`; problems go to `log` when the file changed.
  StragglerThresholds read(const StragglerThresholds& current, const std::function<void(const std::string&)>& log);

 private:
  std::string path_, last_text_ = "\x01 never read";
};

}  // namespace cairn::ft
