// The bench harness end to end on the UCX backend, as three real rank processes: every
// collective x dtype x op over odd and power-of-two sizes, in place and out of place,
// checks with zero wrong elements; times combined across ranks agree on every rank; a
// rooted collective with a root other than 0; blocking mode.
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "collectives/measure/harness/harness.h"
#include "collectives/measure/harness/options.h"
#include "collectives/measure/harness/report.h"
#include "collectives/backends/ucx/ucx_communicator.h"
#include "tests/support/rank_harness.h"

namespace cairn::coll::bench {
namespace {

using testing::RankEnv;

// One rank's communicator and host buffers.
struct UcxRank {
  explicit UcxRank(RankEnv& env)
      : comm(make_ucx_communicator(env.store(), env.rank(), env.size())), memory(make_host_memory()) {}
  std::unique_ptr<Communicator> comm;
  std::unique_ptr<Memory> memory;
};

// Every row's checked columns must have run and found nothing wrong.
void expect_clean(RankEnv& env, const CollectiveReport& report, std::size_t rows) {
  const std::string name(report.test->name);
  env.expect(report.rows.size() == rows, fmt::format("{}: {} rows, expected {}", name, report.rows.size(), rows));
  env.expect(report.out_of_bounds == 0, fmt::format("{}: {} measurements out of bounds", name, report.out_of_bounds));
  for (const Row& row : report.rows) {
    const std::string where = fmt::format("{} {} B {} {}", name, row.size_bytes, nccl_tests_name(row.dtype),
                                          row.op ? nccl_tests_name(*row.op) : "none");
    env.expect(row.out_of_place.wrong == 0, where + ": out-of-place not checked or wrong");
    if (report.test->in_place_checked)
      env.expect(row.in_place.wrong == 0, where + ": in-place not checked or wrong");
    else
      env.expect(!row.in_place.wrong.has_value(), where + ": in-place sendrecv must be N/A as in nccl-tests");
    env.expect(row.out_of_place.time_us > 0 && row.in_place.time_us > 0, where + ": no time measured");
  }
}

TEST(BenchUcx, EveryCollectiveDtypeAndOpChecksCleanOnThreeRanks) {
  const auto outcomes = testing::run_ranks(3, [](RankEnv& env) {
    UcxRank me(env);
    SweepOptions o;
    o.min_bytes = 8;
    o.max_bytes = 40000;  // 8, 64, 512, 4096, 32768: the per-rank counts get rounded
    o.step_factor = 8;
    o.iters = 2;
    o.warmup_iters = 1;
    o.dtypes = parse_dtypes("all");
    o.ops = parse_ops("all");
    o.root = 1;
    std::ostringstream table;
    TableSink sink(table);
    for (const CollTest* test : all_collectives()) {
      const CollectiveReport report = run_collective(*me.comm, *me.memory, *test, o, env.rank() == 0 ? &sink : nullptr);
      expect_clean(env, report, 5 * 7 * (test->reduces ? 5 : 1));
    }
    if (env.rank() == 0)
      env.expect(table.str().find("# Collective test concluded: sendrecv_perf") != std::string::npos,
                 "rank 0's table is incomplete");
  });
  testing::expect_all_ok(outcomes);
}

TEST(BenchUcx, OddSizesBySteppingBytes) {
  const auto outcomes = testing::run_ranks(3, [](RankEnv& env) {
    UcxRank me(env);
    SweepOptions o;
    o.min_bytes = 4;
    o.max_bytes = 1003;
    o.step_bytes = 333;  // 4, 337, 670, 1003: none a multiple of 16
    o.iters = 1;
    o.warmup_iters = 0;
    o.dtypes = {DataType::f64, DataType::u8, DataType::f16};
    for (const CollTest* test : all_collectives())
      expect_clean(env, run_collective(*me.comm, *me.memory, *test, o, nullptr), 4 * 3);
  });
  testing::expect_all_ok(outcomes);
}

TEST(BenchUcx, CombinedTimesAgreeAcrossRanksAndBlockingModeRuns) {
  const auto outcomes = testing::run_ranks(3, [](RankEnv& env) {
    UcxRank me(env);
    SweepOptions o;
    o.min_bytes = o.max_bytes = 4096;
    o.iters = 3;
    for (int average : {1, 2, 3}) {
      o.average = average;
      o.blocking = average == 3;
      const CollectiveReport r = run_collective(*me.comm, *me.memory, all_reduce_test, o, nullptr);
      expect_clean(env, r, 1);
      env.note(fmt::format("a{} {:.17g} {:.17g}", average, r.rows[0].out_of_place.time_us, r.rows[0].in_place.time_us));
    }
  });
  testing::expect_all_ok(outcomes);
  // -a 1, 2, 3 reduce the time over ranks: every rank holds the same number.
  for (const char* a : {"a1 ", "a2 ", "a3 "}) {
    const auto first = testing::notes_with(outcomes[0], a);
    ASSERT_EQ(first.size(), 1u) << a;
    for (const auto& o : outcomes) EXPECT_EQ(testing::notes_with(o, a), first) << a << " rank " << o.rank;
  }
}

}  // namespace
}  // namespace cairn::coll::bench
