// A file that whole lines are appended to (JSON events): opened with O_APPEND and written
// one write(2) a line, so a reader, or another writer of the same file, never sees half a
// line. A failed write is said once through the caller's log and later lines are dropped:
// an events file that fills its disk must not stop the training it reports on.
#pragma once

#include <functional>
#include <string>

namespace cairn {

class AppendLines {
 public:
  // cairn::Error "<flag> <path>: cannot open it: <why>; give a writable file".
  AppendLines(std::string path, std::string flag);
  ~AppendLines();
  AppendLines(const AppendLines&) = delete;
  AppendLines& operator=(const AppendLines&) = delete;

  // `line` gets its newline here. After a failed write: nothing, and once `log` is told.
  void append(const std::string& line, const std::function<void(const std::string&)>& log);
  bool failed() const { return failed_; }

 private:
  std::string path_, flag_;
  int fd_ = -1;
  bool failed_ = false;
};

}  // namespace cairn
