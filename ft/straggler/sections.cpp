#include "ft/straggler/sections.h"

#include <array>

#include "ft/straggler/robust_stats.h"

namespace cairn::ft {

std::string_view to_string(Section s) {
  static constexpr std::array<std::string_view, kSections> kNames{"data", "forward_backward", "reduce", "optimizer",
                                                                  "collectives"};
  const auto i = static_cast<std::size_t>(s);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

SectionTimes SectionWindow::medians() const {
  SectionTimes m{};
  for (std::size_t s = 0; s < kSections; ++s) {
    std::vector<double> v;
    v.reserve(steps_.size());
    for (const auto& t : steps_) v.push_back(t[s]);
    m[s] = median_of(std::move(v));
  }
  return m;
}

}  // namespace cairn::ft
