#include "ft/watchdog/job_events.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "common/env_knobs.h"
#include "common/error.h"

namespace cairn::ft {

std::optional<std::string> ft_events_path() { return env::text("CAIRN_FT_EVENTS"); }

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

}  // namespace

void append_json_line(const std::string& path, const Json& j) {
  const std::string line = j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  const int fd = open_append(path);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for appending: {}", path, std::strerror(errno)));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw Error(fmt::format("{}: cannot append a line: {}", path, n < 0 ? std::strerror(err) : "short write"));
}

void check_appendable(const std::string& path, const std::string& flag) {
  const int fd = open_append(path);
  if (fd < 0)
    throw Error(fmt::format("{} {}: cannot open it for appending: {}; give a file in a directory that exists", flag,
                            path, std::strerror(errno)));
  ::close(fd);
}

}  // namespace cairn::ft
