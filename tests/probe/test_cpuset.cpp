#include <gtest/gtest.h>

#include "probe/cpuset.h"
#include "probe/node.h"

namespace cairn::probe {
namespace {

TEST(CpuSet, HwlocBitmapWordsAreMostSignificantFirst) {
  EXPECT_EQ(CpuSet::from_hwloc_bitmap("0x00ff00ff")->to_list(), "0-7,16-23");
  EXPECT_EQ(CpuSet::from_hwloc_bitmap("0x0000ffff,0xff000000")->to_list(), "24-47");
  // An empty word is zero: NUMA node 3 of the 96-core Opteron file.
  EXPECT_EQ(CpuSet::from_hwloc_bitmap("0xffffff00,,0x0")->to_list(), "72-95");
  EXPECT_EQ(CpuSet::from_hwloc_bitmap("0x0")->to_list(), "");
  EXPECT_FALSE(CpuSet::from_hwloc_bitmap("0xfg"));
  EXPECT_FALSE(CpuSet::from_hwloc_bitmap("0x123456789"));
}

TEST(CpuSet, ListStringsRoundTrip) {
  auto s = CpuSet::from_list("0-3,8,10-11\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count(), 7u);
  EXPECT_EQ(s->to_list(), "0-3,8,10-11");
  EXPECT_TRUE(s->intersects(*CpuSet::from_list("11")));
  EXPECT_FALSE(s->intersects(*CpuSet::from_list("4-7")));
  EXPECT_TRUE(CpuSet::from_list("")->empty());
  EXPECT_FALSE(CpuSet::from_list("3-1"));
  EXPECT_FALSE(CpuSet::from_list("a"));
  EXPECT_FALSE(CpuSet::from_list("1,,2"));
}

TEST(PcieLink, BandwidthCountsLineEncoding) {
  PcieLink gen5x16{32, 16, 32, 16};
  EXPECT_NEAR(gen5x16.bandwidth_gb_s(), 63.015, 0.01);  // 32 GT/s * 128/130 * 16 / 8
  PcieLink gen2x8{5, 8, 5, 8};
  EXPECT_NEAR(gen2x8.bandwidth_gb_s(), 4.0, 1e-9);  // 8b/10b
  EXPECT_FALSE(gen5x16.downtrained());
  PcieLink half{32, 8, 32, 16};
  EXPECT_TRUE(half.downtrained());
  EXPECT_NEAR(half.max_bandwidth_gb_s(), 63.015, 0.01);
  PcieLink slow{16, 16, 32, 16};
  EXPECT_TRUE(slow.downtrained());
  PcieLink reported;
  reported.reported_gb_s = 15.75;
  EXPECT_TRUE(reported.known());
  EXPECT_DOUBLE_EQ(reported.bandwidth_gb_s(), 15.75);
  EXPECT_FALSE(reported.downtrained());
}

}  // namespace
}  // namespace cairn::probe
