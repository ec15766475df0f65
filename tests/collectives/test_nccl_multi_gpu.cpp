// The NCCL backend across GPUs: one forked rank process per visible GPU (label gpu;
// skips with fewer than two). Every collective x dtype x op checks clean through the
// bench harness, and a rank killed mid-all_reduce is named by every survivor at once,
// not only at the timeout. A watchdog's abort() ends a receive whose sender never sends
// (a real hang needs two ranks; NCCL refuses two ranks on one GPU, so this too needs two).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "collectives/measure/harness/harness.h"
#include "collectives/measure/harness/options.h"
#include "collectives/measure/memory.h"
#include "common/error.h"
#include "probe/cuda_devices.h"
#include "tests/support/every_dtype_and_op.h"
#include "tests/support/rank_harness.h"

namespace cairn::coll {
namespace {

using namespace std::chrono_literals;
using testing::RankEnv;

// Counted in a child: a process that has started CUDA must not fork rank processes.
int visible_gpus() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(std::min(probe::visible_cuda_device_count(), 100));
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 0;
  return WEXITSTATUS(status);
}

class NcclMultiGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    gpus_ = visible_gpus();
    if (gpus_ < 2) GTEST_SKIP() << "needs 2 or more CUDA devices, " << gpus_ << " visible (nvidia-smi, CUDA_VISIBLE_DEVICES)";
  }
  int gpus_ = 0;
};

TEST_F(NcclMultiGpu, EveryCollectiveDtypeAndOpChecksCleanOnEveryGpu) {
  const auto out = testing::run_ranks(gpus_, [](RankEnv& env) {
    auto comm = make_nccl_communicator(env.store(), env.rank(), env.size(), env.rank());
    comm->set_timeout(60s);
    auto memory = bench::make_cuda_memory(env.rank());
    const bench::SweepOptions o = testing::every_dtype_and_op(4 << 20);
    for (const bench::CollTest* test : bench::all_collectives()) {
      const bench::CollectiveReport r = bench::run_collective(*comm, *memory, *test, o, nullptr);
      env.expect(r.out_of_bounds == 0, std::string(test->name) + ": " + std::to_string(r.out_of_bounds) + " wrong");
    }
  }, testing::HarnessOptions{std::chrono::seconds(300)});
  testing::expect_all_ok(out);
}

TEST_F(NcclMultiGpu, KilledRankMidAllReduceIsNamedBySurvivorsBeforeTheTimeout) {
  testing::HarnessOptions options;
  options.limit = std::chrono::seconds(120);
  options.may_die = {1};
  const auto out = testing::run_ranks(gpus_, [](RankEnv& env) {
    auto comm = make_nccl_communicator(env.store(), env.rank(), env.size(), env.rank());
    comm->set_timeout(60s);
    auto memory = bench::make_cuda_memory(env.rank());
    bench::Buffer buf(*memory, (1 << 20) * sizeof(float));
    for (int i = 0; i < 20; ++i)
      comm->all_reduce(buf.data(), buf.data(), 1 << 20, DataType::f32, ReduceOp::sum, memory->stream()).wait();
    if (env.rank() == 1) ::raise(SIGKILL);
    const auto start = std::chrono::steady_clock::now();
    std::string message = "(no error)";
    try {
      for (int i = 0; i < 100000; ++i)
        comm->all_reduce(buf.data(), buf.data(), 1 << 20, DataType::f32, ReduceOp::sum, memory->stream()).wait();
    } catch (const Error& e) {
      message = e.what();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    env.note("error " + message);
    env.expect(message.find("rank 1 lost") != std::string::npos, "survivor's error does not name rank 1: " + message);
    env.expect(seconds < 30, "survivor took " + std::to_string(seconds) + " s to fail (timeout 60 s)");
  }, options);
  testing::expect_all_ok(out, {1});
  for (const auto& s : testing::notes_with(out[0], "error ")) std::cout << "[ rank 0  ] " << s << "\n";
}

// Rank 0 receives from rank 1, which never sends. On the blocking communicator the first
// receive from a peer connects to it inside NCCL's host code, where only ncclCommAbort can
// end it; whether the thread is stuck there or in wait(), abort() from another thread
// must not wait behind it, and the call must throw the abort's reason.
TEST_F(NcclMultiGpu, WatchdogAbortEndsAReceiveWhoseSenderNeverSends) {
  testing::HarnessOptions options;
  options.limit = std::chrono::seconds(120);
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_nccl_communicator(env.store(), env.rank(), env.size(), env.rank());
    comm->set_timeout(90s);  // far beyond the abort: only abort() may end the receive
    auto memory = bench::make_cuda_memory(env.rank());
    bench::Buffer buf(*memory, 1024 * sizeof(float));
    comm->barrier(memory->stream()).wait();
    env.store().barrier("both out of the barrier", env.size());
    if (env.rank() == 1) {
      env.store().get("aborted");
      comm->abort("the test is over");  // a blocking finalize would wait for rank 0
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    double abort_seconds = -1;
    std::thread watchdog([&] {
      std::this_thread::sleep_for(1s);
      const auto t = std::chrono::steady_clock::now();
      comm->abort("watchdog: rank 1 sent nothing");
      abort_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    });
    std::string message = "(no error)";
    try {
      comm->recv(buf.data(), 1024, DataType::f32, 1, memory->stream()).wait();
    } catch (const Error& e) {
      message = e.what();
    }
    watchdog.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    env.note("error " + message);
    env.expect(message.find("watchdog: rank 1 sent nothing") != std::string::npos, "the error does not name the reason: " + message);
    env.expect(seconds < 20, "the receive took " + std::to_string(seconds) + " s to fail after the abort at 1 s");
    env.expect(abort_seconds >= 0 && abort_seconds < 15, "abort() took " + std::to_string(abort_seconds) + " s");
    env.store().set("aborted", "1");
  }, options);
  testing::expect_all_ok(out);
  for (const auto& s : testing::notes_with(out[0], "error ")) std::cout << "[ rank 0  ] " << s << "\n";
}

}  // namespace
}  // namespace cairn::coll
