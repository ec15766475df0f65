#include "common/byte_size.h"

#include <cmath>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn {

std::size_t parse_size(std::string_view text, std::string_view flag) {
  const std::string s(text);
  double value = 0;
  char suffix = 0;
  int consumed = 0;
  const int got = std::sscanf(s.c_str(), "%lf%n", &value, &consumed);
  double unit = 1;
  bool ok = got == 1 && std::isfinite(value) && value >= 0;
  if (ok && static_cast<std::size_t>(consumed) < s.size()) {
    suffix = s[static_cast<std::size_t>(consumed)];
    ok = static_cast<std::size_t>(consumed) + 1 == s.size();
    switch (suffix) {
      case 'K': case 'k': unit = 1024.0; break;
      case 'M': case 'm': unit = 1024.0 * 1024; break;
      case 'G': case 'g': unit = 1024.0 * 1024 * 1024; break;
      default: ok = false;
    }
  }
  if (!ok || value * unit > 1.8e19)
    throw Error(fmt::format("{} '{}' is not a size: give bytes with an optional K, M or G suffix (1K = 1024)", flag,
                            text));
  return static_cast<std::size_t>(value * unit);
}

}  // namespace cairn
