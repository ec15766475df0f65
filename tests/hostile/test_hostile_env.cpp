// Cairn's own environment knobs (common/env_knobs.h), swept from the registry itself: each
// integer, seconds or choice knob given values it cannot take stops any command at its start with
// one line naming the variable, whether or not that command reads it. A knob added to the
// registry joins the sweep without a change here. Also: Cairn's launcher variables set
// without CAIRN_RANK are not silently ignored.
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/env_knobs.h"
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

struct KnobCase {
  std::string knob, value, name;
};

void PrintTo(const KnobCase& c, std::ostream* os) { *os << c.knob << "=" << c.value; }

std::vector<KnobCase> knob_cases() {
  std::vector<KnobCase> cases;
  for (const env::Knob& k : env::knobs()) {
    std::vector<std::pair<std::string, std::string>> bad;  // label, value
    if (k.type == env::KnobType::integer) {
      bad = {{"word", "abc"}, {"trailing_junk", "12abc"}, {"fractional", "1.5"}, {"overflow", "99999999999999999999"}};
      if (k.min > std::numeric_limits<std::int64_t>::min()) bad.push_back({"below_min", std::to_string(k.min - 1)});
      if (k.max < std::numeric_limits<std::int64_t>::max()) bad.push_back({"above_max", std::to_string(k.max + 1)});
    } else if (k.type == env::KnobType::seconds) {
      bad = {{"word", "abc"}, {"zero", "0"}, {"negative", "-1"}, {"nan", "nan"}, {"inf", "inf"}};
    } else if (k.type == env::KnobType::choice) {
      // Not a word of its list, one in other case, one with a space after.
      std::string first(k.choices.substr(0, k.choices.find(' ')));
      std::string upper = first;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      bad = {{"unknown_word", "bogus"}, {"other_case", upper}, {"trailing_space", first + " "}};
    }
    for (const auto& [label, value] : bad) cases.push_back({std::string(k.name), value, std::string(k.name) + "_" + label});
  }
  return cases;
}

class MalformedKnob : public ::testing::TestWithParam<KnobCase> {};

TEST_P(MalformedKnob, StopsAnyCommandNamingTheVariable) {
  const KnobCase& c = GetParam();
  Sandbox box;
  // A command that reads none of the knobs itself.
  const Outcome o =
      run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2"}, .env = {c.knob + "=" + c.value}});
  EXPECT_TRUE(refused(o, 2, "topo", {c.knob, "docs/environment.md"}));
}

INSTANTIATE_TEST_SUITE_P(Registry, MalformedKnob, ::testing::ValuesIn(knob_cases()),
                         [](const ::testing::TestParamInfo<KnobCase>& p) { return p.param.name; });

TEST(HostileEnv, CairnLauncherVariablesWithoutCairnRankAreRefused) {
  for (const std::string var :
       {"CAIRN_WORLD_SIZE=4", "CAIRN_LOCAL_RANK=1", "CAIRN_LOCAL_SIZE=2", "CAIRN_MASTER_ADDR=10.0.0.1",
        "CAIRN_MASTER_PORT=29400"}) {
    Sandbox box;
    const Outcome o = run(box, {.args = {"bench", "-b", "1K", "-e", "1K", "-n", "1", "-w", "0"}, .env = {var}});
    EXPECT_TRUE(refused(o, 2, "bench", {var.substr(0, var.find('=')), "CAIRN_RANK"})) << var;
  }
}

}  // namespace
}  // namespace cairn::hostile
