// One line to stdout, flushed, for the ft/ layers' news (alerts, the endpoint's address):
// thread-safe, as detectors' hook threads and the metrics server log too.
#pragma once

#include <string>

namespace cairn::train {

void log_line(const std::string& line);

}  // namespace cairn::train
