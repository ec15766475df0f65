// cairn bench's flag values (nccl-tests' spellings and size suffixes) and its test data:
// deterministic inputs, exact expected results, dtype rounding and wrap-around, and a
// check that catches a wrong element without flagging rounding the dtype allows.
#include <cmath>
#include <cstring>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/measure/harness/data.h"
#include "collectives/measure/harness/options.h"
#include "common/error.h"
#include "tests/support/error_of.h"

namespace cairn::coll::bench {
namespace {

using ::cairn::test::error_of;

TEST(BenchOptions, SizesTakeBinarySuffixes) {
  EXPECT_EQ(parse_size("8", "-b"), 8u);
  EXPECT_EQ(parse_size("1K", "-b"), 1024u);
  EXPECT_EQ(parse_size("256M", "-e"), 256u << 20);
  EXPECT_EQ(parse_size("1G", "-e"), 1u << 30);
  EXPECT_EQ(parse_size("1.5k", "-e"), 1536u);
  EXPECT_EQ(parse_size("0", "-b"), 0u);
  for (const char* bad : {"", "M", "12X", "1MB", "-5", "nan", "1e30"})
    EXPECT_NE(error_of([&] { parse_size(bad, "-e"); }).find("-e '"), std::string::npos) << bad;
}

TEST(BenchOptions, DtypesAndOpsInBothSpellingsAndAll) {
  EXPECT_EQ(parse_dtypes("float"), std::vector<DataType>{DataType::f32});
  EXPECT_EQ(parse_dtypes("bf16"), std::vector<DataType>{DataType::bf16});
  const auto all = parse_dtypes("all");
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(std::set<DataType>(all.begin(), all.end()).size(), 7u);
  EXPECT_EQ(parse_ops("avg"), std::vector<ReduceOp>{ReduceOp::avg});
  EXPECT_EQ(parse_ops("all").size(), 5u);
  EXPECT_NE(error_of([] { parse_ops("mulsum"); }).find("mulsum"), std::string::npos);
  EXPECT_THROW(parse_dtypes("float8"), Error);
}

TEST(BenchOptions, CollectiveListsAndAHintForNcclTestsOpSpelling) {
  EXPECT_EQ(parse_collectives("all").size(), 7u);
  const auto two = parse_collectives("broadcast,alltoall");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], &broadcast_test);
  EXPECT_EQ(two[1], &alltoall_test);
  EXPECT_NE(error_of([] { parse_collectives("sum"); }).find("-o/--redop"), std::string::npos);
  EXPECT_NE(error_of([] { parse_collectives("all_reduce,bogus"); }).find("'bogus'"), std::string::npos);
}

TEST(BenchOptions, OneRankSkipsWhatNeedsTwoOnlyWhenAllIsAsked) {
  const CollectiveSelection alone = select_for_ranks(parse_collectives("all"), 1, true);
  EXPECT_EQ(alone.run.size(), 6u);
  ASSERT_EQ(alone.skipped.size(), 1u);
  EXPECT_EQ(alone.skipped[0].test, &sendrecv_test);
  EXPECT_EQ(alone.skipped[0].reason, "needs at least 2 ranks, this run has 1");
  EXPECT_TRUE(select_for_ranks(parse_collectives("all"), 2, true).skipped.empty());
  EXPECT_EQ(select_for_ranks(parse_collectives("all"), 2, true).run.size(), 7u);
  EXPECT_EQ(error_of([] { select_for_ranks(parse_collectives("broadcast,sendrecv"), 1, false); }),
            "--op sendrecv needs at least 2 ranks and this run has 1: start them with 'cairn launch -n 2 -- "
            "cairn bench --op sendrecv ...'");
  EXPECT_EQ(select_for_ranks(parse_collectives("sendrecv"), 2, false).run.size(), 1u);
}

TEST(BenchData, InputsAreDeterministicSmallIntegersThatDifferByRank) {
  DataSpec spec;
  spec.nranks = 4;
  spec.seed = 7;
  std::set<double> values;
  int differ = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const double v = input_value(spec, 2, i);
    EXPECT_EQ(v, input_value(spec, 2, i));
    EXPECT_EQ(v, std::round(v));
    EXPECT_LE(std::fabs(v), 4);
    values.insert(v);
    differ += v != input_value(spec, 3, i);
  }
  EXPECT_EQ(values.size(), 9u);  // -4..4 all occur
  EXPECT_GT(differ, 700);
  spec.op = ReduceOp::prod;
  for (std::size_t i = 0; i < 100; ++i) EXPECT_TRUE(input_value(spec, 1, i) == 1 || input_value(spec, 1, i) == 2);
  spec.op = ReduceOp::sum;
  spec.dtype = DataType::u8;
  for (std::size_t i = 0; i < 100; ++i) EXPECT_GE(input_value(spec, 1, i), 0);
}

