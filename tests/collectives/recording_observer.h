// An OpObserver that keeps what it is told, for the observer tests of both backends.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "collectives/backends/op_observer.h"

namespace cairn::coll::testing {

class RecordingObserver final : public OpObserver {
 public:
  void on_start(const OpRecord& r) noexcept override {
    std::lock_guard lock(mu_);
    starts_.push_back(r);
  }
  void on_end(const OpRecord& r) noexcept override {
    std::lock_guard lock(mu_);
    ends_.push_back(r);
  }
  std::vector<OpRecord> starts() const {
    std::lock_guard lock(mu_);
    return starts_;
  }
  std::vector<OpRecord> ends() const {
    std::lock_guard lock(mu_);
    return ends_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<OpRecord> starts_, ends_;
};

// What a record should say; every mismatch is named in the returned text ("" when it
// matches).
struct ExpectedRecord {
  OpKind kind;
  std::uint64_t seq;
  std::size_t bytes;
  DataType dtype;
  int peer = -1;
  int from = -1;
};

inline std::string mismatch(const OpRecord& r, const ExpectedRecord& e) {
  std::string out;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) out += what + "; ";
  };
  const std::string op = std::string(to_string(e.kind)) + " seq " + std::to_string(e.seq) + ": ";
  check(r.kind == e.kind, op + "kind " + std::string(to_string(r.kind)));
  check(r.seq == e.seq, op + "seq " + std::to_string(r.seq));
  check(r.bytes == e.bytes, op + "bytes " + std::to_string(r.bytes) + " not " + std::to_string(e.bytes));
  check(r.dtype == e.dtype, op + "dtype " + std::string(to_string(r.dtype)));
  check(r.peer == e.peer, op + "peer " + std::to_string(r.peer) + " not " + std::to_string(e.peer));
  check(r.from == e.from, op + "from " + std::to_string(r.from) + " not " + std::to_string(e.from));
  check(r.end >= r.start, op + "end before start");
  return out;
}

}  // namespace cairn::coll::testing
