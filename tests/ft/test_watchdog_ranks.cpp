// The watchdog on real ranks over UCX (tests/support/rank_harness.h): a rank stops before
// a collective and its peer, blocked in the all_reduce, is released by its watchdog's
// abort from the watchdog thread; the verdict names the stuck operation (kind, bytes,
// sequence number), the rank that never reached it, and, for a stopped process, its
// stopped heartbeat.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "ft/watchdog/watchdog.h"
#include "tests/support/rank_harness.h"

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;
using coll::testing::RankEnv;
using namespace std::chrono_literals;

constexpr auto kTimeout = 1000ms;
// Generous: a busy 2-core box may not schedule the watchdog thread for seconds.
constexpr double kVerdictWithinS = 30;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string ranks_text(const std::vector<int>& v) {
  std::string s;
  for (int r : v) s += std::to_string(r) + " ";
  return s;
}

// Waits (bounded) until the watchdog has given its verdict.
std::optional<HangVerdict> verdict_of(const Watchdog& dog) {
  const auto deadline = Clock::now() + std::chrono::seconds(static_cast<int>(kVerdictWithinS));
  while (Clock::now() < deadline) {
    if (auto v = dog.verdict()) return v;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

// Sleeps until `key` is added to, without holding the store's client (a blocking get
// would hold up this rank's own heartbeats behind it).
void wait_for_release(RankEnv& env, const std::string& key) {
  const auto deadline = Clock::now() + 60s;
  while (env.store().add(key, 0) == 0 && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
}

WatchdogConfig config_for(const RankEnv& env, std::chrono::milliseconds timeout) {
  WatchdogConfig c;
  c.timeout = timeout;
  c.heartbeat = 200ms;  // a rank is called stopped after 10 without one: 2 s
  c.rank = env.rank();
  c.world = env.size();
  return c;
}

TEST(WatchdogRanks, AbortFromTheWatchdogThreadReleasesARankBlockedInAllReduceAndNamesTheRankThatNeverCame) {
  const auto out = coll::testing::run_ranks(2, [](RankEnv& env) {
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(0ms);  // only the watchdog may end the wait
    auto mine = std::make_shared<OpProgress>();
    comm->add_observer(mine);
    Watchdog dog(*comm, &env.store(), config_for(env, kTimeout));
    std::vector<float> x(256, 1.0f);
    comm->all_reduce(x.data(), x.data(), x.size(), coll::DataType::f32, coll::ReduceOp::sum).wait();
    const std::uint64_t stuck_seq = mine->snapshot().enqueued;  // the next operation's number
    if (env.rank() == 1) {                                      // stops before the second all_reduce: a host-side stall
      wait_for_release(env, "released");
      env.expect(!dog.verdict(), "rank 1's watchdog fired although it had nothing in flight");
      return;
    }
    const auto t0 = Clock::now();
    std::string error;
    try {
      comm->all_reduce(x.data(), x.data(), x.size(), coll::DataType::f32, coll::ReduceOp::sum).wait();
      env.fail("the all_reduce completed although rank 1 never called it");
    } catch (const Error& e) {
      error = e.what();
    }
    const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
    env.note("released after " + std::to_string(waited) + " s: " + error);
    env.expect(contains(error, "watchdog"), "the error does not say the watchdog aborted: " + error);
    env.expect(waited < kVerdictWithinS, "the watchdog took " + std::to_string(waited) + " s");
    const auto v = verdict_of(dog);
    env.store().add("released", 1);
    if (!env.expect(v.has_value(), "no verdict")) return;
    env.note("verdict " + verdict_line(*v));
    env.expect(v->op.kind == coll::OpKind::all_reduce, "stuck op is not the all_reduce");
    env.expect(v->op.seq == stuck_seq,
               "stuck seq " + std::to_string(v->op.seq) + ", expected " + std::to_string(stuck_seq));
    env.expect(v->op.bytes == x.size() * sizeof(float), "stuck bytes " + std::to_string(v->op.bytes));
    env.expect(v->op.in_flight_s >= 1.0,
               "aborted after " + std::to_string(v->op.in_flight_s) + " s, before the timeout");
    env.expect(v->never_reached == std::vector<int>{1}, "never reached: " + ranks_text(v->never_reached));
    env.expect(v->stall() == "host", "stall " + v->stall());
    env.expect(v->heartbeat_stopped.empty(), "heartbeat stopped: " + ranks_text(v->heartbeat_stopped));
    env.expect(contains(verdict_line(*v), "rank 1 never reached it"), verdict_line(*v));
  });
  coll::testing::expect_all_ok(out);
  for (const auto& n : coll::testing::notes_with(out[0], "")) std::cout << "rank 0: " << n << "\n";
}

TEST(WatchdogRanks, AStoppedProcessIsNamedByItsStoppedHeartbeat) {
  coll::testing::HarnessOptions options;
  options.may_die = {2};
  const auto out = coll::testing::run_ranks(
      3,
      [](RankEnv& env) {
        auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
        comm->set_timeout(0ms);
        // Rank 0 judges; rank 1's watchdog waits longer, so its all_reduce ends by rank 0's abort.
        Watchdog dog(*comm, &env.store(), config_for(env, env.rank() == 0 ? kTimeout : 120000ms));
        std::vector<float> x(64, 1.0f);
        comm->all_reduce(x.data(), x.data(), x.size(), coll::DataType::f32, coll::ReduceOp::sum).wait();
        if (env.rank() == 2) {
          std::this_thread::sleep_for(300ms);  // a few heartbeats first, so it is not "never started"
          env.store().set("stopped pid", std::to_string(::getpid()));
          ::raise(SIGSTOP);  // the whole process: training thread, watchdog, heartbeats
          return;
        }
        std::string error;
        try {
          comm->all_reduce(x.data(), x.data(), x.size(), coll::DataType::f32, coll::ReduceOp::sum).wait();
          env.fail("the all_reduce completed although rank 2 is stopped");
        } catch (const Error& e) {
          error = e.what();
        }
        if (env.rank() == 1) {
          wait_for_release(env, "judged");
          return;
        }
        const auto v = verdict_of(dog);
        ::kill(std::stoi(env.store().get("stopped pid")), SIGKILL);
        env.store().add("judged", 1);
        if (!env.expect(v.has_value(), "no verdict")) return;
        env.note("verdict " + verdict_line(*v));
        env.expect(v->never_reached == std::vector<int>{2}, "never reached: " + ranks_text(v->never_reached));
        env.expect(v->never_completed == (std::vector<int>{0, 1}),
                   "never completed: " + ranks_text(v->never_completed));
        env.expect(v->heartbeat_stopped == std::vector<int>{2},
                   "heartbeat stopped: " + ranks_text(v->heartbeat_stopped));
      },
      options);
  coll::testing::expect_all_ok(out, {2});
  for (const auto& n : coll::testing::notes_with(out[0], "")) std::cout << "rank 0: " << n << "\n";
}

}  // namespace
}  // namespace cairn::ft
