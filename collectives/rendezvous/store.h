// The rendezvous key-value store: rank 0 hosts it over TCP, every rank (0 included)
// talks to it as a client. It carries the NCCL unique id, UCX worker addresses, and
// ft/'s heartbeats. Every connection presents the job's secret; a peer without it
// is refused and logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cairn::coll {

class Store {
 public:
  virtual ~Store() = default;
  virtual void set(const std::string& key, const std::string& value) = 0;
  // Blocks until key exists (or the store's timeout passes: cairn::Error naming the key).
  virtual std::string get(const std::string& key) = 0;
  // Atomically adds delta to an integer counter (created at 0) and returns the new value.
  virtual std::int64_t add(const std::string& key, std::int64_t delta) = 0;
  // Blocks until every key exists.
  virtual void wait(const std::vector<std::string>& keys) = 0;
  // Blocks until `world_size` ranks have entered barrier `name`.
  virtual void barrier(const std::string& name, int world_size) = 0;
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;
};

}  // namespace cairn::coll
