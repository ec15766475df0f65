// What `cairn report` reads: every schema it knows is told apart by its content, and
// anything else is refused in a message that names the file and what it reads.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "reports/inputs/input.h"
#include "reports/inputs/loss_log_text.h"
#include "tests/support/error_of.h"

namespace cairn::reports {
namespace {

using test::error_of;

TEST(ReportInputs, DocumentsAreKnownByTheirSchema) {
  for (const char* schema : {"cairn.bench", "cairn.pairs", "cairn.topo", "cairn.probe", "cairn.tune.profile",
                             "cairn.tune.prediction", "cairn.acceptance"}) {
    const Input in = input_from_text(std::string(R"({"schema":")") + schema + R"(","schema_version":1})", "d.json");
    EXPECT_EQ(in.schema, schema);
    EXPECT_EQ(in.version, 1);
    EXPECT_TRUE(in.events.empty());
    EXPECT_EQ(in.label, "d");
  }
  EXPECT_EQ(input_from_text(R"({"schema":"cairn.bench","schema_version":2})", "b.json").version, 2);
}

TEST(ReportInputs, EventLinesAndSingleEventsAreEvents) {
  const Input lines = input_from_text("{\"schema\":\"cairn.straggler_alert\",\"schema_version\":1,\"step\":3}\n\n"
                                      "{\"schema\":\"cairn.straggler_alert\",\"schema_version\":1,\"step\":9}\n",
                                      "alerts.jsonl");
  EXPECT_EQ(lines.schema, "cairn.straggler_alert");
  ASSERT_EQ(lines.events.size(), 2u);
  EXPECT_EQ(lines.events[1]["step"], 9);
  const Input one = input_from_text(R"({"schema":"cairn.watchdog_verdict","schema_version":1,"rank":0})", "w.json");
  EXPECT_EQ(one.schema, "cairn.watchdog_verdict");
  EXPECT_EQ(one.events.size(), 1u);
}

TEST(ReportInputs, LossLogsAreKnownByTheirContent) {
  const Input in = input_from_text("1 5.5 1.7 0.00015\n2 5.4 1.6 0.0003\n3 nan inf 0.0004\n", "run/loss.tsv");
  EXPECT_EQ(in.schema, kLossLogKind);
  ASSERT_EQ(in.loss.size(), 3u);
  EXPECT_EQ(in.loss[1].step, 2);
  EXPECT_DOUBLE_EQ(in.loss[0].grad_norm, 1.7);
  EXPECT_TRUE(std::isnan(in.loss[2].loss));
  EXPECT_EQ(in.label, "loss");
}

TEST(ReportInputs, UnknownOrMissingSchemasNameTheFileAndWhatIsRead) {
  const std::string unknown = error_of([] { input_from_text(R"({"schema":"cairn.nope","schema_version":1})", "x.json"); });
  EXPECT_NE(unknown.find("x.json: schema \"cairn.nope\" is not one cairn report reads"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("cairn.bench v1-2"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("--loss-log"), std::string::npos) << unknown;
  EXPECT_NE(error_of([] { input_from_text(R"({"a":1})", "y.json"); }).find("y.json: no \"schema\" field"),
            std::string::npos);
  EXPECT_NE(error_of([] { input_from_text(R"([1,2])", "z.json"); }).find("z.json: no \"schema\""), std::string::npos);
  EXPECT_NE(error_of([] { input_from_text(R"({"schema":"cairn.pairs","schema_version":9})", "p.json"); })
                .find("p.json: cairn.pairs schema_version 9 is not one this cairn reads"),
            std::string::npos);
  EXPECT_NE(error_of([] { input_from_text(R"({"schema":7,"schema_version":1})", "n.json"); }).find("n.json: schema"),
            std::string::npos);
}

TEST(ReportInputs, BrokenTextIsRefusedWithItsLine) {
  EXPECT_NE(error_of([] { input_from_text("{\"schema\": ", "g.json"); }).find("g.json line 1: not JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { input_from_text("hello world\n", "t.txt"); }).find("t.txt: neither JSON nor a loss log"),
            std::string::npos);
  EXPECT_NE(error_of([] { input_from_text("  \n\t", "w.txt"); }).find("w.txt: empty or only white space"),
            std::string::npos);
  const std::string mixed = error_of([] {
    input_from_text("{\"schema\":\"cairn.sdc.event\",\"schema_version\":1}\n"
                    "{\"schema\":\"cairn.straggler_alert\",\"schema_version\":1}\n",
                    "m.jsonl");
  });
  EXPECT_NE(mixed.find("m.jsonl line 2: a cairn.straggler_alert line among cairn.sdc.event lines"), std::string::npos)
      << mixed;
  EXPECT_NE(error_of([] { input_from_text("{\"schema\":\"cairn.bench\",\"schema_version\":1}\n{}\n", "b.jsonl"); })
                .find("b.jsonl line 1: a cairn.bench document is a file of its own"),
            std::string::npos);
}

TEST(LossLogText, MalformedLinesAreNamed) {
  EXPECT_NE(error_of([] { parse_loss_log("1 2 3 4\n2 2 3\n", "l"); }).find("l line 2: 3 field(s), not 4"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_loss_log("0 2 3 4\n", "l"); }).find("l line 1: the step is not a whole number"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_loss_log("1 2 x 4\n", "l"); }).find("l line 1: field 3 is not a number"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_loss_log("99999999999999999999 2 3 4\n", "l"); }).find("the step"), std::string::npos);
  EXPECT_NE(error_of([] { parse_loss_log("\n\n", "l"); }).find("l: no steps"), std::string::npos);
  EXPECT_TRUE(looks_like_loss_log("\n 12 1 2 3\n"));
  EXPECT_FALSE(looks_like_loss_log("1.5 1 2 3"));
  EXPECT_FALSE(looks_like_loss_log("STEP LOSS GRAD_NORM LR"));
}

}  // namespace
}  // namespace cairn::reports
