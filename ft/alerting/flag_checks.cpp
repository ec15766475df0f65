#include "ft/alerting/flag_checks.h"

#include <cmath>

#include <fmt/format.h>

#include "common/error.h"
#include "common/untrusted_text.h"

namespace cairn::ft {

void require_in_range(const char* flag, double v, double lo, double hi, const char* what) {
  if (std::isfinite(v) && v >= lo && v <= hi) return;
  throw Error(fmt::format("{} {} is out of range: it must be from {:g} to {:g} ({})", flag, v, lo, hi, what));
}

void require_positive(const char* flag, double v, double hi, const char* what) {
  if (std::isfinite(v) && v > 0 && v <= hi) return;
  throw Error(fmt::format("{} {} is out of range: it must be above 0 and at most {:g} ({})", flag, v, hi, what));
}

void require_plain_command(const char* flag, const std::string& command) {
  for (unsigned char c : command)
    if (c < 0x20 || c == 0x7f)
      throw Error(std::string(flag) + " " + quote_excerpt(command) +
                  " holds control characters: give a plain shell command line");
}

}  // namespace cairn::ft
