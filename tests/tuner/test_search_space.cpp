#include <algorithm>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/error_of.h"
#include "tuner/search/space.h"

namespace cairn::tuner {
namespace {

std::set<std::string> families(const std::vector<Candidate>& s) {
  std::set<std::string> f;
  for (const Candidate& c : s) f.insert(c.family);
  return f;
}

const Candidate* find(const std::vector<Candidate>& s, const std::string& key) {
  for (const Candidate& c : s)
    if (c.key == key) return &c;
  return nullptr;
}

bool any_env(const std::vector<Candidate>& s, const std::string& name) {
  return std::any_of(s.begin(), s.end(), [&](const Candidate& c) { return c.process_env.count(name) > 0; });
}

TEST(SearchSpace, HostAllReduceIsTheFullGrid) {
  const auto s = host_space({});
  ASSERT_EQ(s.size(), 1u + 3 * 4 * 4 * 3);
  EXPECT_TRUE(s[0].is_default);
  EXPECT_EQ(s[0].key, "default");
  std::set<std::string> keys;
  for (const Candidate& c : s) EXPECT_TRUE(keys.insert(c.key).second) << c.key;
  EXPECT_EQ(families(s), (std::set<std::string>{"ucx:default", "ucx:ring", "ucx:tree", "ucx:rhd"}));
  // Each family starts with the backend's default knobs (128 KiB, depth 2, 1 channel).
  EXPECT_EQ(s[1].key, "ucx:ring/c131072/d2/k1");
  const Candidate* c = find(s, "ucx:tree/c2097152/d8/k4");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->host.algorithm, coll::Algorithm::tree);
  EXPECT_EQ(c->host.chunk_bytes, 2u << 20);
  EXPECT_EQ(c->to_choice().host_algorithm, "tree");
}

TEST(SearchSpace, KnobsAnAlgorithmIgnoresFold) {
  // reduce_scatter and all_gather run the ring whatever the algorithm says.
  EXPECT_EQ(host_space({.collective = "reduce_scatter"}).size(), 1u + 4 * 4 * 3);
  EXPECT_EQ(families(host_space({.collective = "all_gather"})), (std::set<std::string>{"ucx:default", "ucx:ring"}));
  // broadcast and reduce: rhd runs the tree.
  EXPECT_EQ(host_space({.collective = "broadcast"}).size(), 1u + 2 * 4 * 4 * 3);
  // alltoall at 3 ranks runs at most 2 channels: 4 folds into 2.
  EXPECT_EQ(host_space({.collective = "alltoall", .nranks = 3}).size(), 1u + 4 * 4 * 2);
  EXPECT_EQ(host_space({.collective = "sendrecv"}).size(), 1u);
  // Depths beyond the backend's clamp fold into it.
  EXPECT_EQ(host_space({.pipeline_depths = {64, 128}}).size(), 1u + 3 * 4 * 1 * 3);
  EXPECT_NE(cairn::test::error_of([] { host_space({.collective = "allreduce"}); }).find("unknown collective 'allreduce'"),
            std::string::npos);
  EXPECT_NE(cairn::test::error_of([] { host_space({.channels = {0}}); }).find("channels value 0"), std::string::npos);
}

TEST(SearchSpace, NcclOneNodeOffersRingAndTreeWithEveryProtocol) {
  const auto s = nccl_space({.collective = "all_reduce", .nranks = 8, .nnodes = 1});
  EXPECT_TRUE(s[0].is_default);
  const auto f = families(s);
  for (const char* name : {"nccl:ring/ll", "nccl:ring/ll128", "nccl:ring/simple", "nccl:tree/ll", "nccl:tree/simple"})
    EXPECT_TRUE(f.count(name)) << name;
  EXPECT_FALSE(f.count("nccl:pat/simple"));
  EXPECT_FALSE(f.count("nccl:nvls/simple"));
  const Candidate* c = find(s, "nccl:ring/simple/ch8");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->nccl.channels, 8);
  EXPECT_EQ(c->level, Level::per_call);
  ASSERT_NE(find(s, "nccl:comm/minCTAs=8"), nullptr);
  EXPECT_EQ(find(s, "nccl:comm/minCTAs=8")->level, Level::per_communicator);
  EXPECT_TRUE(any_env(s, "NCCL_P2P_LEVEL"));
  EXPECT_FALSE(any_env(s, "NCCL_CROSS_NIC"));  // network knobs need nnodes > 1
  EXPECT_FALSE(any_env(s, "NCCL_IB_QPS_PER_CONNECTION"));
  EXPECT_NE(find(s, "nccl:place/reversed"), nullptr);
  EXPECT_EQ(find(s, "nccl:place/by-host-interleaved"), nullptr);
}

