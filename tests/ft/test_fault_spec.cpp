// --inject's grammar (ft/inject/fault_spec.h): each kind with its keys, and every
// malformed value refused in one line naming --inject and what to give.
#include "ft/inject/fault_spec.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/error.h"
#include "tests/support/error_of.h"

namespace cairn::ft {
namespace {

TEST(FaultSpec, EveryKindParsesWithItsKeys) {
  const FaultSpec slow = parse_fault_spec("slow-compute:rank=2,factor=1.25");
  EXPECT_EQ(slow.kind, FaultKind::slow_compute);
  EXPECT_EQ(slow.rank, 2);
  EXPECT_DOUBLE_EQ(slow.factor, 1.25);
  EXPECT_EQ(slow.step, 0);  // from the start
  EXPECT_EQ(parse_fault_spec("slow-link:rank=1,factor=4,from=10").step, 10);

  const FaultSpec flip = parse_fault_spec("bitflip:rank=1,step=5,where=transit,bit=30,element=7");
  EXPECT_EQ(flip.kind, FaultKind::bit_flip);
  EXPECT_EQ(flip.where, FlipSite::transit);
  EXPECT_EQ(flip.bit, 30);
  ASSERT_TRUE(flip.element.has_value());
  EXPECT_EQ(*flip.element, 7);
  EXPECT_FALSE(parse_fault_spec("bitflip:rank=0,step=0,where=reduced,bit=0").element.has_value());

  EXPECT_EQ(parse_fault_spec("kill:rank=3,step=7").kind, FaultKind::kill);
  EXPECT_EQ(parse_fault_spec("hang:rank=0,step=1").kind, FaultKind::hang);
  const FaultSpec ckpt = parse_fault_spec("corrupt-checkpoint:step=9");
  EXPECT_EQ(ckpt.kind, FaultKind::corrupt_checkpoint);
  EXPECT_EQ(ckpt.rank, -1);
  EXPECT_EQ(parse_fault_spec("disk-full:step=4,attempt=any").attempt, kAnyAttempt);
  EXPECT_EQ(parse_fault_spec("kill:rank=0,step=4,attempt=2").attempt, 2);
}

TEST(FaultSpec, FiresOnlyOnItsRankAndInItsStart) {
  const FaultSpec kill = parse_fault_spec("kill:rank=1,step=3");
  EXPECT_TRUE(kill.applies(1, 0));
  EXPECT_FALSE(kill.applies(0, 0));
  EXPECT_FALSE(kill.applies(1, 1));  // a restarted job does not meet its kill again
  const FaultSpec any = parse_fault_spec("kill:rank=1,step=3,attempt=any");
  EXPECT_TRUE(any.applies(1, 5));
  EXPECT_TRUE(parse_fault_spec("corrupt-checkpoint:step=2").applies(3, 0));

  ::unsetenv("CAIRN_RESTART");
  EXPECT_EQ(current_attempt(), 0);
  const std::vector<FaultSpec> all = {kill, parse_fault_spec("kill:rank=0,step=1"),
                                      parse_fault_spec("hang:rank=1,step=2")};
  EXPECT_EQ(faults_for(all, FaultKind::kill, 1).size(), 1u);
  ::setenv("CAIRN_RESTART", "1", 1);
  EXPECT_TRUE(faults_for(all, FaultKind::kill, 1).empty());
  ::unsetenv("CAIRN_RESTART");
}

TEST(FaultSpec, MalformedValuesAreOneLineNamingInjectAndTheFix) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"explode:rank=1", "unknown fault"},
      {"kill", "needs its settings"},
      {"kill:rank=1", "needs step="},
      {"kill:rank=1,step=2,bit=3", "takes no key"},
      {"kill:rank=1,rank=2,step=2", "given twice"},
      {"kill:rank=-1,step=2", "whole number"},
      {"kill:rank=1x,step=2", "whole number"},
      {"kill:rank=1,step=", "not key=value"},
      {"kill:rank=1,,step=2", "not key=value"},
      {"slow-compute:rank=1,factor=1", "above 1"},
      {"slow-compute:rank=1,factor=nan", "above 1"},
      {"slow-compute:rank=1,factor=1e999", "above 1"},
      {"bitflip:rank=1,step=2,where=disk,bit=3", "gradient, transit or reduced"},
      {"bitflip:rank=1,step=2,where=gradient,bit=32", "from 0 to 31"},
      {"kill:rank=1,step=2,attempt=first", "whole number"},
  };
  for (const auto& c : cases) {
    const std::string e = test::error_of([&] { parse_fault_spec(c.text); });
    EXPECT_EQ(e.rfind("--inject ", 0), 0u) << c.text << ": " << e;
    EXPECT_NE(e.find(c.says), std::string::npos) << c.text << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  const std::string e =
      test::error_of([] { check_fault_ranks({parse_fault_spec("kill:rank=4,step=1")}, 4); });
  EXPECT_NE(e.find("from 0 to 3"), std::string::npos) << e;
}

}  // namespace
}  // namespace cairn::ft
