// The NCCL backend on one GPU (label gpu; skips without one): the bench harness checks
// every collective x dtype x op clean on device buffers, split, abort from another
// thread, a non-blocking init that times out when a rank never joins, and `cairn bench
// --backend nccl` end to end.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "collectives/measure/harness/harness.h"
#include "collectives/measure/harness/options.h"
#include "collectives/measure/memory.h"
#include "collectives/rendezvous/tcp_store.h"
#include "common/error.h"
#include "common/json_io.h"
#include "probe/cuda_devices.h"
#include "tests/support/error_of.h"
#include "tests/support/every_dtype_and_op.h"

namespace cairn::coll {
namespace {

using namespace std::chrono_literals;

class NcclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (probe::visible_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (nvidia-smi, CUDA_VISIBLE_DEVICES)";
    server_ = std::make_unique<StoreServer>(0, "s3cret");
    store_ = connect_store(StoreOptions{"127.0.0.1", server_->port(), "s3cret", 30s});
  }
  std::unique_ptr<StoreServer> server_;
  std::unique_ptr<Store> store_;
};

using ::cairn::test::error_of;

TEST_F(NcclTest, HarnessChecksEveryCollectiveDtypeAndOpCleanOnDeviceBuffers) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  comm->set_timeout(60s);
  auto memory = bench::make_cuda_memory(0);
  const bench::SweepOptions o = testing::every_dtype_and_op(1 << 20);
  for (const bench::CollTest* test : bench::all_collectives()) {
    const bench::CollectiveReport r = bench::run_collective(*comm, *memory, *test, o, nullptr);
    EXPECT_EQ(r.out_of_bounds, 0) << test->name;
    for (const bench::Row& row : r.rows) {
      EXPECT_EQ(row.out_of_place.wrong, 0) << test->name << " " << row.size_bytes;
      if (test->in_place_checked) {
        EXPECT_EQ(row.in_place.wrong, 0) << test->name << " " << row.size_bytes;
      }
    }
  }
}

TEST_F(NcclTest, InPlaceSendRecvToSelfKeepsTheData) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  auto memory = bench::make_cuda_memory(0);
  std::vector<float> host(1000), back(1000);
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(i) * 0.5f;
  bench::Buffer buf(*memory, host.size() * sizeof(float));
  memory->upload(buf.data(), host.data(), host.size() * sizeof(float));
  comm->send_recv(buf.data(), host.size(), 0, buf.data(), host.size(), 0, DataType::f32, memory->stream()).wait();
  memory->download(back.data(), buf.data(), back.size() * sizeof(float));
  EXPECT_EQ(back, host);
}

TEST_F(NcclTest, SplitKeepsTheRankAndNoColorGetsNothing) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  auto child = comm->split(3, 0);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->size(), 1);
  EXPECT_EQ(child->rank(), 0);
  child->barrier().wait();
  EXPECT_EQ(comm->split(-1, 0), nullptr);
}

TEST_F(NcclTest, AbortFromAnotherThreadFailsLaterOperationsWithTheReason) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  comm->barrier().wait();
  std::thread watchdog([&] { comm->abort("watchdog saw rank 7 go silent"); });
  watchdog.join();
  const std::string msg = error_of([&] { comm->barrier().wait(); });
  EXPECT_NE(msg.find("aborted"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rank 7 go silent"), std::string::npos) << msg;
}

TEST_F(NcclTest, InitTimesOutWhenARankNeverJoins) {
  NcclOptions options;
  options.init_timeout = 3s;
  const auto start = std::chrono::steady_clock::now();
  // Rank 0 of 2 creates the id and waits for rank 1, which never comes.
  const std::string msg = error_of([&] { make_nccl_communicator(*store_, 0, 2, 0, options); });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(msg.find("did not complete within 3 s"), std::string::npos) << msg;
  EXPECT_NE(msg.find("init of 2 ranks"), std::string::npos) << msg;
  EXPECT_LT(took, 30s);
}

TEST(NcclCli, BenchRunsEveryCollectiveOnOneGpuWithZeroWrong) {
  if (probe::visible_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (nvidia-smi, CUDA_VISIBLE_DEVICES)";
  const std::string cmd = std::string(CAIRN_BINARY_DIR) +
                          "/bin/cairn bench --backend nccl -b 8 -e 16M -f 4 -c 1 --op all --json 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  const Json doc = parse_json(out, "cairn bench --json");
  require_schema(doc, "cairn.bench", 2, "cairn bench --json");
  // One rank: sendrecv needs two and is listed as skipped; the other six run.
  ASSERT_EQ(doc["collectives"].size(), 6u) << doc.dump();
  ASSERT_EQ(doc["skipped"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["skipped"][0]["name"], "sendrecv");
  for (const auto& c : doc["collectives"]) EXPECT_EQ(c["out_of_bounds"], 0) << c["name"];
}

}  // namespace
}  // namespace cairn::coll
