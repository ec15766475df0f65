// This machine's host name (gethostname), the one copy every module asks.
#pragma once

#include <string>

namespace cairn {

// The host name, or "" when gethostname fails; each caller says what an unnamed host
// reads as in its own output.
std::string host_name();

}  // namespace cairn
