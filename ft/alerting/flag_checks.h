// The checks of the detectors' flags (--straggler-*, --divergence-*): numbers in range
// (a cairn::Error "FLAG V is out of range: it must be ... (what it is)" unless v is finite
// and in range) and a hook's command line.
#pragma once

#include <string>

namespace cairn::ft {

// lo <= v <= hi.
void require_in_range(const char* flag, double v, double lo, double hi, const char* what);
// 0 < v <= hi.
void require_positive(const char* flag, double v, double hi, const char* what);
// cairn::Error naming the flag if the command line holds control characters.
void require_plain_command(const char* flag, const std::string& command);

}  // namespace cairn::ft
