// Observers, argument checks, algorithm knobs and ncclConfig_t options on the NCCL
// backend, one GPU (label gpu; skips without one). Ends come from timing events on the
// stream, delivered by Request::wait, later operations and poll_observers().
#include <cuda_runtime.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/nccl/nccl_communicator.h"
#include "collectives/measure/memory.h"
#include "collectives/rendezvous/tcp_store.h"
#include "common/error.h"
#include "probe/cuda_devices.h"
#include "tests/collectives/recording_observer.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using namespace std::chrono_literals;
using ::cairn::test::error_of;
using testing::ExpectedRecord;
using testing::RecordingObserver;

class NcclObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (probe::visible_cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (nvidia-smi, CUDA_VISIBLE_DEVICES)";
    server_ = std::make_unique<StoreServer>(0, "s3cret");
    store_ = connect_store(StoreOptions{"127.0.0.1", server_->port(), "s3cret", 30s});
    memory_ = bench::make_cuda_memory(0);
  }
  std::unique_ptr<StoreServer> server_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<bench::Memory> memory_;
};

TEST_F(NcclObserverTest, EveryOperationIsReportedInOrderWithItsDeviceTime) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  comm->set_timeout(60s);
  auto seen = std::make_shared<RecordingObserver>();
  comm->add_observer(seen);
  bench::Buffer a(*memory_, 1 << 20), b(*memory_, 1 << 20);
  Stream s = memory_->stream();

  comm->all_reduce(a.data(), b.data(), 1024, DataType::f32, ReduceOp::sum, s).wait();
  EXPECT_EQ(seen->ends().size(), 1u) << "wait() returned before the observer heard of the end";
  comm->broadcast(a.data(), a.data(), 512, DataType::i32, 0, s).wait();
  comm->send_recv(a.data(), 64, 0, b.data(), 64, 0, DataType::f16, s).wait();
  comm->barrier(s).wait();
  // Not waited for: the stream is synchronised behind the backend's back, and
  // poll_observers() delivers the end.
  Request gather = comm->all_gather(a.data(), b.data(), 256, DataType::bf16, s);
  ASSERT_EQ(cudaStreamSynchronize(static_cast<cudaStream_t>(s)), cudaSuccess);
  comm->poll_observers();

  const std::vector<ExpectedRecord> want{
      {OpKind::all_reduce, 0, 4096, DataType::f32},
      {OpKind::broadcast, 1, 2048, DataType::i32, 0},
      {OpKind::send_recv, 2, 128, DataType::f16, 0, 0},
      {OpKind::barrier, 3, 0, DataType::u8},
      {OpKind::all_gather, 4, 512, DataType::bf16},
  };
  const auto ends = seen->ends(), starts = seen->starts();
  ASSERT_EQ(ends.size(), want.size());
  ASSERT_EQ(starts.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(testing::mismatch(ends[i], want[i]), "");
    EXPECT_EQ(testing::mismatch(starts[i], want[i]), "");
    EXPECT_FALSE(ends[i].failed) << to_string(want[i].kind);
    EXPECT_GE(ends[i].device_us, 0.0) << to_string(want[i].kind) << ": no GPU time from the events";
  }
  gather.wait();
  EXPECT_EQ(seen->ends().size(), want.size()) << "an end was delivered twice";
}

TEST_F(NcclObserverTest, ArgumentChecksRefuseBeforeNcclAndReportNothing) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  auto seen = std::make_shared<RecordingObserver>();
  comm->add_observer(seen);
  bench::Buffer a(*memory_, 4096);
  Stream s = memory_->stream();
  EXPECT_NE(error_of([&] { comm->broadcast(a.data(), a.data(), 1, DataType::f32, 1, s); })
                .find("broadcast: root 1 is not a rank of this communicator (0..0)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { comm->all_reduce(nullptr, a.data(), 8, DataType::f32, ReduceOp::sum, s); })
                .find("all_reduce: send buffer is null with count 8"),
            std::string::npos);
  EXPECT_NE(error_of([&] { comm->recv(a.data(), 1, DataType::f32, 3, s); }).find("recv: peer 3 is not a rank"),
            std::string::npos);
  EXPECT_NE(error_of([&] { comm->all_gather(a.data(), a.data(), std::size_t(-1) / 2, DataType::f32, s); })
                .find("all_gather: count"),
            std::string::npos);
  EXPECT_TRUE(seen->starts().empty());
  comm->barrier(s).wait();
  ASSERT_EQ(seen->ends().size(), 1u);
  EXPECT_EQ(seen->ends()[0].seq, 0u) << "a refused call used up a sequence number";
}

TEST_F(NcclObserverTest, NonDefaultAlgoConfigIsRefusedWithWhereNcclTakesIt) {
  auto comm = make_nccl_communicator(*store_, 0, 1, 0);
  EXPECT_EQ(error_of([&] { comm->set_algo_config(AlgoConfig{}); }), "(no error)");
  AlgoConfig ring;
  ring.algorithm = Algorithm::ring;
  const std::string msg = error_of([&] { comm->set_algo_config(ring); });
  EXPECT_NE(msg.find("NCCL_ALGO"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tuner plugin"), std::string::npos) << msg;
  AlgoConfig chunks;
  chunks.chunk_bytes = 1 << 20;
  EXPECT_NE(error_of([&] { comm->set_algo_config(chunks); }), "(no error)");
}

TEST_F(NcclObserverTest, CommunicatorTakesCtaAndSplitShareOptions) {
  NcclOptions o;
  o.min_ctas = 1;
  o.max_ctas = 2;
  o.split_share = false;
  auto comm = make_nccl_communicator(*store_, 0, 1, 0, o);
  std::vector<float> host(1024, 2.0f), back(1024, 0.0f);
  bench::Buffer a(*memory_, host.size() * sizeof(float));
  memory_->upload(a.data(), host.data(), a.bytes());
  comm->all_reduce(a.data(), a.data(), host.size(), DataType::f32, ReduceOp::sum, memory_->stream()).wait();
  memory_->download(back.data(), a.data(), a.bytes());
  EXPECT_EQ(back, host);  // one rank: the sum is the input
  auto child = comm->split(0, 0);
  ASSERT_NE(child, nullptr);
  child->barrier(memory_->stream()).wait();

  NcclOptions bad;
  bad.min_ctas = 4;
  bad.max_ctas = 2;
  EXPECT_NE(error_of([&] { make_nccl_communicator(*store_, 0, 1, 0, bad); }).find("min_ctas (4) is more than max_ctas (2)"),
            std::string::npos);
}

}  // namespace
}  // namespace cairn::coll
