// The report from inputs: each schema lands in its own section, in a fixed order, with
// what its summary and tables must say; bad fields are refused naming the file and field.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "reports/html/document.h"
#include "reports/inputs/input.h"
#include "reports/sections/report.h"
#include "tests/support/error_of.h"
#include "topology/cluster.h"
#include "tuner/model/predict.h"

namespace cairn::reports {
namespace {

using test::error_of;

const char* kBench = R"({"schema":"cairn.bench","schema_version":2,"backend":"ucx","nranks":2,"collectives":[
  {"name":"all_reduce","avg_busbw_gb_s":1.2,"results":[
    {"size":1024,"out_of_place":{"busbw_gb_s":0.5,"wrong":0},"in_place":{"busbw_gb_s":0.4,"wrong":0}},
    {"size":1048576,"out_of_place":{"busbw_gb_s":1.9,"wrong":0},"in_place":{"busbw_gb_s":1.8,"wrong":0}}]}]})";

const char* kPairs = R"({"schema":"cairn.pairs","schema_version":2,
  "participants":[{"rank":0,"host":"a"},{"rank":1,"host":"b"},{"rank":2,"host":"c"}],
  "bandwidth_gb_s":[[null,0.2,0.8],[0.2,null,0.8],[0.8,0.8,null]],
  "latency_us":[[null,90,50],[90,null,50],[50,50,null]],
  "pairs":[{"i":0,"j":1,"bandwidth_gb_s":0.2,"latency_us":90,"flagged":true,"limit_gb_s":0.4,"reason":"below half the median"},
           {"i":0,"j":2,"bandwidth_gb_s":0.8,"latency_us":50,"flagged":false},
           {"i":1,"j":2,"bandwidth_gb_s":0.8,"latency_us":50,"flagged":false}],
  "median_bandwidth_gb_s":0.8,"median_latency_us":50,"healthy":false})";

Input acceptance() { return read_input(CAIRN_SOURCE_DIR "/tests/fixtures/reports/acceptance.json"); }

std::vector<std::string> titles(const Document& d) {
  std::vector<std::string> out;
  for (const Section& s : d.sections) out.push_back(s.title);
  return out;
}

TEST(Report, EachSchemaHasItsSectionInOrder) {
  const std::vector<Input> inputs = {input_from_text(kPairs, "pairs.json"), input_from_text(kBench, "bench.json"),
                                     input_from_text("1 5 1 0.1\n2 4 2 0.1\n", "loss.tsv"),
                                     input_from_text(R"({"schema":"cairn.sdc.event","schema_version":1,"step":2,"check":"reduction","action":"repaired","verified":true})",
                                                     "sdc.jsonl"),
                                     acceptance()};
  const Document d = build_report(inputs, {});
  EXPECT_EQ(titles(d), (std::vector<std::string>{"Acceptance verdict (cairn acceptance)",
                                                  "Collective bandwidth (cairn bench)", "All pairs (cairn pairs)",
                                                  "Training (cairn train --loss-log)",
                                                  "Fault-tolerance events (SDC, watchdog, restarts)"}));
  EXPECT_EQ(d.inputs.size(), 5u);
}

TEST(Report, AcceptanceVerdictsAndThresholdsReachThePage) {
  const Document d = build_report({acceptance(), input_from_text(kBench, "bench.json")}, {});
  const std::string html = render_html(d), md = render_markdown(d);
  EXPECT_NE(html.find("<li class=\"bad\"><b>verdict</b> rejected (host0, host1, host2, host3): 1 of 4 node(s) failed, "
                      "1 of 2 link(s) failed, 1 of 4 check(s) failed"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"bad\">fail</td>"), std::string::npos);
  EXPECT_NE(html.find("7.9 [7.6, 8.1] GB/s"), std::string::npos);
  EXPECT_NE(html.find("&gt;= 12 GB/s (fleet)"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"warning\">skipped</td>"), std::string::npos);
  // The acceptance file's bench.all_reduce threshold is the expected line of that chart.
  EXPECT_NE(html.find("expected 1.5 GB/s"), std::string::npos);
  EXPECT_NE(md.find("| host2 | 2 | **fail** |"), std::string::npos) << md;
  EXPECT_NE(md.find("FAIL rejected"), std::string::npos);
}

