// The watchdog's pieces without a hang: the progress an observer keeps (failed ends
// are not completions), and the verdict from peers' readings: a host-side stall (a rank
// never enqueued the operation), a device-side stall (all enqueued, none completed), a
// lost peer (a heartbeat stopped), and a store that did not answer.
#include <gtest/gtest.h>

#include "ft/watchdog/hang_verdict.h"
#include "ft/watchdog/op_progress.h"

namespace cairn::ft {
namespace {

coll::OpRecord op(std::uint64_t seq, bool failed = false) {
  coll::OpRecord r;
  r.kind = coll::OpKind::all_reduce;
  r.seq = seq;
  r.bytes = 4096;
  r.failed = failed;
  return r;
}

TEST(OpProgress, CountsEnqueuedAndCompletedBySequenceAndKeepsTheOldestInFlight) {
  OpProgress p;
  EXPECT_FALSE(p.snapshot().oldest_in_flight);
  p.on_start(op(5));  // ops before the observer (seq 0-4) count through their numbers
  p.on_start(op(6));
  auto s = p.snapshot();
  EXPECT_EQ(s.enqueued, 7u);
  EXPECT_EQ(s.completed, 0u);
  ASSERT_TRUE(s.oldest_in_flight);
  EXPECT_EQ(s.oldest_in_flight->seq, 5u);
  p.on_end(op(5));
  s = p.snapshot();
  EXPECT_EQ(s.completed, 6u);
  ASSERT_TRUE(s.oldest_in_flight);
  EXPECT_EQ(s.oldest_in_flight->seq, 6u);
  p.on_end(op(6, /*failed=*/true));  // ended by an abort: not completed
  s = p.snapshot();
  EXPECT_EQ(s.completed, 6u);
  EXPECT_FALSE(s.oldest_in_flight);
}

PeerReading reading(int rank, std::int64_t enqueued, std::int64_t completed, std::int64_t beat1, std::int64_t beat2) {
  return PeerReading{rank, true, {rank, enqueued, completed, beat1}, {rank, enqueued, completed, beat2}};
}

const StuckOp kStuck{coll::OpKind::all_reduce, 41, 4096, 5.2, 5};

TEST(HangVerdict, ARankThatNeverEnqueuedTheOperationIsAHostSideStall) {
  // Rank 2 stopped at operation 41 (enqueued 41 = it reached 0..40); rank 1 is in it too.
  const auto v = judge_hang(kStuck, 0, 3, {reading(1, 42, 41, 10, 12), reading(2, 41, 41, 10, 13)}, "");
  EXPECT_EQ(v.stall(), "host");
  EXPECT_EQ(v.never_reached, std::vector<int>{2});
  EXPECT_EQ(v.never_completed, (std::vector<int>{0, 1}));
  EXPECT_TRUE(v.heartbeat_stopped.empty());
  const std::string line = verdict_line(v);
  for (const char* part :
       {"all_reduce (sequence number 41, 4096 bytes)", "rank 2 never reached it", "host-side", "ranks 0, 1"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " not in: " << line;
  const Json j = verdict_json(v);
  EXPECT_EQ(j.at("schema"), "cairn.watchdog_verdict");
  EXPECT_EQ(j.at("op").at("kind"), "all_reduce");
  EXPECT_EQ(j.at("op").at("seq"), 41);
  EXPECT_EQ(j.at("never_reached"), Json::array({2}));
  EXPECT_EQ(j.at("stall"), "host");
}

TEST(HangVerdict, EveryRankInTheOperationAndAliveIsADeviceSideStall) {
  const auto v = judge_hang(kStuck, 1, 3, {reading(0, 42, 41, 3, 5), reading(2, 43, 41, 7, 9)}, "");
  EXPECT_EQ(v.stall(), "device");
  EXPECT_TRUE(v.never_reached.empty());
  EXPECT_EQ(v.never_completed, (std::vector<int>{0, 1, 2}));
}

TEST(HangVerdict, AStoppedHeartbeatIsALostPeerAndARankThatFinishedIsNotNamed) {
  // Rank 2 completed 41 (a send it finished), rank 3's heartbeat did not move.
  const auto v =
      judge_hang(kStuck, 0, 4, {reading(1, 42, 41, 3, 5), reading(2, 43, 42, 3, 5), reading(3, 42, 41, 8, 8)}, "");
  EXPECT_EQ(v.stall(), "peer");
  EXPECT_EQ(v.heartbeat_stopped, std::vector<int>{3});
  EXPECT_EQ(v.never_completed, (std::vector<int>{0, 1, 3}));
  EXPECT_NE(verdict_line(v).find("heartbeat of rank 3 stopped"), std::string::npos) << verdict_line(v);
}

TEST(HangVerdict, AStoreThatDidNotAnswerLeavesThePeersUnreadAndSaysSo) {
  PeerReading lost{0, false, {}, {}};
  const auto v = judge_hang(kStuck, 1, 2, {lost}, "the rendezvous store at 127.0.0.1:5 stopped answering");
  EXPECT_EQ(v.stall(), "unknown");
  EXPECT_EQ(v.unread, std::vector<int>{0});
  const std::string line = verdict_line(v);
  EXPECT_NE(line.find("stopped answering"), std::string::npos) << line;
  EXPECT_NE(line.find("rank 0 hosts the store"), std::string::npos) << line;
}

}  // namespace
}  // namespace cairn::ft
