// What a scrape reads: each part of a program (the training loop, the straggler
// detector, checked gradients, the divergence detector) publishes its metric families
// here as finished text, under its own name, whenever it has news; the server renders
// the board on its own thread. The one lock is held to swap or copy a string, so the
// publisher (the training thread) never waits on a scrape, and a scrape never sees half
// of a part.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::exposition {

class MetricsBoard {
 public:
  using Clock = std::chrono::steady_clock;

  // Replaces part `name`'s text (whole families, exposition format); parts render in the
  // order they were first published.
  void publish(const std::string& name, std::string text);
  // A gauge of the seconds since `since`, computed when scraped (so it grows while the
  // publisher is stuck, which is when it matters): the age of the last checkpoint.
  void publish_age(const std::string& metric, const std::string& help, Clock::time_point since);
  // Every part, then every age gauge, as one exposition text.
  std::string render() const;

 private:
  struct Age {
    std::string help;
    Clock::time_point since;
  };
  mutable std::mutex mu_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> parts_;
  std::map<std::string, Age> ages_;
};

}  // namespace cairn::exposition
