// The host (UCX) algorithms' structure: steps and bytes per rank as the algorithms in
// collectives/backends/ucx/ move them.
#include "tuner/model/host_model.h"

#include <gtest/gtest.h>

#include "tests/support/error_of.h"

namespace cairn::tuner {
namespace {

TEST(HostShape, RingAllReduceMovesTwiceTheShareOfEachRank) {
  const HostShape h = host_shape("ucx:ring", "all_reduce", 8);
  EXPECT_EQ(h.algorithm, "ring");
  EXPECT_DOUBLE_EQ(h.steps, 14);               // 2 (N - 1)
  EXPECT_DOUBLE_EQ(h.bytes_factor, 14.0 / 8);  // 2 (N - 1) / N
  EXPECT_DOUBLE_EQ(host_shape("ring", "all_gather", 4).steps, 3);
  EXPECT_DOUBLE_EQ(host_shape("ring", "reduce_scatter", 4).bytes_factor, 0.75);
}

TEST(HostShape, RecursiveHalvingDoublingAddsThePrePostStepOffPowersOfTwo) {
  EXPECT_DOUBLE_EQ(host_shape("rhd", "all_reduce", 8).steps, 6);  // 2 log2 8
  EXPECT_DOUBLE_EQ(host_shape("rhd", "all_reduce", 8).bytes_factor, 14.0 / 8);
  const HostShape six = host_shape("rhd", "all_reduce", 6);  // P = 4: 2 x 2 + 2
  EXPECT_DOUBLE_EQ(six.steps, 6);
  EXPECT_DOUBLE_EQ(six.bytes_factor, 1.5 + 2);
}

TEST(HostShape, RootedCollectivesMapAsTheBackendDoes) {
  EXPECT_EQ(host_shape("ucx:ring", "broadcast", 8).algorithm, "chain");
  EXPECT_DOUBLE_EQ(host_shape("ucx:ring", "broadcast", 8).steps, 7);
  EXPECT_EQ(host_shape("ucx:rhd", "reduce", 8).algorithm, "tree");
  EXPECT_DOUBLE_EQ(host_shape("tree", "reduce", 8).steps, 3);       // ceil(log2 8)
  EXPECT_DOUBLE_EQ(host_shape("tree", "all_reduce", 5).steps, 6);   // 2 ceil(log2 5)
  EXPECT_EQ(host_shape("ucx:tree", "alltoall", 4).algorithm, "pairwise");
  EXPECT_EQ(host_shape("ucx:tree", "all_gather", 4).algorithm, "ring");
}

TEST(HostShape, TheBackendsOwnChoiceIsResolvedPerSize) {
  // choose_all_reduce: rhd below 32 KiB x N, the ring from there (algo_select.cpp).
  EXPECT_EQ(host_shape("ucx:automatic", "all_reduce", 4, 64 << 10).algorithm, "rhd");
  EXPECT_EQ(host_shape("ucx:default", "all_reduce", 4, 128 << 10).algorithm, "ring");
  EXPECT_EQ(host_shape("automatic", "broadcast", 4).algorithm, "tree");
  EXPECT_NE(test::error_of([] { host_shape("automatic", "all_reduce", 4); }).find("give the bytes"), std::string::npos);
}

TEST(HostShape, UnknownFamiliesAndSingleRanksAreRefused) {
  EXPECT_NE(test::error_of([] { host_shape("ucx:bruck", "all_reduce", 4); }).find("family ucx:bruck"), std::string::npos);
  EXPECT_NE(test::error_of([] { host_shape("chain", "all_reduce", 4); }).find("ring, tree or rhd"), std::string::npos);
  EXPECT_NE(test::error_of([] { host_shape("ring", "all_reduce", 1); }).find("2 or more"), std::string::npos);
  EXPECT_NE(test::error_of([] { host_shape("ring", "scan", 4); }).find("unknown collective"), std::string::npos);
}

}  // namespace
}  // namespace cairn::tuner
