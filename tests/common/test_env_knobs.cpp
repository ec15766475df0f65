// The environment-knob registry: docs/environment.md lists exactly its knobs, every read
// rejects a malformed value with one line naming the variable, and results record the
// NCCL_*, UCX_* and knob variables without ever a secret's value.
#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "common/env_knobs.h"
#include "common/text_file.h"
#include "tests/support/error_of.h"

namespace cairn::env {
namespace {

using test::error_of;

TEST(EnvKnobs, DocsListExactlyTheRegistryInItsOrder) {
  std::vector<std::string> want, got;
  for (const Knob& k : knobs())
    want.push_back("| `" + std::string(k.name) + "` | " + expected_form(k) + " | " + std::string(k.default_value) +
                   " | " + std::string(k.meaning) + " |");
  std::istringstream doc(read_text_file(std::string(CAIRN_SOURCE_DIR) + "/docs/environment.md"));
  for (std::string line; std::getline(doc, line);)
    if (line.starts_with("| `CAIRN_")) got.push_back(line);
  EXPECT_EQ(got, want);
}

TEST(EnvKnobs, RegistryIsSortedAndEveryKnobIsCairns) {
  auto all = knobs();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const Knob& a, const Knob& b) { return a.name < b.name; }));
  for (const Knob& k : all) {
    EXPECT_TRUE(k.name.starts_with("CAIRN_")) << k.name;
    EXPECT_FALSE(k.meaning.empty()) << k.name;
    EXPECT_FALSE(k.default_value.empty()) << k.name;
    if (k.type == KnobType::integer) {
      EXPECT_LT(k.min, k.max) << k.name;
    }
    EXPECT_EQ(k.type == KnobType::choice, !k.choices.empty()) << k.name;  // a choice lists its words
  }
}

TEST(EnvKnobs, AChoiceTakesOneOfItsWordsAndNothingElse) {
  EXPECT_EQ(choice("CAIRN_ATTENTION", Vars{{"CAIRN_ATTENTION", "cairn"}}), "cairn");
  EXPECT_EQ(choice("CAIRN_ATTENTION", Vars{{"CAIRN_ATTENTION", "cudnn"}}), "cudnn");
  EXPECT_EQ(choice("CAIRN_ATTENTION", Vars{}), std::nullopt);
  for (const char* bad : {"CUDNN", "cud", "cudnn ", "cudnn cairn", "x"}) {
    const std::string e = error_of([&] { choice("CAIRN_ATTENTION", Vars{{"CAIRN_ATTENTION", bad}}); });
    EXPECT_NE(e.find("expected one of: cudnn, cairn"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(error_of([&] { check_all(Vars{{"CAIRN_ATTENTION", bad}}); }).find("CAIRN_ATTENTION"), std::string::npos);
  }
}

TEST(EnvKnobs, TypedReadsTakeWellFormedValues) {
  const Vars vars = {{"CAIRN_CPU_THREADS", "8"}, {"CAIRN_STORE_TIMEOUT_S", "2.5"}, {"CAIRN_JOB_ID", "j1"},
                     {"CAIRN_MASTER_PORT", ""}};
  EXPECT_EQ(integer("CAIRN_CPU_THREADS", vars), 8);
  EXPECT_EQ(seconds("CAIRN_STORE_TIMEOUT_S", vars), 2.5);
  EXPECT_EQ(text("CAIRN_JOB_ID", vars), "j1");
  // Unset and empty both mean "not given": the caller's default applies.
  EXPECT_EQ(integer("CAIRN_MASTER_PORT", vars), std::nullopt);
  EXPECT_EQ(integer("CAIRN_UCX_SPIN_US", vars), std::nullopt);
}

TEST(EnvKnobs, MalformedValuesAreOneLineNamingTheVariableAndTheForm) {
  const struct {
    const char* name;
    const char* value;
    const char* form;
  } cases[] = {{"CAIRN_CPU_THREADS", "eight", "integer in [1, 1024]"},
               {"CAIRN_CPU_THREADS", "0", "integer in [1, 1024]"},
               {"CAIRN_CPU_THREADS", "4x", "integer in [1, 1024]"},
               {"CAIRN_MASTER_PORT", "70000", "integer in [1, 65535]"},
               {"CAIRN_UCX_SPIN_US", "-1", "integer in [0, 1073741824]"},
               {"CAIRN_STORE_TIMEOUT_S", "0", "positive number of seconds"},
               {"CAIRN_STORE_TIMEOUT_S", "10s", "positive number of seconds"},
               {"CAIRN_STORE_TIMEOUT_S", "nan", "positive number of seconds"}};
  for (const auto& c : cases) {
    const Vars vars = {{c.name, c.value}};
    const std::string msg = error_of([&] {
      if (knob(c.name).type == KnobType::seconds) seconds(c.name, vars);
      else integer(c.name, vars);
    });
    EXPECT_EQ(msg, std::string(c.name) + "='" + c.value + "' is malformed: expected " + c.form +
                       " (docs/environment.md); fix it or unset it");
  }
}

TEST(EnvKnobs, UndeclaredNamesAndWrongTypesAreRefused) {
  EXPECT_NE(error_of([] { integer("CAIRN_NO_SUCH_KNOB", Vars{}); }).find("not a declared environment knob"),
            std::string::npos);
  EXPECT_NE(error_of([] { text("CAIRN_CPU_THREADS", Vars{}); }).find("integer in [1, 1024]"), std::string::npos);
}

TEST(EnvKnobs, ProcessEnvironmentIsReadToo) {
  ::setenv("CAIRN_UCX_SPIN_US", "25", 1);
  EXPECT_EQ(integer("CAIRN_UCX_SPIN_US"), 25);
  EXPECT_EQ(process_vars().at("CAIRN_UCX_SPIN_US"), "25");
  ::setenv("CAIRN_UCX_SPIN_US", "soon", 1);
  EXPECT_NE(error_of([] { integer("CAIRN_UCX_SPIN_US"); }).find("CAIRN_UCX_SPIN_US='soon'"), std::string::npos);
  ::unsetenv("CAIRN_UCX_SPIN_US");
  EXPECT_EQ(integer("CAIRN_UCX_SPIN_US"), std::nullopt);
}

TEST(EnvKnobs, RecordedEnvironmentKeepsNcclUcxAndKnobsButNoSecret) {
  const Vars vars = {{"NCCL_ALGO", "Ring"},  {"UCX_TLS", "tcp"},         {"CAIRN_SECRET", "hunter2"},
                     {"CAIRN_RANK", "3"},    {"HOME", "/home/someone"},  {"CAIRN_BUILD_DIR", "b"},
                     {"NCCLX", "no"},        {"CAIRN_JOB_ID", ""}};
  const Vars want = {{"CAIRN_RANK", "3"}, {"CAIRN_SECRET", "(set)"}, {"NCCL_ALGO", "Ring"}, {"UCX_TLS", "tcp"}};
  EXPECT_EQ(recorded_environment(vars), want);
}

}  // namespace
}  // namespace cairn::env
