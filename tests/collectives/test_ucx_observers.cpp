// Observers on the UCX backend with real rank processes: every operation is reported
// once started and once ended, in sequence order, with its kind, bytes, dtype, root or
// peers and times; calls refused by the argument checks report nothing and take no
// sequence number; a removed observer hears of nothing after.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "tests/support/rank_harness.h"
#include "tests/collectives/recording_observer.h"

namespace cairn::coll {
namespace {

using testing::ExpectedRecord;
using testing::RankEnv;
using testing::RecordingObserver;

TEST(UcxObservers, EveryOperationIsReportedInOrderWithItsShape) {
  const auto out = testing::run_ranks(3, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    auto seen = std::make_shared<RecordingObserver>();
    comm->add_observer(seen);
    const int r = env.rank(), n = env.size();
    std::vector<float> f(1000, 1.0f), g(3000, 0.0f);
    std::vector<std::int32_t> ints(10, r);
    std::vector<double> d(5, 1.0), gathered(15);
    std::vector<std::uint8_t> bytes(6, 1), bytes_out(6);

    comm->all_reduce(f.data(), f.data(), 1000, DataType::f32, ReduceOp::sum).wait();
    comm->broadcast(ints.data(), ints.data(), 10, DataType::i32, 2).wait();
    // Posted together, waited for in reverse: the ends still come in sequence order.
    Request gather = comm->all_gather(d.data(), gathered.data(), 5, DataType::f64);
    Request scatter = comm->reduce_scatter(g.data(), f.data(), 4, DataType::f32, ReduceOp::max);
    scatter.wait();
    gather.wait();
    float x = 0;
    const std::string refused = [&] {
      try {
        comm->all_reduce(nullptr, &x, 1, DataType::f32, ReduceOp::sum);
      } catch (const Error& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    }();
    env.expect(refused.find("send buffer is null") != std::string::npos, "refused call: " + refused);
    comm->send_recv(f.data(), 7, (r + 1) % n, g.data(), 7, (r + n - 1) % n, DataType::f32).wait();
    comm->barrier().wait();
    comm->alltoall(bytes.data(), bytes_out.data(), 2, DataType::u8).wait();
    comm->reduce(d.data(), gathered.data(), 5, DataType::f64, ReduceOp::sum, 1).wait();

    const std::vector<ExpectedRecord> want{
        {OpKind::all_reduce, 0, 4000, DataType::f32},
        {OpKind::broadcast, 1, 40, DataType::i32, 2},
        {OpKind::all_gather, 2, 5 * 8 * 3, DataType::f64},
        {OpKind::reduce_scatter, 3, 4 * 4 * 3, DataType::f32},
        {OpKind::send_recv, 4, 7 * 4, DataType::f32, (r + 1) % n, (r + n - 1) % n},
        {OpKind::barrier, 5, 0, DataType::u8},
        {OpKind::alltoall, 6, 2 * 3, DataType::u8},
        {OpKind::reduce, 7, 40, DataType::f64, 1},
    };
    const auto starts = seen->starts(), ends = seen->ends();
    if (env.expect(ends.size() == want.size(), "ends reported: " + std::to_string(ends.size())) &&
        env.expect(starts.size() == want.size(), "starts reported: " + std::to_string(starts.size()))) {
      for (std::size_t i = 0; i < want.size(); ++i) {
        const std::string bad = testing::mismatch(ends[i], want[i]) + testing::mismatch(starts[i], want[i]);
        env.expect(bad.empty(), bad);
        env.expect(!ends[i].failed, std::string(to_string(want[i].kind)) + " reported as failed");
        env.expect(ends[i].start == starts[i].start, "the end's start differs from the start's");
        env.expect(ends[i].device_us < 0, "a host backend reported a device time");
      }
      env.expect(ends[1].start >= ends[0].end, "the second operation started before the first ended");
    }

    comm->remove_observer(seen.get());
    comm->barrier().wait();
    env.expect(seen->ends().size() == want.size(), "a removed observer heard of a later operation");
    // Sequence numbers go on counting unobserved operations, so ranks agree on them.
    auto again = std::make_shared<RecordingObserver>();
    comm->add_observer(again);
    comm->barrier().wait();
    const auto later = again->ends();
    if (env.expect(later.size() == 1, "records after re-adding: " + std::to_string(later.size())))
      env.expect(later[0].seq == want.size() + 1, "seq after an unobserved barrier: " + std::to_string(later[0].seq));
  });
  testing::expect_all_ok(out);
}

TEST(UcxObservers, AnAbortedOperationIsReportedAsFailed) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->barrier().wait();
    env.store().barrier("both out of the barrier", env.size());  // before rank 0 aborts
    if (env.rank() == 0) {
      auto seen = std::make_shared<RecordingObserver>();
      comm->add_observer(seen);
      float x = 0;
      Request r = comm->recv(&x, 1, DataType::f32, 1);  // rank 1 never sends
      comm->abort("test abort");
      try {
        r.wait();
        env.fail("wait returned although the communicator was aborted");
      } catch (const Error&) {
      }
      const auto ends = seen->ends();
      if (env.expect(ends.size() == 1, "ends reported: " + std::to_string(ends.size()))) {
        env.expect(ends[0].failed, "the aborted recv was not reported as failed");
        env.expect(testing::mismatch(ends[0], {OpKind::recv, 1, 4, DataType::f32, 1}).empty(),
                   testing::mismatch(ends[0], {OpKind::recv, 1, 4, DataType::f32, 1}));
      }
      env.store().set("aborted", "1");
    } else {
      env.store().get("aborted");
    }
  });
  testing::expect_all_ok(out);
}

}  // namespace
}  // namespace cairn::coll
