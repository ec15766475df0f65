// Hostile cases of cairn.model files given to `cairn train --preset FILE`: every
// dimension zero, negative, fractional, a string, 2^62, 1e12 or missing; heads that do
// not divide the width; KV heads that do not divide the heads; unknown presets and files
// that are not JSON. Each is one line naming the file, the field and its range.
#include <nlohmann/json.hpp>

#include "tests/hostile/train_args.h"

namespace cairn::hostile {
namespace {

using nlohmann::json;

// The tiny preset as a cairn.model file.
json tiny_model() {
  return {{"schema", "cairn.model"}, {"schema_version", 1}, {"name", "custom"}, {"n_layers", 2},
          {"d_model", 64},           {"n_heads", 4},         {"n_kv_heads", 2},  {"ffn_dim", 192},
          {"vocab", 256},            {"context", 64},        {"mlp", "swiglu"},  {"qk_norm", true},
          {"rope_theta", 500000.0},  {"norm_eps", 1e-5}};
}

Outcome train_with_model(const Sandbox& box, const std::string& text) {
  const std::string file = box.write("model.json", text);
  return run(box, {.args = train_args({{"--preset", file}}), .timeout = std::chrono::seconds(10)});
}

const char* const kDimensions[] = {"n_layers", "d_model", "n_heads", "n_kv_heads", "ffn_dim", "vocab", "context"};

struct BadField {
  std::string field;
  std::string value;  // JSON text, or empty: the field left out
};

void PrintTo(const BadField& b, std::ostream* os) { *os << b.field << " = " << (b.value.empty() ? "(missing)" : b.value); }

std::vector<BadField> every_bad_dimension() {
  std::vector<BadField> cases;
  for (const char* f : kDimensions)
    for (const char* v : {"0", "-1", "1.5", "\"8\"", "4611686018427387904", "1e12", ""}) cases.push_back({f, v});
  return cases;
}

class HostileModelField : public ::testing::TestWithParam<BadField> {};

TEST_P(HostileModelField, IsRefusedNamingTheFieldAndItsRange) {
  const BadField& b = GetParam();
  json model = tiny_model();
  if (b.value.empty())
    model.erase(b.field);
  else
    model[b.field] = json::parse(b.value);
  Sandbox box;
  const Outcome o = train_with_model(box, model.dump());
  if (b.value.empty())
    EXPECT_TRUE(refused(o, 2, "train", {"model.json", "missing field \"" + b.field + "\""}));
  else
    EXPECT_TRUE(refused(o, 2, "train", {"model.json", "\"" + b.field + "\"", "from 1 to"}));
}

INSTANTIATE_TEST_SUITE_P(EveryDimension, HostileModelField, ::testing::ValuesIn(every_bad_dimension()));

TEST(HostileModelFile, HeadsThatDoNotDivideTheWidthAreRefused) {
  Sandbox box;
  json model = tiny_model();
  model["n_heads"] = 3;
  model["n_kv_heads"] = 1;
  EXPECT_TRUE(refused(train_with_model(box, model.dump()), 2, "train", {"model.json", "divisible by n_heads (3)"}));
}

TEST(HostileModelFile, KvHeadsThatDoNotDivideTheHeadsAreRefused) {
  Sandbox box;
  json model = tiny_model();
  model["n_kv_heads"] = 3;
  EXPECT_TRUE(refused(train_with_model(box, model.dump()), 2, "train", {"model.json", "divisible by n_kv_heads (3)"}));
}

TEST(HostileModelFile, ANameTooLongToEchoIsRefused) {
  Sandbox box;
  json model = tiny_model();
  model["name"] = std::string(100000, 'x');
  EXPECT_TRUE(refused(train_with_model(box, model.dump()), 2, "train", {"model.json", "\"name\"", "1 to 64"}));
}

TEST(HostileModelFile, AnUnknownPresetListsThePresets) {
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{"--preset", "apertus-9000b"}})});
  EXPECT_TRUE(refused(o, 2, "train", {"apertus-9000b", "tiny", "apertus-70b", "cairn.model JSON file"}));
}

TEST(HostileModelFile, AFileThatIsNotJsonIsRefused) {
  Sandbox box;
  EXPECT_TRUE(refused(train_with_model(box, "{\"schema\": \"cairn.model\", "), 2, "train", {"model.json", "malformed JSON"}));
}

}  // namespace
}  // namespace cairn::hostile
