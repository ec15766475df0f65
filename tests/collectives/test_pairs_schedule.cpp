// The round-robin tournament: every pair meets exactly once, nobody plays twice in a
// round, N-1 rounds for even N and N (one bye each) for odd N.
#include <set>
#include <utility>

#include <gtest/gtest.h>

#include "collectives/measure/pairs/round_robin.h"
#include "common/error.h"

namespace cairn::coll::pairs {
namespace {

void check_tournament(int n) {
  SCOPED_TRACE("n = " + std::to_string(n));
  const auto rounds = round_robin(n);
  const int expected_rounds = n == 1 ? 0 : (n % 2 == 0 ? n - 1 : n);
  ASSERT_EQ(static_cast<int>(rounds.size()), expected_rounds);

  std::set<std::pair<int, int>> met;
  std::set<int> byes;
  for (std::size_t r = 0; r < rounds.size(); ++r) {
    std::set<int> busy;
    for (const auto& p : rounds[r].pairs) {
      EXPECT_LT(p.a, p.b);
      EXPECT_GE(p.a, 0);
      EXPECT_LT(p.b, n);
      EXPECT_TRUE(busy.insert(p.a).second) << "rank " << p.a << " twice in round " << r;
      EXPECT_TRUE(busy.insert(p.b).second) << "rank " << p.b << " twice in round " << r;
      EXPECT_TRUE(met.insert({p.a, p.b}).second) << "pair " << p.a << "-" << p.b << " met twice";
      EXPECT_EQ(partner(rounds[r], p.a), p.b);
      EXPECT_EQ(partner(rounds[r], p.b), p.a);
    }
    if (n % 2 == 0) {
      EXPECT_EQ(rounds[r].bye, -1);
      EXPECT_EQ(static_cast<int>(busy.size()), n) << "round " << r << " leaves a rank idle";
    } else {
      ASSERT_GE(rounds[r].bye, 0);
      EXPECT_FALSE(busy.count(rounds[r].bye)) << "the bye rank also plays in round " << r;
      EXPECT_EQ(partner(rounds[r], rounds[r].bye), -1);
      EXPECT_EQ(static_cast<int>(busy.size()), n - 1);
      byes.insert(rounds[r].bye);
    }
  }
  EXPECT_EQ(static_cast<int>(met.size()), n * (n - 1) / 2);
  if (n % 2 == 1 && n > 1) {
    EXPECT_EQ(static_cast<int>(byes.size()), n) << "every rank sits out exactly once";
  }
}

TEST(PairsSchedule, EveryPairOnceNoRankTwiceInARound) {
  for (int n = 1; n <= 33; ++n) check_tournament(n);
  check_tournament(128);
  check_tournament(257);
}

TEST(PairsSchedule, FourRanksInThreeRounds) {
  const auto rounds = round_robin(4);
  ASSERT_EQ(rounds.size(), 3u);
  for (const auto& r : rounds) EXPECT_EQ(r.pairs.size(), 2u);
}

TEST(PairsSchedule, ThreeRanksGiveEachOneBye) {
  const auto rounds = round_robin(3);
  ASSERT_EQ(rounds.size(), 3u);
  for (const auto& r : rounds) EXPECT_EQ(r.pairs.size(), 1u);
}

TEST(PairsSchedule, RejectsNoRanks) {
  EXPECT_THROW(round_robin(0), Error);
  EXPECT_THROW(round_robin(-3), Error);
}

}  // namespace
}  // namespace cairn::coll::pairs
