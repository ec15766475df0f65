#include "reports/acceptance/node_rates.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "collectives/measure/pairs/measure.h"
#include "reports/acceptance/host_rates.h"
#include "train/ft/inject_slow.h"

namespace cairn::acceptance {
namespace {

using Clock = std::chrono::steady_clock;

// One sample of `rate`, stretched by slow-compute the way a slower node would take it:
// the work, then (factor - 1) x its time of CPU work more (train/ft/inject_slow.h).
template <typename Rate>
double stretched(Rate&& rate, double factor) {
  const auto t0 = Clock::now();
  const double r = rate();
  if (factor <= 1) return r;
  const double t = std::chrono::duration<double>(Clock::now() - t0).count();
  train::stretch_by(factor, t);
  return r / factor;
}

// Waits without spinning: a host rank's wait() polls its transport flat out, and on a
// machine whose ranks take turns the waiting ranks' polling took the CPUs from the one
// measuring (memory bandwidth varied by 25-35 % between samples, and a healthy node
// fell below the fleet's threshold).
// After a minute it waits the communicator's way, whose timeout names a rank that never
// came.
void wait_idly(coll::Request request) {
  const auto until = Clock::now() + std::chrono::minutes(1);
  while (!request.test()) {
    if (Clock::now() > until) return request.wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

std::string machine_id() {
  std::ifstream f("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (f >> id && !id.empty()) return id;
  return coll::pairs::local_host_name();
}

std::vector<std::vector<double>> gather_values(coll::Communicator& comm, coll::bench::Memory& memory,
                                               const std::vector<double>& mine) {
  const std::size_t n = mine.size(), ranks = static_cast<std::size_t>(comm.size());
  std::vector<std::vector<double>> out(ranks);
  if (n == 0) return out;
  coll::bench::Buffer send(memory, n * sizeof(double)), recv(memory, n * ranks * sizeof(double));
  memory.upload(send.data(), mine.data(), n * sizeof(double));
  comm.all_gather(send.data(), recv.data(), n, coll::DataType::f64, memory.stream()).wait();
  std::vector<double> all(n * ranks);
  memory.download(all.data(), recv.data(), all.size() * sizeof(double));
  for (std::size_t r = 0; r < ranks; ++r)
    out[r].assign(all.begin() + static_cast<std::ptrdiff_t>(r * n), all.begin() + static_cast<std::ptrdiff_t>((r + 1) * n));
  return out;
}

std::vector<std::vector<double>> measure_in_turns(coll::Communicator& comm, coll::bench::Memory& memory,
                                                  const std::vector<coll::pairs::Participant>& nodes,
                                                  const std::vector<std::string>& machines, int samples, int width,
                                                  const std::function<void(int, double*)>& sample,
                                                  const std::function<void(int, int)>& progress) {
  // A node's turn: its place among the measuring ranks of its machine.
  std::map<std::string, int> on_machine;
  int my_turn = -1, turns = 1;
  for (const auto& p : nodes) {
    const int turn = on_machine[machines[static_cast<std::size_t>(p.rank)]]++;
    turns = std::max(turns, turn + 1);
    if (p.rank == comm.rank()) my_turn = turn;
  }
  std::vector<double> mine(static_cast<std::size_t>(width * samples), 0.0);
  std::vector<double> values(static_cast<std::size_t>(width));
  for (int i = 0; i < samples; ++i) {
    for (int t = 0; t < turns; ++t) {
      if (t == my_turn) {
        sample(i, values.data());
        for (int v = 0; v < width; ++v) mine[static_cast<std::size_t>(v * samples + i)] = values[static_cast<std::size_t>(v)];
      }
      wait_idly(comm.barrier());
    }
    if (progress) progress(i + 1, samples);
  }
  const auto all = gather_values(comm, memory, mine);
  std::vector<std::vector<double>> out;
  for (const auto& p : nodes) out.push_back(all[static_cast<std::size_t>(p.rank)]);
  return out;
}

NodeRateSamples measure_node_rates(coll::Communicator& comm, coll::bench::Memory& memory,
                                   const std::vector<coll::pairs::Participant>& nodes,
                                   const std::vector<std::string>& machines, const RateSettings& s,
                                   const std::function<void(int, int)>& progress) {
  std::optional<TriadRate> triad;
  std::optional<GemmRate> gemm;
  const double factor = train::slow_compute_factor(s.inject, comm.rank(), 0);
  const auto all = measure_in_turns(comm, memory, nodes, machines, s.samples, 2, [&](int, double* values) {
    if (!triad) triad.emplace(s.triad_elements);
    if (!gemm) gemm.emplace(s.gemm_side);
    values[0] = stretched([&] { return triad->sample_gb_s(); }, factor);
    values[1] = stretched([&] { return gemm->sample_gflop_s(); }, factor);
  }, progress);
  NodeRateSamples out;
  for (const auto& v : all) {
    out.triad_gb_s.emplace_back(v.begin(), v.begin() + s.samples);
    out.gemm_gflop_s.emplace_back(v.begin() + s.samples, v.end());
  }
  return out;
}

}  // namespace cairn::acceptance
