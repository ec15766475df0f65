// Hostile inputs of `cairn report`: files that are missing, a directory, empty, garbage,
// JSON of an unknown or missing schema, numbers no field can hold, strings where numbers
// go, and outputs that are one of the inputs or cannot be written. Each is refused in one
// line naming the file (hostile.h), exit 2; nothing is written.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLossLog = "1 5.5 1.7 0.00015\n2 5.4 1.6 0.0003\n";

// `cairn report IN -o out.html`, refused naming `names`, with no report left behind.
void expect_refused(const Sandbox& box, const std::string& in, std::initializer_list<std::string> names) {
  const Outcome o = run(box, {.args = {"report", in, "-o", box.path("out.html")}});
  EXPECT_TRUE(refused(o, 2, "report", names)) << in;
  EXPECT_FALSE(fs::exists(box.path("out.html"))) << in;
}

TEST(HostileReport, UnreadableInputsNameTheFile) {
  Sandbox box;
  expect_refused(box, box.path("missing.json"), {"missing.json"});
  expect_refused(box, box.mkdir("adir"), {"adir"});
  expect_refused(box, box.write("empty.json", ""), {"empty.json"});
  expect_refused(box, box.write("blank.json", "\n \n"), {"blank.json", "white space"});
  expect_refused(box, box.write("garbage.json", "{\"schema\": \"cairn.bench\", [}"), {"garbage.json", "not JSON"});
  expect_refused(box, box.write("binary.bin", std::string("\x89PNG\r\n\x1a\n\0\0\0", 11)), {"binary.bin"});
  expect_refused(box, box.write("words.txt", "STEP LOSS GRAD_NORM LR\n"), {"words.txt"});
  expect_refused(box, box.write("short.tsv", "1 5.5 1.7 0.1\n2 5.4\n"), {"short.tsv line 2"});
}

TEST(HostileReport, UnknownSchemasAreOneLineListingWhatIsRead) {
  Sandbox box;
  expect_refused(box, box.write("other.json", R"({"schema":"cairn.model","schema_version":1})"),
                 {"other.json", "cairn.model", "cairn.bench"});
  expect_refused(box, box.write("none.json", R"({"collectives":[]})"), {"none.json", "no \"schema\""});
  expect_refused(box, box.write("newer.json", R"({"schema":"cairn.bench","schema_version":99})"),
                 {"newer.json", "schema_version 99"});
  // A hostile schema name is quoted, cut and escaped: still one short line.
  expect_refused(box, box.write("long.json", "{\"schema\":\"" + std::string(100000, 'x') + "\\n\",\"schema_version\":1}"),
                 {"long.json"});
}

TEST(HostileReport, NumbersNoFieldCanHoldAndStringsForNumbersAreRefused) {
  Sandbox box;
  expect_refused(box, box.write("rank.json", R"({"schema":"cairn.pairs","schema_version":2,"participants":[{"rank":1e300}]})"),
                 {"rank.json", "rank"});
  expect_refused(box, box.write("nan.json", R"({"schema":"cairn.bench","schema_version":2,"collectives":[{"name":"a",
      "results":[{"size":8,"out_of_place":{"busbw_gb_s":"NaN"}}]}]})"),
                 {"nan.json", "busbw_gb_s"});
  expect_refused(box, box.write("inf.json", R"({"schema":"cairn.acceptance","schema_version":1,"verdict":"accepted",
      "checks":[{"name":"x","median":"Infinity"}]})"),
                 {"inf.json", "median"});
  expect_refused(box, box.write("step.tsv", "99999999999999999999999 1 1 1\n"), {"step.tsv line 1"});
  // Huge but finite numbers are numbers: drawn, not refused.
  const std::string huge = box.write("huge.json", R"({"schema":"cairn.bench","schema_version":2,"nranks":2,"collectives":[
      {"name":"a","results":[{"size":1.7e308,"out_of_place":{"busbw_gb_s":1.7e308,"wrong":1e300}},
                              {"size":1,"out_of_place":{"busbw_gb_s":-1.7e308}}]}]})");
  const Outcome o = run(box, {.args = {"report", huge, "-o", box.path("huge.html")}});
  EXPECT_TRUE(succeeded(o)) << o.describe();
}

TEST(HostileReport, OutputsThatAreInputsOrCannotBeWrittenAreRefused) {
  Sandbox box;
  const std::string log = box.write("loss.tsv", kLossLog);
  Outcome o = run(box, {.args = {"report", log, "-o", log}});
  EXPECT_TRUE(refused(o, 2, "report", {"loss.tsv"}));
  o = run(box, {.args = {"report", log, "-o", box.path("r.html"), "--markdown", box.path("loss.tsv")}});
  EXPECT_TRUE(refused(o, 2, "report", {"--markdown", "loss.tsv"}));
  o = run(box, {.args = {"report", log, "-o", box.path("same.out"), "--markdown", box.path("same.out")}});
  EXPECT_TRUE(refused(o, 2, "report", {"same.out"}));
  o = run(box, {.args = {"report", log, "-o", box.path("no/such/dir/r.html")}});
  EXPECT_TRUE(refused(o, 2, "report", {"no/such/dir"}));
  o = run(box, {.args = {"report", log}});
  EXPECT_TRUE(refused(o, 2, "report", {"-o"}));
  o = run(box, {.args = {"report", "-o", box.path("r.html")}});
  EXPECT_TRUE(refused(o, 2, "report", {"no results"}));
  // A directory nobody may write into: refused before any input is read.
  box.mkdir("locked");
  box.give_to_nobody();
  ::chmod(box.path("locked").c_str(), 0555);
  o = run(box, {.args = {"report", log, "-o", box.path("locked/r.html")}, .as_nobody = true});
  EXPECT_TRUE(refused(o, 2, "report", {"locked"}));
  EXPECT_FALSE(fs::exists(box.path("locked/r.html")));
}

}  // namespace
}  // namespace cairn::hostile
