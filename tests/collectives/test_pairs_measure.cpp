// The pairs measurement over the UCX backend with real rank processes: every pair gets a
// finite, positive bandwidth and latency, every rank ends with the same matrix, odd rank
// counts work through their byes, and --per-node keeps one rank per host.
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "collectives/measure/pairs/measure.h"
#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "tests/support/rank_harness.h"

namespace cairn::coll::pairs {
namespace {

using testing::RankEnv;

MeasureOptions small() {
  MeasureOptions o;
  o.bytes = 256 << 10;
  o.iters = 4;
  o.warmup_iters = 1;
  o.latency_iters = 10;
  return o;
}

// One line per pair "i j bandwidth latency", identical on every rank if the gather works.
std::string fingerprint(const PairsMatrix& m) {
  std::ostringstream os;
  os.precision(17);
  for (int i = 0; i < m.size(); ++i)
    for (int j = i + 1; j < m.size(); ++j) os << i << " " << j << " " << m.bandwidth_gb_s(i, j) << " " << m.latency_us(i, j) << ";";
  return os.str();
}

void measure_all_ranks(int ranks) {
  const auto out = testing::run_ranks(ranks, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(std::chrono::milliseconds(30000));
    auto memory = bench::make_host_memory();
    const auto hosts = gather_hosts(*comm, *memory);
    env.expect(static_cast<int>(hosts.size()) == env.size(), "one host name per rank");
    env.expect(hosts[static_cast<std::size_t>(env.rank())] == local_host_name(), "my own host name in my slot");
    const auto participants = choose_participants(hosts, false);
    const PairsMatrix m = measure_pairs(*comm, *memory, participants, small());
    env.expect(m.size() == env.size(), "matrix over every rank");
    for (int i = 0; i < m.size(); ++i)
      for (int j = 0; j < m.size(); ++j) {
        if (i == j) continue;
        const double bw = m.bandwidth_gb_s(i, j), lat = m.latency_us(i, j);
        env.expect(std::isfinite(bw) && bw > 0, "bandwidth of " + std::to_string(i) + "-" + std::to_string(j));
        env.expect(std::isfinite(lat) && lat > 0, "latency of " + std::to_string(i) + "-" + std::to_string(j));
        env.expect(bw == m.bandwidth_gb_s(j, i), "symmetric");
      }
    env.note("fingerprint " + fingerprint(m));
    env.note("median " + std::to_string(analyze(m, {}).median_bandwidth_gb_s));
  });
  testing::expect_all_ok(out);
  const auto first = testing::notes_with(out[0], "fingerprint ");
  ASSERT_EQ(first.size(), 1u);
  for (const auto& o : out) EXPECT_EQ(testing::notes_with(o, "fingerprint "), first) << "rank " << o.rank;
  for (const auto& s : testing::notes_with(out[0], "median "))
    std::cout << "[ rank 0  ] " << ranks << " ranks, median pair " << s << " GB/s\n";
}

TEST(PairsMeasure, FourRanksEveryPairMeasuredAndGathered) { measure_all_ranks(4); }
TEST(PairsMeasure, ThreeRanksWithByes) { measure_all_ranks(3); }

TEST(PairsMeasure, ParticipantsPerNodeAreEachHostsFirstRank) {
  const std::vector<std::string> hosts = {"b", "a", "b", "c", "a"};
  const auto all = choose_participants(hosts, false);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3].rank, 3);
  EXPECT_EQ(all[3].host, "c");
  const auto nodes = choose_participants(hosts, true);
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].rank, 0);
  EXPECT_EQ(nodes[1].rank, 1);
  EXPECT_EQ(nodes[2].rank, 3);
  EXPECT_EQ(nodes[2].host, "c");
}

TEST(PairsMeasure, PerNodeOnOneHostIsAClearError) {
  const auto out = testing::run_ranks(2, [](RankEnv& env) {
    auto comm = make_ucx_communicator(env.store(), env.rank(), env.size());
    comm->set_timeout(std::chrono::milliseconds(30000));
    auto memory = bench::make_host_memory();
    MeasureOptions o = small();
    o.per_node = true;
    const auto participants = choose_participants(gather_hosts(*comm, *memory), true);
    try {
      measure_pairs(*comm, *memory, participants, o);
      env.fail("two ranks on one host made a pair of nodes");
    } catch (const Error& e) {
      env.expect(std::string(e.what()).find("on at least two hosts") != std::string::npos, e.what());
    }
  });
  testing::expect_all_ok(out);
}

TEST(PairsMeasure, RejectsBadOptions) {
  MeasureOptions o;
  o.bytes = 0;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.iters = 0;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.latency_iters = 0;
  EXPECT_THROW(validate(o), Error);
  EXPECT_NO_THROW(validate(MeasureOptions{}));
}

}  // namespace
}  // namespace cairn::coll::pairs