TEST(SearchSpace, NcclOffersWhatTheCommunicatorSupports) {
  const auto with = nccl_space({.collective = "all_reduce", .nranks = 8, .nnodes = 1, .collnet = true, .nvls = true});
  for (const char* name : {"nccl:nvls/simple", "nccl:nvls_tree/simple", "nccl:collnet_direct/simple", "nccl:collnet_chain/simple"})
    EXPECT_TRUE(families(with).count(name)) << name;
  EXPECT_FALSE(families(with).count("nccl:nvls/ll"));
  // PAT: reduce_scatter and all_gather at one GPU per node only.
  EXPECT_TRUE(families(nccl_space({.collective = "all_gather", .nranks = 4, .nnodes = 4})).count("nccl:pat/simple"));
  EXPECT_FALSE(families(nccl_space({.collective = "all_gather", .nranks = 8, .nnodes = 4})).count("nccl:pat/simple"));
  EXPECT_EQ(families(nccl_space({.collective = "broadcast", .nranks = 8})).count("nccl:tree/simple"), 0u);
}

TEST(SearchSpace, NcclNetworkKnobsFollowTheTransport) {
  const auto ib = nccl_space({.nranks = 16, .nnodes = 2, .transport = NcclTransport::infiniband});
  EXPECT_TRUE(any_env(ib, "NCCL_IB_QPS_PER_CONNECTION"));
  EXPECT_TRUE(any_env(ib, "NCCL_IB_SPLIT_DATA_ON_QPS"));
  EXPECT_TRUE(any_env(ib, "NCCL_CROSS_NIC"));
  EXPECT_FALSE(any_env(ib, "NCCL_SOCKET_NTHREADS"));
  const auto sock = nccl_space({.nranks = 16, .nnodes = 2, .transport = NcclTransport::socket});
  EXPECT_TRUE(any_env(sock, "NCCL_SOCKET_NTHREADS"));
  EXPECT_TRUE(any_env(sock, "NCCL_NSOCKS_PERTHREAD"));
  EXPECT_FALSE(any_env(sock, "NCCL_IB_QPS_PER_CONNECTION"));
  EXPECT_FALSE(any_env(sock, "NCCL_NET_GDR_LEVEL"));
  EXPECT_FALSE(any_env(sock, "FI_CXI_RX_MATCH_MODE"));
}

TEST(SearchSpace, AlpsLikeAddsTheSlingshotSet) {
  const auto s = nccl_space({.nranks = 8, .nnodes = 2, .transport = NcclTransport::ofi, .alps_like = true});
  std::vector<const Candidate*> alps;
  for (const Candidate& c : s)
    if (c.family == "nccl:alps") alps.push_back(&c);
  ASSERT_GE(alps.size(), 2u);
  EXPECT_EQ(alps[0]->process_env.at("NCCL_PROTO"), "^LL128");
  EXPECT_EQ(alps[0]->process_env.at("FI_CXI_DISABLE_HOST_REGISTER"), "1");
  EXPECT_EQ(alps[0]->level, Level::per_process);
  EXPECT_FALSE(any_env(s, "NCCL_IB_QPS_PER_CONNECTION"));
}

TEST(SearchSpace, PlacementsArePermutations) {
  const auto s = nccl_space({.nranks = 4, .nnodes = 2});
  const Candidate* inter = find(s, "nccl:place/by-host-interleaved");
  ASSERT_NE(inter, nullptr);
  EXPECT_EQ(inter->level, Level::placement);
  // Ranks 0, 1 on node 0 and 2, 3 on node 1: consecutive new ranks alternate nodes.
  EXPECT_EQ(inter->rank_order, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(find(s, "nccl:place/reversed")->rank_order, (std::vector<int>{3, 2, 1, 0}));
  EXPECT_NE(cairn::test::error_of([] { nccl_space({.nranks = 2, .nnodes = 4}); }).find("nnodes <= nranks"), std::string::npos);
}

TEST(SearchSpace, FamilyKnobsNameEverySetting) {
  const auto s = host_space({});
  const auto k = family_knobs(s[1]);
  EXPECT_EQ(k, (std::vector<std::pair<std::string, std::string>>{
                   {"channels", "1"}, {"chunk_bytes", "131072"}, {"pipeline_depth", "2"}}));
  EXPECT_TRUE(family_knobs(s[0]).empty());
}

}  // namespace
}  // namespace cairn::tuner
