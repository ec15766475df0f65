// The table cairn bench prints must line up with nccl-tests' (src/util.cu) so users can
// diff it against all_reduce_perf: the column widths below are nccl-tests' printf formats
// ("%12li  %12li  %8s  %6s  %6s", then "  %7s  %6s  %6s  %6g" per column), spelled out.
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "collectives/measure/harness/report.h"
#include "common/json_io.h"

namespace cairn::coll::bench {
namespace {

std::string right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

Row sample_row() {
  Row row;
  row.size_bytes = 1048576;
  row.count = 262144;
  row.dtype = DataType::f32;
  row.op = ReduceOp::sum;
  row.root = -1;
  row.out_of_place = {52.31, 20.0, 35.0, 0};
  row.in_place = {12345678.0, 0.001234, 99999.9, 3};
  return row;
}

TEST(BenchTable, NumbersFitTheirColumnsAsGetFloatStrWritesThem) {
  EXPECT_EQ(format_float(52.31, 7), "  52.31");
  EXPECT_EQ(format_float(12345.678, 7), "12345.7");     // %.2f is too wide, %.1f fits
  EXPECT_EQ(format_float(123456.7, 7), " 123457");      // then %.0f
  EXPECT_EQ(format_float(12345678.0, 7), "1.2e+07");    // then %.1e
  EXPECT_EQ(format_float(99999.9, 6), "100000");
  EXPECT_EQ(format_float(0.001234, 6), "  0.00");
  EXPECT_EQ(format_float(1234567.0, 6), " 1e+06");      // %.0e below width 7
}

TEST(BenchTable, DataLineHasNcclTestsColumns) {
  const std::string expected = right("1048576", 12) + "  " + right("262144", 12) + "  " + right("float", 8) + "  " +
                               right("sum", 6) + "  " + right("-1", 6) +
                               // out-of-place: time, algbw, busbw, #wrong
                               "  " + right("52.31", 7) + "  " + right("20.00", 6) + "  " + right("35.00", 6) + "  " +
                               right("0", 6) +
                               // in-place
                               "  " + "1.2e+07" + "  " + right("0.00", 6) + "  " + "100000" + "  " + right("3", 6) +
                               "\n";
  EXPECT_EQ(format_row(sample_row()), expected);
  EXPECT_EQ(expected.size(), 52u + 33u + 33u + 1u);  // nccl-tests' 118 columns
}

TEST(BenchTable, UncheckedColumnsSayNA_AndCollectivesWithoutOpOrRootSayNoneAndMinusOne) {
  Row row = sample_row();
  row.dtype = DataType::bf16;
  row.op.reset();
  row.root = 0;
  row.out_of_place.wrong.reset();
  const std::string line = format_row(row);
  EXPECT_EQ(line.substr(0, 52), right("1048576", 12) + "  " + right("262144", 12) + "  " + right("bfloat16", 8) +
                                    "  " + right("none", 6) + "  " + right("0", 6));
  // nccl-tests' N/A body is one column narrower than a number's ("    N/A" vs "  %6g").
  EXPECT_EQ(line.substr(52, 32), "  " + right("52.31", 7) + "  " + right("20.00", 6) + "  " + right("35.00", 6) +
                                     "    N/A");
}

TEST(BenchTable, HeaderMatchesNcclTests) {
  const std::string blank = "# " + right("", 10) + "  " + right("", 12) + "  " + right("", 8) + "  " + right("", 6) +
                            "  " + right("", 6);
  const std::string names = "# " + right("size", 10) + "  " + right("count", 12) + "  " + right("type", 8) + "  " +
                            right("redop", 6) + "  " + right("root", 6) + "  " + right("time", 7) + "  " +
                            right("algbw", 6) + "  " + right("busbw", 6) + "  " + "#wrong" + "  " + right("time", 7) +
                            "  " + right("algbw", 6) + "  " + right("busbw", 6) + "  " + "#wrong" + " \n";
  const std::string units = "# " + right("(B)", 10) + "  " + right("(elements)", 12) + "  " + right("", 8) + "  " +
                            right("", 6) + "  " + right("", 6) + "  " + right("(us)", 7) + "  " + right("(GB/s)", 6) +
                            "  " + right("(GB/s)", 6) + "  " + right("", 6) + "  " + right("(us)", 7) + "  " +
                            right("(GB/s)", 6) + "  " + right("(GB/s)", 6) + "  " + right("", 6) + " \n";
  EXPECT_EQ(header_lines(),
            "#\n" + blank + "           out-of-place                       in-place          \n" + names + units);
}

TEST(BenchTable, FooterCountsWrongMeasurementsAndAveragesBusBandwidth) {
  CollectiveReport report;
  report.test = &all_reduce_test;
  report.out_of_bounds = 0;
  report.avg_busbw_gb_s = 12.5;
  EXPECT_EQ(footer_lines(report), "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 12.5 \n#\n");
  report.out_of_bounds = 2;
  EXPECT_EQ(footer_lines(report).substr(0, 38), "# Out of bounds values : 2 FAILED\n# Av");
}

TEST(BenchTable, TableSinkFramesEachCollective) {
  std::ostringstream os;
  TableSink sink(os);
  CollectiveReport report;
  report.test = &broadcast_test;
  report.rows.push_back(sample_row());
  sink.begin(broadcast_test);
  sink.row(report.rows[0]);
  sink.end(report);
  const std::string out = os.str();
  EXPECT_EQ(out.rfind("# Collective test starting: broadcast_perf\n#\n", 0), 0u) << out;
  EXPECT_NE(out.find(format_row(sample_row())), std::string::npos);
  EXPECT_NE(out.find("# Collective test concluded: broadcast_perf\n"), std::string::npos);
}

TEST(BenchTable, PreambleNamesTheSweepAndEveryRank) {
  RunInfo info;
  info.tool_line = "cairn bench 0.1.0 backend ucx";
  info.options.min_bytes = 8;
  info.options.max_bytes = 1 << 20;
  info.options.step_factor = 4;
  info.devices = {"#  Rank  0 ...", "#  Rank  1 ..."};
  EXPECT_EQ(preamble(info),
            "# cairn bench 0.1.0 backend ucx\n"
            "# nThread 1 nGpus 1 minBytes 8 maxBytes 1048576 step: 4(factor) warmup iters: 1 iters: 20 agg iters: 1 "
            "validation: 1 graph: 0\n"
            "#\n# Using devices\n#  Rank  0 ...\n#  Rank  1 ...\n");
}

TEST(BenchJson, CarriesSchemaConfigAndEveryRow) {
  RunInfo info;
  info.backend = "ucx";
  info.nranks = 3;
  CollectiveReport report;
  report.test = &all_reduce_test;
  Row unchecked = sample_row();
  unchecked.in_place.wrong.reset();
  report.rows = {sample_row(), unchecked};
  report.avg_busbw_gb_s = 1.5;
  const Json doc = to_json(info, {report});
  require_schema(doc, "cairn.bench", 2, "test");
  EXPECT_EQ(doc["nranks"], 3);
  EXPECT_EQ(doc["config"]["step_bytes"], 1 << 20);  // -f 1: the step is in bytes
  const Json& rows = doc["collectives"][0]["results"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["type"], "float");
  EXPECT_EQ(rows[0]["redop"], "sum");
  EXPECT_EQ(rows[0]["in_place"]["wrong"], 3);
  EXPECT_DOUBLE_EQ(rows[0]["out_of_place"]["busbw_gb_s"].get<double>(), 35.0);
  EXPECT_TRUE(rows[1]["in_place"]["wrong"].is_null());
  EXPECT_EQ(doc["collectives"][0]["name"], "all_reduce");
}

}  // namespace
}  // namespace cairn::coll::bench
