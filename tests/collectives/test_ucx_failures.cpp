// Failure paths of the UCX backend with real processes: a rank killed or exiting in the
// middle of a collective, abort() from another thread, an operation timeout, and ranks
// that disagree on the world size. Every survivor must get an error that names the
// rank at fault, within the timeout, and never hang.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "tests/support/rank_harness.h"

namespace cairn::coll {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RankEnv;
using namespace std::chrono_literals;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The victim dies while the others are inside a large all_reduce (or, with
// `before_op`, just before it, so the survivors find out only when they talk to it).
void lost_rank_case(int ranks, int victim, bool sigkill, bool before_op) {
  constexpr auto kTimeout = 5000ms;
  testing::HarnessOptions options;
  options.limit = 60s;
  options.may_die = {victim};
  const auto out = testing::run_ranks(ranks, [&](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(kTimeout);
    std::vector<float> buf(4 << 20, 1.0f);  // 16 MiB: many chunks, long enough to be cut
    comm->all_reduce(buf.data(), buf.data(), 1024, DataType::f32, ReduceOp::sum).wait();
    env.store().barrier("first all_reduce done", env.size());  // the victim dies in the second one
    if (env.rank() == victim) {
      if (!before_op) {
        comm->all_reduce(buf.data(), buf.data(), buf.size(), DataType::f32, ReduceOp::sum);
        std::this_thread::sleep_for(20ms);
      }
      if (sigkill) ::raise(SIGKILL);
      ::_exit(3);
    }
    if (before_op) std::this_thread::sleep_for(300ms);
    const auto t0 = Clock::now();
    std::string error;
    try {
      for (int i = 0; i < 50; ++i) comm->all_reduce(buf.data(), buf.data(), buf.size(), DataType::f32, ReduceOp::sum).wait();
      env.fail("no error although rank " + std::to_string(victim) + " is gone");
    } catch (const Error& e) {
      error = e.what();
    }
    const double waited = ms_since(t0);
    env.note("error " + error);
    env.note("ms " + std::to_string(waited));
    env.expect(contains(error, "rank " + std::to_string(victim)), "the error does not name rank " + std::to_string(victim) + ": " + error);
    env.expect(waited < double(kTimeout.count()) + 2000, "took " + std::to_string(waited) + " ms to fail");
    // Later operations fail at once with the same cause.
    try {
      comm->barrier().wait();
      env.fail("barrier after the failure succeeded");
    } catch (const Error& e) {
      env.expect(contains(e.what(), "aborted"), std::string("later op: ") + e.what());
    }
  }, options);
  testing::expect_all_ok(out, {victim});
  const auto& v = out[std::size_t(victim)];
  EXPECT_TRUE(sigkill ? v.signal == SIGKILL : v.exit_code == 3) << "the victim did not die as planned";
  for (const auto& o : out) {
    if (o.rank == victim) continue;
    for (const auto& e : testing::notes_with(o, "error ")) std::cout << "[ rank " << o.rank << "  ] " << e << "\n";
    for (const auto& ms : testing::notes_with(o, "ms ")) std::cout << "[ rank " << o.rank << "  ] failed after " << ms << " ms\n";
  }
}

TEST(UcxFailures, SigkilledRankMidAllReduceIsNamedByEverySurvivor) { lost_rank_case(4, 2, true, false); }
TEST(UcxFailures, ExitingRankMidAllReduceIsNamedByEverySurvivorOfEight) { lost_rank_case(8, 5, false, false); }
TEST(UcxFailures, RankDeadBeforeTheCollectiveIsNamed) { lost_rank_case(3, 1, true, true); }

TEST(UcxFailures, AbortFromAnotherThreadUnblocksWaitAndReachesThePeer) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(20000ms);
    comm->barrier().wait();
    float x = 0;
    if (env.rank() == 0) {
      // A receive rank 1 never sends for: only abort() can end it.
      Request r = comm->recv(&x, 1, DataType::f32, 1);
      const auto t0 = Clock::now();
      std::thread watchdog([&] {
        std::this_thread::sleep_for(200ms);
        comm->abort("watchdog saw no progress");
      });
      std::string error;
      try {
        r.wait();
        env.fail("wait returned although the communicator was aborted");
      } catch (const Error& e) {
        error = e.what();
      }
      watchdog.join();
      const double waited = ms_since(t0);
      env.expect(contains(error, "recv #") && contains(error, "watchdog saw no progress"), "error: " + error);
      env.expect(waited < 2000, "abort took " + std::to_string(waited) + " ms to end the wait");
      env.store().set("aborted", "1");
    } else {
      env.store().get("aborted");
      try {
        comm->all_reduce(&x, &x, 1, DataType::f32, ReduceOp::sum).wait();
        env.fail("the peer of an aborted rank completed an all_reduce");
      } catch (const Error& e) {
        env.expect(contains(e.what(), "rank 0 aborted: watchdog saw no progress"), std::string("peer's error: ") + e.what());
      }
    }
  });
  testing::expect_all_ok(out);
}

