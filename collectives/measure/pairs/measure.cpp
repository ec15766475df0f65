#include "collectives/measure/pairs/measure.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "collectives/measure/harness/harness.h"
#include "collectives/measure/pairs/round_robin.h"
#include "common/error.h"
#include "common/host_name.h"

namespace cairn::coll::pairs {
namespace {

// What one rank records per round, all-gathered as f64: the partner's participant index
// (-1: none), seconds per exchange, seconds per half round trip.
constexpr std::size_t kFields = 3;

struct Times {
  double exchange_s = 0;
  double half_round_trip_s = 0;
};

// Times every exchange and every round trip on its own and keeps the median: a link's
// rate shows in every transfer, while a stall of the host (a preempted rank on a busy
// node) hits a few, and the mean of a handful of transfers would take it for a slow link.
// Each is timed with the memory's timer (CUDA events on the stream for a device backend:
// nothing waits between transfers; a steady clock for a host backend, which waits for
// each). Both backends run a communicator's operations in issue order (NCCL on the
// stream, UCX one at a time in its queue: ucx_communicator.h), so the turns of a ping-pong
// never overlap.
class PairRunner {
 public:
  PairRunner(Communicator& comm, bench::Memory& memory, const MeasureOptions& o, char* send, char* recv)
      : comm_(comm), memory_(memory), o_(o), send_(send), recv_(recv), host_(comm.memory() == MemoryKind::host) {}

  Times run(int peer, bool leader) {
    auto exchange = [&] { issue(comm_.send_recv(send_, o_.bytes, peer, recv_, o_.bytes, peer, DataType::u8, memory_.stream())); };
    // The leader sends first; its partner answers each message.
    auto ping_pong = [&] {
      if (leader) issue(comm_.send(send_, o_.latency_bytes, DataType::u8, peer, memory_.stream()));
      issue(comm_.recv(recv_, o_.latency_bytes, DataType::u8, peer, memory_.stream()));
      if (!leader) issue(comm_.send(send_, o_.latency_bytes, DataType::u8, peer, memory_.stream()));
    };
    Times t;
    t.exchange_s = median_seconds(exchange, o_.iters);
    t.half_round_trip_s = median_seconds(ping_pong, o_.latency_iters) / 2;
    return t;
  }

 private:
  template <typename F>
  double median_seconds(F&& step, int iters) {
    for (int k = 0; k < o_.warmup_iters; ++k) step();
    finish();
    std::vector<std::unique_ptr<bench::Timer>> timers;
    for (int k = 0; k < iters; ++k) {
      timers.push_back(memory_.make_timer());
      timers.back()->start();
      step();
      if (host_) finish();
      timers.back()->stop();
    }
    finish();
    std::vector<double> seconds;
    for (auto& timer : timers) seconds.push_back(timer->seconds());
    return median_of(std::move(seconds));
  }
  void issue(Request r) { last_ = std::move(r); }
  void finish() {
    last_.wait();
    last_ = Request();
  }

