// Runs a test body as N real rank processes: fork N children, rank 0 hosts the
// rendezvous store (its port reaches the others through a pipe, so no port is guessed),
// every rank connects to it, and failures come back to the parent per rank. Children
// start nothing (no UCX, no threads) before they are forked, and leave with _exit.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "collectives/rendezvous/store.h"

namespace cairn::coll::testing {

// What one rank process sees.
class RankEnv {
 public:
  RankEnv(int rank, int size, Store& store, int report_fd) : rank_(rank), size_(size), store_(store), fd_(report_fd) {}
  int rank() const { return rank_; }
  int size() const { return size_; }
  Store& store() { return store_; }
  // A failed check, reported by the parent under this rank's number (the first 50).
  void fail(const std::string& what);
  bool expect(bool ok, const std::string& what) {
    if (!ok) fail(what);
    return ok;
  }
  // A line for the parent to collect (measurements, observed messages).
  void note(const std::string& line);
  int failures() const { return failures_; }

 private:
  void send(char kind, const std::string& text);
  int rank_, size_;
  Store& store_;
  int fd_;
  int failures_ = 0;
};

struct RankOutcome {
  int rank = 0;
  int exit_code = -1;  // -1: did not exit normally
  int signal = 0;      // the signal that ended it, if any
  bool killed_at_limit = false;
  std::vector<std::string> failures;
  std::vector<std::string> notes;
};

struct HarnessOptions {
  std::chrono::seconds limit{120};              // then every rank still running is killed
  std::chrono::milliseconds store_timeout{30000};
  // Ranks the test kills or lets die: rank 0 does not wait for them before it takes the
  // store down, and expect_all_ok does not report their end.
  std::set<int> may_die;
};

std::vector<RankOutcome> run_ranks(int size, const std::function<void(RankEnv&)>& body, const HarnessOptions& options = {});

// Adds a GoogleTest failure for every rank that reported one, crashed, or hung.
void expect_all_ok(const std::vector<RankOutcome>& outcomes, const std::set<int>& may_die = {});

// The notes of one rank that start with `prefix`, prefix removed.
std::vector<std::string> notes_with(const RankOutcome& o, const std::string& prefix);

}  // namespace cairn::coll::testing
