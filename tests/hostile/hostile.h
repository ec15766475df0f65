// The hostile suite's harness: runs the built `cairn` as a user (or an adversary) would,
// in a sandbox directory of its own, with a clean environment, a time limit and optional
// resource limits, and judges the outcome by the project's contract for bad input: exit
// code 2 (or 1 for a failed check), never a signal or a timeout, exactly one line on
// stderr that names the thing and stays short, and nothing of the user's lost.
//
// Everything a case starts runs in a process group of its own and is killed by pid at
// the case's deadline, so a hang is a failure of that case, never of the suite; a member
// of the group still running when the command itself has ended (a rank its launcher
// forgot) fails the case too.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/untrusted_text.h"

namespace cairn::hostile {

// The built binary under test.
const std::string& cairn_binary();

// A directory of the case's own under $TMPDIR, removed with everything in it.
class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& rel) const { return dir_ + "/" + rel; }
  // Creates (parents too) and returns the path.
  std::string write(const std::string& rel, const std::string& contents) const;
  std::string mkdir(const std::string& rel) const;
  std::string fifo(const std::string& rel) const;
  std::string sparse(const std::string& rel, long long bytes) const;  // a hole of that size
  std::string symlink(const std::string& target, const std::string& rel) const;
  // Gives the sandbox to `nobody`, for cases run with Command::as_nobody.
  void give_to_nobody() const;

 private:
  std::string dir_;
};

struct Command {
  std::vector<std::string> args;  // after "cairn"
  // Added to a clean environment (PATH=/usr/bin:/bin, HOME=<sandbox>, CAIRN_CPU_THREADS=1),
  // replacing a variable of the same name.
  std::vector<std::string> env;
  std::string cwd;                       // default: the sandbox
  std::string stdin_path = "/dev/null";  // what the command reads as standard input
  std::string stdout_path;               // default: captured into Outcome::out
  std::chrono::milliseconds timeout{30000};
  long max_open_files = 0;          // RLIMIT_NOFILE when > 0
  long long max_address_bytes = 0;  // RLIMIT_AS when > 0
  bool as_nobody = false;           // when run as root: drop to uid/gid 65534 (permission cases)
};

struct Outcome {
  int exit_code = -1;  // -1 when killed
  int signal = 0;      // the signal that ended it, 0 if it exited
  bool timed_out = false;
  int left_running = 0;  // processes of its group still alive after it ended (then killed)
  std::string out, err;
  double seconds = 0;
  std::string describe() const;  // exit/signal/timeout and the first lines of stderr, for messages
};

// A command started and not yet waited for: signal cases.
class Running {
 public:
  Running(Running&&) noexcept;
  Running& operator=(Running&&) = delete;
  ~Running();  // kills the process group if still running
  pid_t pid() const { return pid_; }
  void signal(int sig) const;  // to the whole group
  // Waits until it exits or the command's timeout passes (then kills the group).
  Outcome wait();

 private:
  friend Running start(const Sandbox&, const Command&);
  Running(pid_t pid, Command c, std::string out_file, std::string err_file);
  pid_t pid_;
  Command command_;
  std::string out_file_, err_file_;
  std::chrono::steady_clock::time_point started_;
  bool reaped_ = false;
};

Running start(const Sandbox& box, const Command& c);
Outcome run(const Sandbox& box, const Command& c);

// The refusal contract. `command` is the subcommand ("train"), whose prefix ("cairn
// train: ", or "cairn: " for none) the one line must start with exactly once; each of
// `names` must appear in it.
::testing::AssertionResult refused(const Outcome& o, int exit_code, const std::string& command,
                                   std::initializer_list<std::string> names = {});
::testing::AssertionResult succeeded(const Outcome& o);
// Neither killed by a signal nor timed out, and nothing it started left running, whatever
// the exit code.
::testing::AssertionResult ended_cleanly(const Outcome& o);

// The longest line a refusal may print: the CLI's own limit.
inline constexpr std::size_t kMaxErrorBytes = kMaxErrorLineBytes;

// Address space limits mean nothing under AddressSanitizer (it reserves terabytes).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// A small byte-level token shard (from `cairn data`), made once per test process.
const std::string& tiny_shard();

}  // namespace cairn::hostile