TEST(UcxFailures, TimeoutNamesTheOperationAndTheRankItWaitsFor) {
  const auto out = testing::run_ranks(3, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(700ms);
    std::vector<float> buf(1000, 1.0f);
    comm->all_reduce(buf.data(), buf.data(), buf.size(), DataType::f32, ReduceOp::sum).wait();  // #1
    if (env.rank() == 2) {  // late to all_reduce #2 by far more than the timeout
      env.store().get("others-failed-0");
      env.store().get("others-failed-1");
    }
    std::string error;
    const auto t0 = Clock::now();
    try {
      comm->all_reduce(buf.data(), buf.data(), buf.size(), DataType::f32, ReduceOp::sum).wait();
    } catch (const Error& e) {
      error = e.what();
    }
    const double waited = ms_since(t0);
    env.note("error " + error);
    if (env.rank() != 2) {
      // Both time out, or one does and tells the other.
      env.expect(contains(error, "all_reduce #2 timed out after 700 ms waiting for rank") ||
                     contains(error, "aborted: all_reduce #2 timed out after 700 ms"),
                 "error: " + error);
      env.expect(waited >= 600 && waited < 3000, "failed after " + std::to_string(waited) + " ms");
      env.store().set("others-failed-" + std::to_string(env.rank()), "1");
    } else {
      env.expect(contains(error, "aborted: all_reduce #2 timed out after 700 ms waiting for rank"), "late rank's error: " + error);
    }
  });
  testing::expect_all_ok(out);
  for (const auto& o : out)
    for (const auto& e : testing::notes_with(o, "error ")) std::cout << "[ rank " << o.rank << "  ] " << e << "\n";
}

TEST(UcxFailures, WorldSizeMismatchIsAClearErrorNamingTheRank) {
  testing::HarnessOptions options;
  options.store_timeout = 3000ms;
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    // Rank 1 believes the world has 3 ranks.
    const int size = env.rank() == 1 ? 3 : 2;
    try {
      auto comm = make_ucx_communicator(env.store(), env.rank(), size);
      env.fail("a communicator was made despite the size mismatch");
    } catch (const Error& e) {
      env.note(std::string("error ") + e.what());
      if (env.rank() == 0)
        env.expect(contains(e.what(), "rank 1 joined UCX communicator 'ucx' with world size 3") && contains(e.what(), "with 2"),
                   std::string("error: ") + e.what());
    }
  }, options);
  testing::expect_all_ok(out);
  for (const auto& e : testing::notes_with(out[0], "error ")) std::cout << "[ rank 0  ] " << e << "\n";
}

TEST(UcxFailures, BadArgumentsAreRefusedBeforeAnythingIsQueued) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    float x = 0;
    auto error_of = [&](const std::function<void()>& f) -> std::string {
      try {
        f();
      } catch (const Error& e) {
        return e.what();
      }
      return "(no error)";
    };
    env.expect(contains(error_of([&] { comm->broadcast(&x, &x, 1, DataType::f32, 2); }), "root 2 is not a rank"), "bad root");
    env.expect(contains(error_of([&] { comm->send(&x, 1, DataType::f32, env.rank()); }), "is not another rank"), "send to self");
    env.expect(contains(error_of([&] { comm->all_reduce(nullptr, &x, 1, DataType::f32, ReduceOp::sum); }), "send buffer is null"),
               "null buffer");
    // Nothing was queued: the next collective matches up across ranks.
    float one = 1, sum = 0;
    comm->all_reduce(&one, &sum, 1, DataType::f32, ReduceOp::sum).wait();
    env.expect(sum == 2.f, "all_reduce after refused calls: " + std::to_string(sum));
  });
  testing::expect_all_ok(out);
}

}  // namespace
}  // namespace cairn::coll
