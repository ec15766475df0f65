// train/plan/plan_report: the cairn.plan v1 document and the table carry what the search found.
#include "train/plan/plan_report.h"

#include <gtest/gtest.h>

namespace cairn::train::plan {
namespace {

TEST(PlanReport, JsonAndTableOfASearch) {
  PlanRequest q;
  q.model = preset("apertus-8b");
  q.cluster = topology::cluster_preset("gh200-alps", 2);
  q.space.gpus = 8, q.space.global_batch = 64, q.space.seq_len = 4096;
  q.space.rate = {ComputeRate::Kind::tokens_per_gpu_s, 3000};
  q.top = 3;
  const SearchResult r = search_layouts(q.model, q.cluster, q.space);
  ASSERT_GE(r.fitting.size(), 3u);
  const Json doc = plan_to_json(q, r);
  EXPECT_EQ(doc["schema"], "cairn.plan");
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["rate"]["kind"], "tokens_per_gpu_s");
  ASSERT_EQ(doc["layouts"].size(), 3u);
  EXPECT_DOUBLE_EQ(doc["layouts"][0]["time"]["step_s"].get<double>(), r.fitting[0].time.step_s);
  EXPECT_EQ(doc["layouts"][0]["memory"]["total_bytes"].get<std::int64_t>(), r.fitting[0].memory.total());
  EXPECT_EQ(doc["fitting"].get<std::size_t>(), r.fitting.size());
  const std::string table = format_plan(q, r);
  EXPECT_NE(table.find("(--tokens-per-gpu-s, an input, not measured here)"), std::string::npos);
  EXPECT_NE(table.find("## best"), std::string::npos);
  EXPECT_NE(table.find("3000.0 tokens/s"), std::string::npos);  // the input, stated
}

}  // namespace
}  // namespace cairn::train::plan
