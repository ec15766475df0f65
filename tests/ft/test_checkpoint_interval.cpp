// The Young/Daly checkpoint interval (ft/checkpoint/young_daly.h): sqrt(2 C M) against
// hand-computed values, in whole steps, chosen as a run goes from the measured stall and
// step time; and --mtbf's durations, each bad one refused naming the flag.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "ft/checkpoint/young_daly.h"

namespace cairn::ft {
namespace {

TEST(YoungDaly, IntervalIsTheSquareRootOfTwiceCostTimesMtbf) {
  // C = 10 s, M = 24 h: sqrt(2 x 10 x 86400) = sqrt(1728000) = 1314.53 s.
  EXPECT_NEAR(young_daly_interval_s(10, 86400), 1314.534, 1e-3);
  // C = 0.05 s (an asynchronous save's stall), M = 1 h: sqrt(360) = 18.97 s.
  EXPECT_NEAR(young_daly_interval_s(0.05, 3600), 18.974, 1e-3);
  EXPECT_EQ(young_daly_interval_s(0, 3600), 0);
  EXPECT_EQ(interval_steps(1314.534, 2.0), 657);
  EXPECT_EQ(interval_steps(0.001, 2.0), 1) << "at least one step";
  EXPECT_EQ(interval_steps(100, 0), 1) << "no step time yet";
}

TEST(YoungDaly, AutoIntervalUsesTheMeasuredStallAndMeanStepTime) {
  AutoInterval a(86400);
  EXPECT_FALSE(a.after_save(10)) << "no step timed yet";
  for (int i = 0; i < 4; ++i) a.add_step(i % 2 ? 1.5 : 2.5);  // mean 2 s
  EXPECT_DOUBLE_EQ(a.mean_step_s(), 2.0);
  EXPECT_EQ(a.after_save(10), 657);
  EXPECT_EQ(a.after_save(40), 1315) << "a costlier save: twice the interval";
}

TEST(YoungDaly, DurationsTakeAUnitAndRefuseTheRestNamingTheFlag) {
  EXPECT_EQ(parse_duration_s("24h", "--mtbf"), 86400);
  EXPECT_EQ(parse_duration_s("90m", "--mtbf"), 5400);
  EXPECT_EQ(parse_duration_s("1.5d", "--mtbf"), 129600);
  EXPECT_EQ(parse_duration_s("3600", "--mtbf"), 3600);
  EXPECT_EQ(parse_duration_s("30s", "--mtbf"), 30);
  for (const char* bad : {"", "h", "0", "-1h", "nan", "inf", "1e999", "12abc", "many", "2w", "1e13"}) {
    try {
      parse_duration_s(bad, "--mtbf");
      ADD_FAILURE() << "took " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--mtbf", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace cairn::ft
