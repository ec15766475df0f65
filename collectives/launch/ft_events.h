// The launcher's side of the fault-tolerance event file (CAIRN_FT_EVENTS; the ranks' side
// is ft/watchdog/job_events.h, docs/launch.md has the format): a file the launcher makes
// for the job, names in every rank's environment, and reads as it grows. Lines are the
// ranks' own, but read with bounds all the same: at most kMaxEventBytes a read, a line
// longer than kMaxEventLineBytes or not an event is skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::coll {

inline constexpr std::size_t kMaxEventBytes = 1 << 20;
inline constexpr std::size_t kMaxEventLineBytes = 64 * 1024;

struct FtEvent {
  std::string event;  // "watchdog_abort", "step_done"
  int rank = -1;
  int attempt = 0;                   // the start of the job (CAIRN_RESTART) the rank was in
  double t = 0;                      // steady-clock seconds (CLOCK_MONOTONIC, shared by the node)
  std::optional<std::int64_t> step;  // step_done: the 0-based index of the step
  std::string line;                  // watchdog_abort: its verdict line
};

// One line of the file; nothing for a line that is not an event.
std::optional<FtEvent> parse_ft_event(const std::string& line);

class FtEventsFile {
 public:
  // Creates an empty file under $TMPDIR (else /tmp). cairn::Error when it cannot.
  FtEventsFile();
  ~FtEventsFile();  // removes it
  FtEventsFile(const FtEventsFile&) = delete;
  FtEventsFile& operator=(const FtEventsFile&) = delete;

  const std::string& path() const { return path_; }
  // The events appended since the last call.
  std::vector<FtEvent> read_new();

 private:
  std::string path_;
  int fd_ = -1;
  std::string partial_;    // an unfinished last line
  bool skipping_ = false;  // inside an overlong line
};

// Seconds on the steady clock, as the events carry them.
double steady_now_s();

}  // namespace cairn::coll
