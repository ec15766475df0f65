// A stream buffer for standard output that remembers why a write failed. Through stdio,
// the error of a failed write is lost by the time the program ends (a full disk under
// `cairn probe --json > out` looked like success); this buffer keeps the errno of the
// first failed write for finish() to report, and drops what follows it.
//
// Buffered like stdio: by line on a terminal (progress appears as it happens), in blocks
// otherwise. A write to a closed pipe still raises SIGPIPE, which ends the process as it
// ends cat.
#pragma once

#include <streambuf>
#include <vector>

namespace cairn {

class CheckedOutput : public std::streambuf {
 public:
  explicit CheckedOutput(int fd);
  ~CheckedOutput() override;  // flushes what is left
  CheckedOutput(const CheckedOutput&) = delete;
  CheckedOutput& operator=(const CheckedOutput&) = delete;

  // Writes out what is buffered; 0 if every write so far succeeded, else the errno of the
  // first that failed.
  int finish();

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool drain();  // writes the buffer out; false once any write has failed

  int fd_;
  bool by_line_;
  std::vector<char> buffer_;
  int error_ = 0;
};

}  // namespace cairn
