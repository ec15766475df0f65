// Errors every module throws. The message is what a user reads: it names the thing (a
// file, a flag, a peer) and what to do about it. The CLI prints it on one line and maps
// the type to an exit code (STYLE.md: 0 ok, 1 a check failed, 2 could not run).
#pragma once

#include <stdexcept>
#include <string>

namespace cairn {

// Could not run: bad input, a missing file, an unreachable peer. Exit code 2.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run completed and found something wrong (a failed health check, wrong results).
// Exit code 1.
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Prefixes a message with the thing it is about: "FILE: problem".
[[noreturn]] void fail(const std::string& what, const std::string& problem);

// An input too large for the memory there is (a bad_alloc, a parser out of memory, most
// often under a memory limit): says so rather than calling the input malformed.
// "FILE: not enough memory to <task>; raise the memory limit (ulimit -v) or give a smaller file".
[[noreturn]] void fail_out_of_memory(const std::string& what, const std::string& task);

}  // namespace cairn
