#include "common/exposition/metrics_board.h"

#include <algorithm>
#include <utility>

#include "common/exposition/prometheus_text.h"

namespace cairn::exposition {

void MetricsBoard::publish(const std::string& name, std::string text) {
  std::lock_guard lock(mu_);
  auto [it, added] = parts_.try_emplace(name);
  if (added) order_.push_back(name);
  it->second.swap(text);  // the old text is freed outside the lock, with `text`
}

void MetricsBoard::publish_age(const std::string& metric, const std::string& help, Clock::time_point since) {
  std::lock_guard lock(mu_);
  ages_[metric] = Age{help, since};
}

std::string MetricsBoard::render() const {
  std::vector<std::string> parts;
  std::map<std::string, Age> ages;
  {
    std::lock_guard lock(mu_);
    parts.reserve(order_.size());
    for (const auto& name : order_) parts.push_back(parts_.at(name));
    ages = ages_;
  }
  std::string out;
  for (const auto& p : parts) out += p;
  const auto now = Clock::now();
  for (const auto& [metric, age] : ages)
    add_sample(out, metric, "gauge", age.help, std::chrono::duration<double>(now - age.since).count());
  return out;
}

}  // namespace cairn::exposition
