// A one-line progress bar for long work: drawn on stderr only when stderr is a terminal
// (a log file or a pipe gets nothing), redrawn at most ten times a second, erased when
// done. "[#########.........] 12/48 all_reduce/float/sum/1048576"
#pragma once

#include <chrono>
#include <string>

namespace cairn {

class ProgressBar {
 public:
  // `enabled` false draws nothing (ranks other than 0); true draws only on a terminal.
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(long done, long total, const std::string& what);
  void finish();  // erases the line

 private:
  bool on_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace cairn
