#include "ft/checkpoint/commit_channel.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/json_io.h"

namespace cairn::ft {
namespace {

std::string encode(const ShardReport& r) {
  return Json{{"rank", r.rank},
              {"ok", r.ok},
              {"error", r.error},
              {"file", r.entry.file},
              {"first_element", r.entry.first_element},
              {"elements", r.entry.elements},
              {"bytes", r.entry.bytes},
              {"header_xxh3", hex64(r.entry.header_xxh3)}}
      .dump();
}

ShardReport decode(const std::string& text, const std::string& key) {
  const Json j = parse_json(text, key);
  ShardReport r;
  r.rank = json_field<int>(j, "rank", key);
  r.ok = json_field<bool>(j, "ok", key);
  r.error = json_field<std::string>(j, "error", key);
  r.entry.rank = r.rank;
  r.entry.file = json_field<std::string>(j, "file", key);
  r.entry.first_element = json_field<std::int64_t>(j, "first_element", key);
  r.entry.elements = json_field<std::int64_t>(j, "elements", key);
  r.entry.bytes = json_field<std::uint64_t>(j, "bytes", key);
  if (!parse_hex64(json_field<std::string>(j, "header_xxh3", key), r.entry.header_xxh3))
    throw Error(key + ": bad header_xxh3 in a rank's checkpoint report");
  return r;
}

class LocalChannel final : public CommitChannel {
 public:
  void publish(std::int64_t step, const ShardReport& r) override {
    std::lock_guard lock(mu_);
    reports_[step] = r;
  }
  std::vector<ShardReport> gather(std::int64_t step, int, const std::atomic<bool>&) override {
    std::lock_guard lock(mu_);
    const auto it = reports_.find(step);
    if (it == reports_.end()) throw Error("checkpoint of step " + std::to_string(step) + ": no shard was reported");
    std::vector<ShardReport> out{it->second};
    reports_.erase(it);
    return out;
  }
  void announce(std::int64_t, bool) override {}
  bool await_verdict(std::int64_t, const std::atomic<bool>&) override { return true; }

 private:
  std::mutex mu_;
  std::map<std::int64_t, ShardReport> reports_;
};

class StoreChannel final : public CommitChannel {
 public:
  StoreChannel(coll::Store& store, std::string prefix, std::chrono::milliseconds timeout)
      : store_(store), prefix_(std::move(prefix)), timeout_(timeout) {}

  void publish(std::int64_t step, const ShardReport& r) override {
    store_.set(key(step, "rank-" + std::to_string(r.rank)), encode(r));
    store_.add(key(step, "reported"), 1);  // after the report: a count of n means n are readable
  }

  std::vector<ShardReport> gather(std::int64_t step, int ranks, const std::atomic<bool>& stop) override {
    const std::int64_t got = poll(key(step, "reported"), ranks, stop);
    if (got < ranks)
      throw Error("checkpoint of step " + std::to_string(step) + ": only " + std::to_string(got) + " of " +
                  std::to_string(ranks) + " ranks reported their shard within " + seconds() +
                  " (a rank stopped or its storage is stuck); the step is not committed");
    std::vector<ShardReport> out;
    for (int r = 0; r < ranks; ++r) out.push_back(decode(store_.get(key(step, "rank-" + std::to_string(r))), key(step, "rank")));
    return out;
  }

  void announce(std::int64_t step, bool committed) override { store_.add(key(step, "verdict"), committed ? 1 : 2); }

  bool await_verdict(std::int64_t step, const std::atomic<bool>& stop) override {
    const std::int64_t v = poll(key(step, "verdict"), 1, stop);
    if (v < 1)
      throw Error("checkpoint of step " + std::to_string(step) + ": rank 0 gave no verdict within " + seconds() +
                  "; the step is not known to be committed");
    return v == 1;
  }

 private:
  std::string key(std::int64_t step, const std::string& what) const {
    return prefix_ + "/step-" + std::to_string(step) + "/" + what;
  }
  std::string seconds() const { return std::to_string(timeout_.count() / 1000) + " s"; }

  // The counter once it reaches `want`, or its last value at the timeout or a stop.
  // Backs off from 2 ms to 50 ms: a commit is seen promptly, an idle wait costs little.
  std::int64_t poll(const std::string& k, std::int64_t want, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + timeout_;
    auto pause = std::chrono::milliseconds(2);
    for (;;) {
      const std::int64_t v = store_.add(k, 0);
      if (v >= want || stop.load() || std::chrono::steady_clock::now() > until) return v;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }

  coll::Store& store_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<CommitChannel> local_commit_channel() { return std::make_unique<LocalChannel>(); }

std::unique_ptr<CommitChannel> store_commit_channel(coll::Store& store, std::string prefix,
                                                    std::chrono::milliseconds timeout) {
  return std::make_unique<StoreChannel>(store, std::move(prefix), timeout);
}

}  // namespace cairn::ft
