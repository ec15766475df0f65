#include "ft/straggler/sections.h"

#include <array>

#include <algorithm>

namespace cairn::ft {

std::string_view to_string(Section s) {
  static constexpr std::array<std::string_view, kSections> kNames{"data", "forward_backward", "reduce", "optimizer",
                                                                  "collectives"};
  const auto i = static_cast<std::size_t>(s);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

SectionTimes SectionWindow::least() const {
  SectionTimes m{};
  if (steps_.empty()) return m;
  m = steps_.front();
  for (const auto& t : steps_)
    for (std::size_t s = 0; s < kSections; ++s) m[s] = std::min(m[s], t[s]);
  return m;
}

}  // namespace cairn::ft
