#include "collectives/launch/ft_events.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_io.h"

namespace cairn::coll {

std::optional<FtEvent> parse_ft_event(const std::string& line) {
  if (line.size() > kMaxEventLineBytes) return std::nullopt;
  const Json j = Json::parse(line, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    FtEvent e;
    e.event = j.at("event").get<std::string>();
    e.rank = json_field<int>(j, "rank", "event");
    e.attempt = json_field<int>(j, "attempt", "event");
    e.t = j.at("t").get<double>();
    if (!std::isfinite(e.t) || e.rank < 0 || e.attempt < 0) return std::nullopt;
    if (j.contains("step")) e.step = json_field<std::int64_t>(j, "step", "event");
    if (j.contains("line")) e.line = j.at("line").get<std::string>();
    return e;
  } catch (const Json::exception&) {
    return std::nullopt;
  } catch (const Error&) {  // json_field: not a whole number in range
    return std::nullopt;
  }
}

FtEventsFile::FtEventsFile() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/cairn-launch-events-XXXXXX";
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);  // not inherited by the ranks
  if (fd_ < 0)
    throw Error(fmt::format("cannot create the ranks' event file {}: {}; set TMPDIR to a writable directory", pattern,
                            std::strerror(errno)));
  path_ = pattern;
}

FtEventsFile::~FtEventsFile() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

std::vector<FtEvent> FtEventsFile::read_new() {
  std::vector<FtEvent> events;
  char buf[16384];
  std::size_t taken = 0;
  while (taken < kMaxEventBytes) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    taken += static_cast<std::size_t>(n);
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (!skipping_) partial_.push_back(buf[i]);
        if (partial_.size() > kMaxEventLineBytes) {
          partial_.clear();
          skipping_ = true;
        }
        continue;
      }
      if (!skipping_)
        if (auto e = parse_ft_event(partial_)) events.push_back(std::move(*e));
      partial_.clear();
      skipping_ = false;
    }
  }
  return events;
}

double steady_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace cairn::coll
