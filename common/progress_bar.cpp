#include "common/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace cairn {

ProgressBar::ProgressBar(bool enabled) : on_(enabled && ::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(long done, long total, const std::string& what) {
  if (!on_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 24;
  const long shown = total > 0 ? std::clamp(done * kWidth / total, 0L, static_cast<long>(kWidth)) : 0;
  std::string bar(static_cast<std::size_t>(shown), '#');
  bar.resize(kWidth, '.');
  // \r and erase-to-end-of-line: the bar stays one line however long `what` was before.
  std::fprintf(stderr, "\r[%s] %ld/%ld %.60s\033[K", bar.c_str(), done, total, what.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!on_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace cairn
