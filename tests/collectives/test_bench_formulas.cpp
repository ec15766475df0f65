// cairn bench's byte counts and bandwidths against numbers worked by hand from nccl-tests'
// doc/PERFORMANCE.md and src/<collective>.cu (getCollByteCount, getBw):
//   algbw = S / t;  busbw = algbw x {all_reduce 2(n-1)/n; reduce_scatter, all_gather,
//   alltoall (n-1)/n; broadcast, reduce, sendrecv 1}; S = count x elt (x n where the
//   count is per rank); per-rank counts rounded down to 16 bytes.
#include <gtest/gtest.h>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/harness.h"
#include "common/error.h"

namespace cairn::coll::bench {
namespace {

void expect_counts(const Counts& c, std::size_t send, std::size_t recv, std::size_t param, std::size_t send_off,
                   std::size_t recv_off) {
  EXPECT_EQ(c.send, send);
  EXPECT_EQ(c.recv, recv);
  EXPECT_EQ(c.param, param);
  EXPECT_EQ(c.send_inplace_offset, send_off);
  EXPECT_EQ(c.recv_inplace_offset, recv_off);
}

TEST(BenchFormulas, AllReduce256MiBOn8RanksIn10ms) {
  // 256 MiB of float: 67108864 elements; S = 268435456 B; t = 10 ms.
  const Counts c = all_reduce_test.counts(67108864, 4, 8);
  expect_counts(c, 67108864, 67108864, 67108864, 0, 0);
  const Bandwidth bw = bandwidth(all_reduce_test, c.param, 4, 8, 0.010);
  EXPECT_NEAR(bw.algbw_gb_s, 26.8435456, 1e-9);        // 268435456 / 0.01 / 1e9
  EXPECT_NEAR(bw.busbw_gb_s, 46.9762048, 1e-9);        // x 2*7/8
}

TEST(BenchFormulas, AllReduceOnOneRankHasNoBusTraffic) {
  EXPECT_EQ(bandwidth(all_reduce_test, 1024, 4, 1, 1e-3).busbw_gb_s, 0.0);
  EXPECT_NEAR(bandwidth(all_reduce_test, 1024, 4, 1, 1e-3).algbw_gb_s, 0.004096, 1e-12);
}

TEST(BenchFormulas, ReduceScatter1MiBOn4RanksIn100us) {
  // 262144 floats; recv count 65536 per rank; S = recvcount x elt x n = 1048576 B.
  const Counts c = reduce_scatter_test.counts(262144, 4, 4);
  expect_counts(c, 262144, 65536, 65536, 0, 65536);
  const Bandwidth bw = bandwidth(reduce_scatter_test, c.param, 4, 4, 100e-6);
  EXPECT_NEAR(bw.algbw_gb_s, 10.48576, 1e-9);
  EXPECT_NEAR(bw.busbw_gb_s, 7.86432, 1e-9);  // x 3/4
}

TEST(BenchFormulas, AllGatherRoundsThePerRankCountTo16Bytes) {
  // 1000 B of float on 3 ranks: 250 elements, 250/3 = 83, & ~3 -> 80 per rank.
  const Counts c = all_gather_test.counts(250, 4, 3);
  expect_counts(c, 80, 240, 80, 80, 0);
  const Bandwidth bw = bandwidth(all_gather_test, c.param, 4, 3, 1e-6);
  EXPECT_NEAR(bw.algbw_gb_s, 0.96, 1e-12);  // 80 x 4 x 3 = 960 B in 1 us
  EXPECT_NEAR(bw.busbw_gb_s, 0.64, 1e-12);  // x 2/3
  // uint8: 100/3 = 33, & ~15 -> 32; double: 125/3 = 41, & ~1 -> 40; half: 50/3 = 16, & ~7.
  EXPECT_EQ(per_rank_count(100, 1, 3), 32u);
  EXPECT_EQ(per_rank_count(125, 8, 3), 40u);
  EXPECT_EQ(per_rank_count(50, 2, 3), 16u);
  EXPECT_EQ(per_rank_count(7, 4, 8), 0u);
}

TEST(BenchFormulas, BroadcastAndReduceBusEqualsAlg) {
  for (const CollTest* t : {&broadcast_test, &reduce_test}) {
    const Counts c = t->counts(262144, 4, 8);
    expect_counts(c, 262144, 262144, 262144, 0, 0);
    const Bandwidth bw = bandwidth(*t, c.param, 4, 8, 100e-6);
    EXPECT_NEAR(bw.algbw_gb_s, 10.48576, 1e-9) << t->name;
    EXPECT_NEAR(bw.busbw_gb_s, 10.48576, 1e-9) << t->name;
  }
}

TEST(BenchFormulas, AlltoallCountsPerPeer) {
  // 1 MiB of float on 8 ranks: 32768 per peer; S = 32768 x 4 x 8 = 1 MiB.
  const Counts c = alltoall_test.counts(262144, 4, 8);
  expect_counts(c, 262144, 262144, 32768, 0, 0);
  const Bandwidth bw = bandwidth(alltoall_test, c.param, 4, 8, 100e-6);
  EXPECT_NEAR(bw.algbw_gb_s, 10.48576, 1e-9);
  EXPECT_NEAR(bw.busbw_gb_s, 9.17504, 1e-9);  // x 7/8
}

TEST(BenchFormulas, SendRecvIsPointToPoint) {
  const Counts c = sendrecv_test.counts(1000, 8, 5);
  expect_counts(c, 1000, 1000, 1000, 0, 0);
  const Bandwidth bw = bandwidth(sendrecv_test, c.param, 8, 5, 2e-6);
  EXPECT_NEAR(bw.algbw_gb_s, 4.0, 1e-12);
  EXPECT_NEAR(bw.busbw_gb_s, 4.0, 1e-12);
}

TEST(BenchFormulas, EveryCollectiveIsRegisteredOnceAndFoundByBothNames) {
  ASSERT_EQ(all_collectives().size(), 7u);
  EXPECT_EQ(&find_collective("reduce_scatter"), &reduce_scatter_test);
  EXPECT_EQ(&find_collective("all_gather_perf"), &all_gather_test);
  try {
    find_collective("allreduce");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("all_reduce, reduce_scatter"), std::string::npos) << e.what();
  }
}

TEST(BenchSweep, FactorAndStepSweepsAsNcclTests) {
  SweepOptions o;
  o.min_bytes = 8;
  o.max_bytes = 1024;
  o.step_factor = 4;
  EXPECT_EQ(sweep_sizes(o), (std::vector<std::size_t>{8, 32, 128, 512}));
  o.step_factor = 1;
  o.min_bytes = 100;
  o.max_bytes = 400;
  o.step_bytes = 150;
  EXPECT_EQ(sweep_sizes(o), (std::vector<std::size_t>{100, 250, 400}));
  o.min_bytes = o.max_bytes = 0;  // a single zero-byte call is a sweep
  EXPECT_EQ(sweep_sizes(o), (std::vector<std::size_t>{0}));
}

TEST(BenchSweep, SweepsThatCannotRunAreErrorsNamingTheFlag) {
  SweepOptions o;
  o.min_bytes = 64;
  o.max_bytes = 8;
  EXPECT_THROW(sweep_sizes(o), Error);
  o.min_bytes = 0;
  o.max_bytes = 64;
  o.step_factor = 2;
  try {
    sweep_sizes(o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("-b 0"), std::string::npos) << e.what();
  }
  o.step_factor = 1;
  o.step_bytes = 0;
  o.min_bytes = 8;
  EXPECT_THROW(sweep_sizes(o), Error);
}

}  // namespace
}  // namespace cairn::coll::bench
