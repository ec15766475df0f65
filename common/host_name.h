// This machine's host name (gethostname), the one copy every module asks.
#pragma once

#include <string>

namespace cairn {

// The host name, or "" when gethostname fails (callers choose their own placeholder).
std::string host_name();

}  // namespace cairn
