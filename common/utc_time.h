// The time now, as results and lock files record it.
#pragma once

#include <string>

namespace cairn {

// "2026-12-06T21:30:00Z" (ISO 8601, UTC, seconds).
std::string utc_now_iso8601();

}  // namespace cairn
