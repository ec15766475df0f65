// Failure paths of the UCX backend with real processes: a rank killed or exiting in the
// middle of a collective, abort() from another thread, an operation timeout, and ranks
// that disagree on the world size. Every survivor must get an error that names the
// rank at fault, within the timeout, and never hang.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "tests/collectives/recording_observer.h"
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

TEST(UcxFailures, WatchdogAbortEndsACollectiveThePeerNeverJoins) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(20000ms);
    comm->barrier().wait();
    env.store().barrier("both out of the barrier", env.size());
    if (env.rank() == 0) {
      // Rank 1 never enters this all_reduce: without abort() the wait would last 20 s.
      std::vector<float> buf(4, 1.0f);  // small: the abort notice must not queue behind unread chunks
      Request r = comm->all_reduce(buf.data(), buf.data(), buf.size(), DataType::f32, ReduceOp::sum);
      const auto t0 = Clock::now();
      std::thread watchdog([&] {
        std::this_thread::sleep_for(200ms);
        comm->abort("watchdog: rank 1 never joined all_reduce");
      });
      std::string error = "(no error)";
      try {
        r.wait();
      } catch (const Error& e) {
        error = e.what();
      }
      watchdog.join();
      const double waited = ms_since(t0);
      env.expect(contains(error, "all_reduce #") && contains(error, "watchdog: rank 1 never joined all_reduce"),
                 "error: " + error);
      env.expect(waited >= 150 && waited < 2000, "abort took " + std::to_string(waited) + " ms to end the wait");
      env.store().set("aborted", "1");
    } else {
      env.store().get("aborted");
      // The peer hears why (else its closing barrier would wait out the timeout).
      try {
        comm->barrier().wait();
        env.fail("the peer of an aborted rank completed a barrier");
      } catch (const Error& e) {
        env.expect(contains(e.what(), "rank 0 aborted: watchdog: rank 1 never joined"), std::string("peer's error: ") + e.what());
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

// Every argument check, on the UCX backend: the message names the operation and the
// argument, nothing reaches the observers, and no sequence number is used up.
TEST(UcxFailures, EachBadArgumentGetsItsOwnMessageAndNoRecord) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    auto seen = std::make_shared<testing::RecordingObserver>();
    comm->add_observer(seen);
    float x = 0;
    const int other = 1 - env.rank();
    constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
    auto expect_error = [&](const std::function<void()>& f, const std::string& part) {
      std::string error = "(no error)";
      try {
        f();
      } catch (const Error& e) {
        error = e.what();
      }
      env.expect(contains(error, part), "expected '" + part + "', got: " + error);
      env.expect(error.find('\n') == std::string::npos, "not one line: " + error);
    };
    expect_error([&] { comm->all_reduce(nullptr, &x, 1, DataType::f32, ReduceOp::sum); },
                 "all_reduce: send buffer is null with count 1");
    expect_error([&] { comm->reduce_scatter(&x, nullptr, 3, DataType::f32, ReduceOp::sum); },
                 "reduce_scatter: recv buffer is null with count 3");
    expect_error([&] { comm->all_gather(nullptr, &x, 2, DataType::f32); }, "all_gather: send buffer is null");
    expect_error([&] { comm->alltoall(&x, nullptr, 2, DataType::f32); }, "alltoall: recv buffer is null");
    expect_error([&] { comm->all_reduce(&x, &x, kMax / 2, DataType::f32, ReduceOp::sum); },
                 "all_reduce: count " + std::to_string(kMax / 2) + " of f32 x 1 blocks overflows");
    // Fits as one block of f32, not as size() of them.
    const std::size_t gathered = kMax / 4 / 2 + 1;
    expect_error([&] { comm->all_gather(&x, &x, gathered, DataType::f32); },
                 "all_gather: count " + std::to_string(gathered) + " of f32 x 2 blocks overflows");
    expect_error([&] { comm->reduce_scatter(&x, &x, gathered, DataType::f32, ReduceOp::sum); }, "reduce_scatter: count");
    expect_error([&] { comm->alltoall(&x, &x, gathered, DataType::f32); }, "alltoall: count");
    expect_error([&] { comm->broadcast(&x, &x, 1, DataType::f32, 2); },
                 "broadcast: root 2 is not a rank of this communicator (0..1)");
    expect_error([&] { comm->reduce(&x, &x, 1, DataType::f32, ReduceOp::sum, -1); }, "reduce: root -1 is not a rank");
    if (env.rank() == 0)
      expect_error([&] { comm->broadcast(nullptr, &x, 1, DataType::f32, 0); }, "broadcast: the root's send buffer is null");
    else
      expect_error([&] { comm->reduce(&x, nullptr, 1, DataType::f32, ReduceOp::sum, 1); },
                   "reduce: the root's recv buffer is null");
    expect_error([&] { comm->send(&x, 1, DataType::f32, 5); }, "send: peer 5 is not another rank of this communicator (0..1");
    expect_error([&] { comm->recv(&x, 1, DataType::f32, env.rank()); },
                 "recv: peer " + std::to_string(env.rank()) + " is not another rank");
    expect_error([&] { comm->send(nullptr, 1, DataType::f32, other); }, "send: send buffer is null");
    expect_error([&] { comm->send_recv(&x, 1, other, &x, 1, -1, DataType::f32); }, "send_recv: source -1 is not another rank");
    expect_error([&] { comm->send_recv(&x, 1, 9, &x, 1, other, DataType::f32); }, "send_recv: destination 9 is not");
    expect_error([&] { comm->send_recv(&x, 1, other, nullptr, 1, other, DataType::f32); }, "send_recv: recv buffer is null");
    expect_error([&] { comm->all_reduce(&x, &x, 1, DataType::f32, static_cast<ReduceOp>(17)); },
                 "all_reduce: reduction 17 is not one of sum, prod, max, min, avg");
    expect_error([&] { comm->broadcast(&x, &x, 1, static_cast<DataType>(42), 0); },
                 "broadcast: data type 42 is not one of");
    env.expect(seen->starts().empty() && seen->ends().empty(), "a refused call reached the observers");
    float one = 1, sum = 0;
    comm->all_reduce(&one, &sum, 1, DataType::f32, ReduceOp::sum).wait();
    env.expect(sum == 2.f, "all_reduce after refused calls: " + std::to_string(sum));
    const auto ends = seen->ends();
    if (env.expect(ends.size() == 1, "records: " + std::to_string(ends.size())))
      env.expect(ends[0].seq == 0, "refused calls used up sequence numbers: seq " + std::to_string(ends[0].seq));
  });
  testing::expect_all_ok(out);
}

}  // namespace
}  // namespace cairn::coll
