// The UCX backend's operation queue (collectives/backends/ucx/op_queue.h): which thread runs
// an operation, in which order, and what an abort does to the queued ones. The executor
// here records where each operation ran; the UCX tests run the same queue end to end.
#include "collectives/backends/ucx/op_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "tests/support/error_of.h"

namespace cairn::coll::detail {
namespace {

using namespace std::chrono_literals;

class RecordingExecutor final : public OpQueue::Executor {
 public:
  explicit RecordingExecutor(OpQueue& q) : queue_(q) {}
  void run(Op& op) override {
    {
      std::lock_guard lock(mu_);
      ran.push_back({op.name, std::this_thread::get_id()});
    }
    queue_.complete(*op.state);
  }
  bool abort_pending() override { return abort_requested.load() && !abort_handled.load(); }
  void handle_abort() override {
    abort_handled = true;
    queue_.fail_queued("test abort");
  }
  struct Ran {
    std::string name;
    std::thread::id thread;
  };
  std::vector<Ran> runs() {
    std::lock_guard lock(mu_);
    return ran;
  }
  std::atomic<bool> abort_requested{false}, abort_handled{false};

 private:
  OpQueue& queue_;
  std::mutex mu_;
  std::vector<Ran> ran;
};

// A queue with its progress thread, as a communicator runs it, or without one: then only
// waiting callers run operations, whatever the scheduler does to the test's timing.
struct Fixture {
  std::shared_ptr<OpQueue> queue = std::make_shared<OpQueue>(0us);
  RecordingExecutor executor{*queue};
  std::thread progress;
  explicit Fixture(bool with_progress_thread = true) {
    queue->attach(&executor);
    if (with_progress_thread) progress = std::thread([this] { queue->progress_loop(executor); });
  }
  ~Fixture() {
    queue->close();
    if (progress.joinable()) progress.join();
    queue->detach();
  }
  Request post(const std::string& name) {
    Op op;
    op.name = name;
    op.state = std::make_shared<OpState>(queue);
    Request r(op.state);
    queue->post(std::move(op));
    return r;
  }
};

TEST(OpQueue, AWaitingCallerRunsTheQueueUpToItsOperationOnItsOwnThread) {
  // Without a progress thread: with one, a slow box (TSan on two cores) can let an
  // operation sit past kClaimGrace, and the progress thread rightly takes it.
  Fixture f(/*with_progress_thread=*/false);
  Request a = f.post("a"), b = f.post("b"), c = f.post("c");
  b.wait();
  // a and b ran here, in order, and the caller stopped there: c waits for its own waiter.
  const auto runs = f.executor.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "a");
  EXPECT_EQ(runs[1].name, "b");
  EXPECT_EQ(runs[0].thread, std::this_thread::get_id());
  EXPECT_EQ(runs[1].thread, std::this_thread::get_id());
  EXPECT_TRUE(a.test());
  EXPECT_FALSE(c.test());
  c.wait();
  ASSERT_EQ(f.executor.runs().size(), 3u);
  EXPECT_EQ(f.executor.runs()[2].thread, std::this_thread::get_id());
}

TEST(OpQueue, AnOperationNobodyWaitsForRunsOnTheProgressThread) {
  Fixture f;
  // Make callers the drivers first: the progress thread then polls instead of being woken.
  f.post("claimed").wait();
  Request r = f.post("unclaimed");
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!r.test() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(100us);
  ASSERT_TRUE(r.test()) << "an operation nobody waited for did not run within 10 s";
  const auto runs = f.executor.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].name, "unclaimed");
  EXPECT_NE(runs[1].thread, std::this_thread::get_id());
}

TEST(OpQueue, OperationsRunInPostOrderWhoeverRunsThem) {
  Fixture f;
  std::vector<Request> requests;
  for (int i = 0; i < 200; ++i) {
    requests.push_back(f.post(std::to_string(i)));
    if (i % 7 == 0) requests.back().wait();          // some driven by this thread
    if (i % 50 == 0) std::this_thread::sleep_for(2ms);  // some left to the progress thread
  }
  for (Request& r : requests) r.wait();
  const auto runs = f.executor.runs();
  ASSERT_EQ(runs.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(runs[std::size_t(i)].name, std::to_string(i));
}

TEST(OpQueue, WaitersOnSeveralThreadsAllFinish) {
  Fixture f;
  std::vector<Request> requests;
  for (int i = 0; i < 64; ++i) requests.push_back(f.post(std::to_string(i)));
  std::vector<std::thread> waiters;
  for (int t = 0; t < 4; ++t)
    waiters.emplace_back([&, t] {
      for (int i = 63 - t; i >= 0; i -= 4) requests[std::size_t(i)].wait();
    });
  for (auto& w : waiters) w.join();
  EXPECT_EQ(f.executor.runs().size(), 64u);
}

// An abort recorded while nobody runs operations (abort() from a watchdog thread) is
// handled by the progress thread before anything queued runs.
TEST(OpQueue, AnAbortFailsTheQueuedOperationsWithTheReason) {
  Fixture f;
  f.post("claimed").wait();
  f.executor.abort_requested = true;
  Request r = f.post("doomed");
  f.queue->wake();
  std::string error = "(not finished)";
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (error == "(not finished)" && std::chrono::steady_clock::now() < until) {
    error = test::error_of([&] {
      if (!r.test()) std::this_thread::sleep_for(100us);
    });
    if (error == "(no error)") error = "(not finished)";
  }
  EXPECT_EQ(error, "doomed failed: communicator aborted: test abort");
  EXPECT_TRUE(f.executor.abort_handled.load());
  EXPECT_EQ(f.executor.runs().size(), 1u);
}

TEST(OpQueue, PostingAfterCloseIsRefused) {
  Fixture f;
  f.queue->close();
  Op op;
  op.name = "late #1";
  op.state = std::make_shared<OpState>(f.queue);
  EXPECT_EQ(test::error_of([&] { f.queue->post(std::move(op)); }), "late #1: the communicator is being destroyed");
}

}  // namespace
}  // namespace cairn::coll::detail
