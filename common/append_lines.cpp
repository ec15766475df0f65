#include "common/append_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/error.h"

namespace cairn {

AppendLines::AppendLines(std::string path, std::string flag) : path_(std::move(path)), flag_(std::move(flag)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(flag_ + " " + path_ + ": cannot open it: " + std::strerror(errno) + "; give a writable file");
}

AppendLines::~AppendLines() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendLines::append(const std::string& line, const std::function<void(const std::string&)>& log) {
  if (failed_) return;
  const std::string whole = line + "\n";
  const ssize_t w = ::write(fd_, whole.data(), whole.size());
  if (w == static_cast<ssize_t>(whole.size())) return;
  failed_ = true;
  if (log)
    log(flag_ + " " + path_ + ": cannot write: " + (w < 0 ? std::strerror(errno) : "short write") +
        "; no further events are written, training goes on");
}

}  // namespace cairn