TEST(Report, AcceptanceToleratesMissingOptionalFields) {
  const Input in = input_from_text(R"({"schema":"cairn.acceptance","schema_version":1,"verdict":"could_not_run",
      "checks":[{"name":"gemm"}]})", "a.json");
  const std::string html = render_html(build_report({in}, {}));
  EXPECT_NE(html.find("could_not_run: 0 of 0 node(s) failed"), std::string::npos);
  EXPECT_NE(html.find("<td>gemm</td>"), std::string::npos);
}

TEST(Report, SlowPairsAreMarkedAndExpectedRatesDrawn) {
  ReportOptions o;
  o.expect_busbw_gb_s = 3;
  const Document d = build_report({input_from_text(kPairs, "pairs.json"), input_from_text(kBench, "bench.json")}, o);
  const std::string html = render_html(d);
  EXPECT_NE(html.find("1 slow pair(s): rank 0 (a) &lt;-&gt; rank 1 (b)"), std::string::npos);
  EXPECT_NE(html.find("0.2 !</text>"), std::string::npos);
  EXPECT_NE(html.find("expected 3 GB/s"), std::string::npos);
  EXPECT_NE(html.find("below the expected 3 GB/s"), std::string::npos);
}

TEST(Report, SeveralBenchFilesOfOneCollectiveAreSeriesOfOneChart) {
  const Document d = build_report({input_from_text(kBench, "ours.json"), input_from_text(kBench, "peer.json")}, {});
  ASSERT_EQ(d.sections.size(), 1u);
  ASSERT_EQ(d.sections[0].charts.size(), 1u);
  EXPECT_NE(d.sections[0].charts[0].find("ours (ucx, 2 ranks)"), std::string::npos);
  EXPECT_NE(d.sections[0].charts[0].find("peer (ucx, 2 ranks)"), std::string::npos);
}

TEST(Report, FieldsOfTheWrongTypeNameTheFileAndField) {
  const std::string e = error_of([] {
    build_report({input_from_text(R"({"schema":"cairn.bench","schema_version":2,"collectives":[{"name":"x","results":[{"size":"8"}]}]})",
                                  "b.json")},
                 {});
  });
  EXPECT_NE(e.find("b.json collectives[0] results[0]: field \"size\" is not a number"), std::string::npos) << e;
  EXPECT_NE(error_of([] { build_report({input_from_text(R"({"schema":"cairn.acceptance","schema_version":1})", "a.json")}, {}); })
                .find("a.json: no field \"verdict\""),
            std::string::npos);
  EXPECT_NE(error_of([] {
              build_report({input_from_text(R"({"schema":"cairn.pairs","schema_version":2,"participants":[{"rank":0}],"pairs":[{"i":0,"j":5,"flagged":true}]})",
                                            "p.json")},
                           {});
            }).find("p.json pairs[0]: pair (0, 5) names a rank beyond the 1 participants"),
            std::string::npos);
}

TEST(Report, HugeNumbersRenderWithoutInfinities) {
  const Input in = input_from_text(R"({"schema":"cairn.bench","schema_version":2,"collectives":[{"name":"x","results":[
      {"size":1e308,"out_of_place":{"busbw_gb_s":1.7e308}},{"size":1,"out_of_place":{"busbw_gb_s":-1e308}}]}]})",
                                   "b.json");
  const std::string html = render_html(build_report({in}, {}));
  EXPECT_FALSE(std::regex_search(html, std::regex("(^|[^a-z])(nan|inf)([^a-z]|$)", std::regex::icase)));
}

TEST(Report, ThePredictionItsWriterMakesIsDrawnPerCollective) {
  const topology::ClusterSpec cluster = topology::cluster_preset("gh200-alps", 8);
  const auto rows = tuner::predict_cluster(cluster, {"all_reduce", "all_gather"}, {1024, 1 << 20, 1 << 30});
  const Input in = input_from_text(tuner::prediction_to_json(cluster, rows).dump(), "prediction.json");
  const Document d = build_report({in}, {});
  ASSERT_EQ(d.sections.size(), 1u);
  ASSERT_EQ(d.sections[0].charts.size(), 1u);
  const std::string& chart = d.sections[0].charts[0];
  EXPECT_NE(chart.find("<title>all_reduce</title>"), std::string::npos);
  EXPECT_NE(chart.find("<title>all_gather</title>"), std::string::npos);
  EXPECT_EQ(d.sections[0].tables[0].rows.size(), 6u);
  EXPECT_NE(d.sections[0].findings[0].text.find("6 row(s) for 2 collective(s) on gh200-alps"), std::string::npos);
}

}  // namespace
}  // namespace cairn::reports