TEST(BenchData, ReductionsOverRanksByHand) {
  DataSpec spec;
  spec.nranks = 3;
  spec.seed = 1;
  const double a = input_value(spec, 0, 5), b = input_value(spec, 1, 5), c = input_value(spec, 2, 5);
  EXPECT_EQ(reduce_over_ranks(spec, 5), a + b + c);
  spec.op = ReduceOp::max;
  EXPECT_EQ(reduce_over_ranks(spec, 5), std::max({a, b, c}));
  spec.op = ReduceOp::min;
  EXPECT_EQ(reduce_over_ranks(spec, 5), std::min({a, b, c}));
  spec.op = ReduceOp::avg;
  EXPECT_DOUBLE_EQ(reduce_over_ranks(spec, 5), (a + b + c) / 3);
  spec.op = ReduceOp::prod;
  EXPECT_EQ(reduce_over_ranks(spec, 5),
            input_value(spec, 0, 5) * input_value(spec, 1, 5) * input_value(spec, 2, 5));
}

TEST(BenchData, StoreAndLoadEveryDtypeWithWrapAndRounding) {
  unsigned char buf[16];
  for (DataType dt : {DataType::f32, DataType::f64, DataType::f16, DataType::bf16, DataType::i32, DataType::i64,
                      DataType::u8}) {
    store_value(dt, buf, 1, -3.0 + (dt == DataType::u8 ? 9 : 0));
    EXPECT_EQ(load_value(dt, buf, 1), dt == DataType::u8 ? 6.0 : -3.0);
  }
  store_value(DataType::u8, buf, 0, 300);  // a u8 sum wraps modulo 256
  EXPECT_EQ(load_value(DataType::u8, buf, 0), 44);
  store_value(DataType::i32, buf, 0, std::ldexp(1.0, 40));  // 2^40 wraps to 0 in 32 bits
  EXPECT_EQ(load_value(DataType::i32, buf, 0), 0);
  store_value(DataType::i64, buf, 0, -std::ldexp(1.0, 62));
  EXPECT_EQ(load_value(DataType::i64, buf, 0), -std::ldexp(1.0, 62));
  store_value(DataType::bf16, buf, 0, 257);  // 9 significant bits: ties to even -> 256
  EXPECT_EQ(load_value(DataType::bf16, buf, 0), 256);
  store_value(DataType::f16, buf, 0, 2049);  // 12 bits: -> 2048
  EXPECT_EQ(load_value(DataType::f16, buf, 0), 2048);
  store_value(DataType::f16, buf, 0, 70000);  // beyond f16: inf
  EXPECT_TRUE(std::isinf(load_value(DataType::f16, buf, 0)));
}

TEST(BenchData, TolerancesFollowTheDtypesMantissa) {
  EXPECT_EQ(check_tolerance(DataType::f32, ReduceOp::sum, 8), 0.0);    // 64 << 2^24: exact
  EXPECT_EQ(check_tolerance(DataType::bf16, ReduceOp::sum, 32), 0.0);  // 256 = 2^8: still exact
  EXPECT_GT(check_tolerance(DataType::bf16, ReduceOp::sum, 33), 0.0);
  EXPECT_EQ(check_tolerance(DataType::i32, ReduceOp::sum, 1000), 0.0);
  EXPECT_EQ(check_tolerance(DataType::i64, ReduceOp::avg, 3), 1.0);
  EXPECT_EQ(check_tolerance(DataType::f16, ReduceOp::max, 3), 0.0);
  EXPECT_GT(check_tolerance(DataType::f32, ReduceOp::avg, 3), 0.0);
  EXPECT_LT(check_tolerance(DataType::bf16, ReduceOp::avg, 8), 0.5);  // finer than a lost rank's share
}

TEST(BenchData, CountWrongCatchesOneBadElementAndAcceptsExactResults) {
  DataSpec spec;
  spec.nranks = 3;
  spec.dtype = DataType::bf16;
  const std::size_t n = 1000;
  std::vector<std::uint16_t> out(n);
  for (std::size_t i = 0; i < n; ++i) store_value(spec.dtype, out.data(), i, reduce_over_ranks(spec, i));
  auto expected = [&](std::size_t i) { return reduce_over_ranks(spec, i); };
  const double tol = check_tolerance(spec.dtype, spec.op, spec.nranks);
  EXPECT_EQ(count_wrong(spec, tol, out.data(), n, expected), 0);
  store_value(spec.dtype, out.data(), 517, reduce_over_ranks(spec, 517) + 1);
  store_value(spec.dtype, out.data(), 3, std::nan(""));
  EXPECT_EQ(count_wrong(spec, tol, out.data(), n, expected), 2);
}

}  // namespace
}  // namespace cairn::coll::bench
