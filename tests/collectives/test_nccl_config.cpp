// NcclOptions' ncclConfig_t fields on the host (no GPU needed): what validation refuses
// and how each option lands in the config ncclCommInitRankConfig gets.
#include <climits>
#include <string>

#include <gtest/gtest.h>

#include "collectives/backends/nccl/nccl_config.h"
#include "tests/support/error_of.h"

namespace cairn::coll {
namespace {

using ::cairn::test::error_of;
using detail::make_nccl_config;
using detail::validate_nccl_options;

TEST(NcclConfig, UnsetOptionsKeepNcclDefaults) {
  const NcclOptions o;
  const ncclConfig_t c = make_nccl_config(o, false);
  EXPECT_EQ(c.blocking, 0);
  EXPECT_EQ(c.minCTAs, NCCL_CONFIG_UNDEF_INT);
  EXPECT_EQ(c.maxCTAs, NCCL_CONFIG_UNDEF_INT);
  EXPECT_EQ(c.cgaClusterSize, NCCL_CONFIG_UNDEF_INT);
  EXPECT_EQ(c.netName, nullptr);
  EXPECT_EQ(c.splitShare, NCCL_CONFIG_UNDEF_INT);
  EXPECT_EQ(c.size, sizeof(ncclConfig_t));  // NCCL_CONFIG_INITIALIZER's own fields kept
  EXPECT_EQ(make_nccl_config(o, true).blocking, 1);
}

TEST(NcclConfig, EverySetOptionReachesItsField) {
  NcclOptions o;
  o.min_ctas = 4;
  o.max_ctas = 16;
  o.cga_cluster_size = 2;
  o.net_name = "Socket";
  o.split_share = true;
  o.cta_policy = 1;
  o.nvls_ctas = 16;
  o.channels_per_net_peer = 4;
  const ncclConfig_t c = make_nccl_config(o, true);
  EXPECT_EQ(c.CTAPolicy, 1);
  EXPECT_EQ(c.nvlsCTAs, 16);
  EXPECT_EQ(c.nChannelsPerNetPeer, 4);
  EXPECT_EQ(c.minCTAs, 4);
  EXPECT_EQ(c.maxCTAs, 16);
  EXPECT_EQ(c.cgaClusterSize, 2);
  ASSERT_NE(c.netName, nullptr);
  EXPECT_EQ(std::string(c.netName), "Socket");
  EXPECT_EQ(c.netName, o.net_name->c_str());  // points into the options, as documented
  EXPECT_EQ(c.splitShare, 1);
  o.split_share = false;
  o.cga_cluster_size = 0;
  EXPECT_EQ(make_nccl_config(o, true).splitShare, 0);
  EXPECT_EQ(make_nccl_config(o, true).cgaClusterSize, 0);
}

TEST(NcclConfig, ValidationNamesTheFieldAndTheFix) {
  NcclOptions o;
  o.min_ctas = 0;
  EXPECT_EQ(error_of([&] { validate_nccl_options(o); }),
            "NcclOptions::min_ctas is 0; it must be at least 1 (or unset for NCCL's default)");
  o = {};
  o.max_ctas = -3;
  EXPECT_EQ(error_of([&] { validate_nccl_options(o); }),
            "NcclOptions::max_ctas is -3; it must be at least 1 (or unset for NCCL's default)");
  o = {};
  o.min_ctas = 8;
  o.max_ctas = 4;
  EXPECT_EQ(error_of([&] { make_nccl_config(o, false); }),
            "NcclOptions::min_ctas (8) is more than max_ctas (4); make min_ctas <= max_ctas");
  o = {};
  o.cga_cluster_size = 9;
  EXPECT_EQ(error_of([&] { validate_nccl_options(o); }), "NcclOptions::cga_cluster_size is 9; it must be 0 (off) to 8");
  o.cga_cluster_size = -1;
  EXPECT_NE(error_of([&] { validate_nccl_options(o); }).find("cga_cluster_size is -1"), std::string::npos);
  o = {};
  o.net_name = "";
  EXPECT_NE(error_of([&] { validate_nccl_options(o); }).find("NcclOptions::net_name is empty"), std::string::npos);
  o = {};
  o.cta_policy = 3;
  EXPECT_EQ(error_of([&] { validate_nccl_options(o); }),
            "NcclOptions::cta_policy is 3; use 0 (default), 1 (efficiency) or 2 (zero)");
  o = {};
  o.nvls_ctas = 0;
  EXPECT_NE(error_of([&] { validate_nccl_options(o); }).find("nvls_ctas is 0"), std::string::npos);
  o = {};
  o.channels_per_net_peer = 0;
  EXPECT_NE(error_of([&] { validate_nccl_options(o); }).find("channels_per_net_peer is 0"), std::string::npos);
  o = {};
  o.min_ctas = 2;
  o.max_ctas = 2;
  o.cga_cluster_size = 8;
  EXPECT_EQ(error_of([&] { validate_nccl_options(o); }), "(no error)");
}

}  // namespace
}  // namespace cairn::coll