  Communicator& comm_;
  bench::Memory& memory_;
  const MeasureOptions& o_;
  char* send_;
  char* recv_;
  bool host_;
  Request last_;
};

void check_participants(const std::vector<Participant>& ps, int world_size) {
  if (ps.size() < 2)
    throw Error(fmt::format("pairs: {} participant(s) make no pair: run at least two ranks{}", ps.size(),
                            world_size > 1 ? " (with --per-node, on at least two hosts)" : ""));
  std::set<int> seen;
  for (const auto& p : ps)
    if (p.rank < 0 || p.rank >= world_size || !seen.insert(p.rank).second)
      throw Error(fmt::format("pairs: participant rank {} is out of range or repeated (world size {})", p.rank,
                              world_size));
}

}  // namespace

void validate(const MeasureOptions& o) {
  if (o.bytes == 0) throw Error("--bytes must be at least 1 (e.g. 4M)");
  if (o.latency_bytes == 0) throw Error("--latency-bytes must be at least 1 (e.g. 8)");
  if (o.iters < 1) throw Error(fmt::format("--iters {} must be at least 1", o.iters));
  if (o.warmup_iters < 0) throw Error(fmt::format("--warmup-iters {} must not be negative", o.warmup_iters));
  if (o.latency_iters < 1) throw Error(fmt::format("--latency-iters {} must be at least 1", o.latency_iters));
}

Json to_json(const MeasureOptions& o, std::string_view backend, int world_size) {
  return {{"backend", std::string(backend)},
          {"world_size", world_size},
          {"mode", o.per_node ? "nodes" : "ranks"},
          {"bytes", o.bytes},
          {"iters", o.iters},
          {"warmup_iters", o.warmup_iters},
          {"latency_bytes", o.latency_bytes},
          {"latency_iters", o.latency_iters},
          {"method", "bidirectional exchange, median of iters (one direction's rate); ping-pong, half the median round trip"}};
}

std::string local_host_name() {
  const std::string name = host_name();
  return name.empty() ? "unknown-host" : name;
}

std::vector<std::string> gather_hosts(Communicator& comm, bench::Memory& memory) {
  return bench::gather_lines(comm, memory, local_host_name());
}

std::vector<Participant> choose_participants(const std::vector<std::string>& hosts, bool per_node) {
  std::vector<Participant> ps;
  std::set<std::string> seen;
  for (std::size_t r = 0; r < hosts.size(); ++r)
    if (!per_node || seen.insert(hosts[r]).second) ps.push_back({static_cast<int>(r), hosts[r]});
  return ps;
}

PairsMatrix measure_pairs(Communicator& comm, bench::Memory& memory, const std::vector<Participant>& participants,
                          const MeasureOptions& o) {
  validate(o);
  check_participants(participants, comm.size());
  const int n = static_cast<int>(participants.size());
  int me = -1;
  for (int i = 0; i < n; ++i)
    if (participants[static_cast<std::size_t>(i)].rank == comm.rank()) me = i;

  const auto rounds = round_robin(n);
  std::vector<double> mine(rounds.size() * kFields, 0.0);
  {
    const std::size_t buffer_bytes = std::max(o.bytes, o.latency_bytes);
    bench::Buffer send(memory, buffer_bytes), recv(memory, buffer_bytes);
    std::vector<char> pattern(buffer_bytes);
    for (std::size_t k = 0; k < pattern.size(); ++k) pattern[k] = static_cast<char>(k * 131 + comm.rank());
    memory.upload(send.data(), pattern.data(), buffer_bytes);
    PairRunner runner(comm, memory, o, send.data(), recv.data());
    for (std::size_t r = 0; r < rounds.size(); ++r) {
      const int peer = me >= 0 ? partner(rounds[r], me) : -1;
      double* record = &mine[r * kFields];
      record[0] = peer;
      if (peer >= 0) {
        const Times t = runner.run(participants[static_cast<std::size_t>(peer)].rank, me < peer);
        record[1] = t.exchange_s;
        record[2] = t.half_round_trip_s;
      }
      comm.barrier(memory.stream()).wait();
    }
  }

  // Every rank's records, then each pair's two views averaged (both sides time the same
  // exchanges; their mean is nccl-tests' -a 1).
  const std::size_t count = mine.size();
  std::vector<double> all(count * static_cast<std::size_t>(comm.size()));
  if (count > 0) {
    bench::Buffer send(memory, count * sizeof(double)), recv(memory, all.size() * sizeof(double));
    memory.upload(send.data(), mine.data(), count * sizeof(double));
    comm.all_gather(send.data(), recv.data(), count, DataType::f64, memory.stream()).wait();
    memory.download(all.data(), recv.data(), all.size() * sizeof(double));
  }
  std::map<std::pair<int, int>, std::pair<Times, int>> sums;
  for (int i = 0; i < n; ++i) {
    const double* records = &all[static_cast<std::size_t>(participants[static_cast<std::size_t>(i)].rank) * count];
    for (std::size_t r = 0; r < rounds.size(); ++r) {
      const int j = static_cast<int>(records[r * kFields]);
      if (j < 0) continue;
      auto& [sum, views] = sums[{std::min(i, j), std::max(i, j)}];
      sum.exchange_s += records[r * kFields + 1];
      sum.half_round_trip_s += records[r * kFields + 2];
      ++views;
    }
  }
  PairsMatrix matrix(participants);
  for (const auto& [pair, value] : sums) {
    const auto& [sum, views] = value;
    const double exchange_s = sum.exchange_s / views, half_rtt_s = sum.half_round_trip_s / views;
    matrix.set(pair.first, pair.second, static_cast<double>(o.bytes) / exchange_s / 1e9, half_rtt_s * 1e6);
  }
  return matrix;
}

}  // namespace cairn::coll::pairs
