#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <vector>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/json_io.h"
#include "common/text_file.h"
#include "tests/support/error_of.h"

namespace {

// One directory for this test process, removed when it exits.
std::string temp_path(const std::string& name) {
  static const struct Scratch {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("cairn_test_common_" + std::to_string(::getpid()));
    Scratch() { std::filesystem::create_directories(dir); }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } scratch;
  return (scratch.dir / name).string();
}

using ::cairn::test::error_of;

TEST(JsonIo, MissingFileNamesThePath) {
  auto msg = error_of([] { cairn::read_json_file("/nonexistent/x.json"); });
  EXPECT_NE(msg.find("/nonexistent/x.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no such file"), std::string::npos) << msg;
}

TEST(JsonIo, EmptyAndTruncatedFilesAreErrors) {
  auto p = temp_path("empty.json");
  std::ofstream(p).close();
  EXPECT_NE(error_of([&] { cairn::read_json_file(p); }).find("empty"), std::string::npos);
  std::ofstream(p) << "{\"schema\": \"cairn.x\", ";
  auto msg = error_of([&] { cairn::read_json_file(p); });
  EXPECT_NE(msg.find("malformed JSON"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

// A number beyond a double is nlohmann's out_of_range, not parse_error (the probe JSON
// fuzzer's find): still a one-line error naming the source.
TEST(JsonIo, NumberTooLargeIsAnErrorNotACrash) {
  const auto msg = error_of([] { cairn::parse_json("7777777e977777", "huge.json"); });
  EXPECT_NE(msg.find("huge.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed JSON"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

// nlohmann's get<int>() static_casts: 1e119 into an integer was undefined behaviour (the
// tune-inputs fuzzer's find in a journal's "rounds") and 4294967297 wrapped to 1. Integer
// fields take whole numbers in range only, also inside vectors and string maps.
TEST(JsonIo, IntegerFieldsTakeWholeNumbersInRangeOnly) {
  const auto doc = cairn::parse_json(
      R"({"huge": 1.04844e+119, "wraps": 4294967297, "neg": -1, "half": 1.5, "yes": true, "text": "8",
          "k": 1e3, "big": 18446744073709551615, "minus": -9223372036854775808,
          "rounds": {"explore": 3, "final": 1e300}, "list": [1, 2.5]})",
      "f.json");
  for (const char* key : {"huge", "wraps", "half", "yes", "text"}) {
    const auto msg = error_of([&] { cairn::json_field<int>(doc, key, "f.json"); });
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
    EXPECT_NE(msg.find("f.json"), std::string::npos) << msg;
  }
  EXPECT_THROW(cairn::json_field<std::uint64_t>(doc, "neg", "f.json"), cairn::Error);
  EXPECT_THROW(cairn::json_field<std::size_t>(doc, "huge", "f.json"), cairn::Error);
  EXPECT_THROW(cairn::json_field<std::int64_t>(doc, "big", "f.json"), cairn::Error);
  EXPECT_THROW((cairn::json_field<std::map<std::string, int>>(doc, "rounds", "f.json")), cairn::Error);
  EXPECT_THROW(cairn::json_field<std::vector<std::int64_t>>(doc, "list", "f.json"), cairn::Error);
  EXPECT_EQ(cairn::json_field<int>(doc, "k", "f.json"), 1000);
  EXPECT_EQ(cairn::json_field<int>(doc, "neg", "f.json"), -1);
  EXPECT_EQ(cairn::json_field<std::uint64_t>(doc, "big", "f.json"), 18446744073709551615ULL);
  EXPECT_EQ(cairn::json_field<std::int64_t>(doc, "minus", "f.json"), INT64_MIN);
  EXPECT_EQ(cairn::json_field<std::uint64_t>(doc, "wraps", "f.json"), 4294967297ULL);
  EXPECT_EQ(cairn::json_field<double>(doc, "half", "f.json"), 1.5);
  EXPECT_TRUE(cairn::json_field<bool>(doc, "yes", "f.json"));
}

TEST(JsonIo, SchemaKindAndVersionAreChecked) {
  auto doc = cairn::with_schema({{"a", 1}}, "cairn.probe", 1);
  EXPECT_NO_THROW(cairn::require_schema(doc, "cairn.probe", 1, "f.json"));
  EXPECT_NE(error_of([&] { cairn::require_schema(doc, "cairn.probe", 2, "f.json"); })
                .find("schema_version 1 is not supported"),
            std::string::npos);
  EXPECT_NE(error_of([&] { cairn::require_schema(doc, "cairn.topo", 1, "f.json"); })
                .find("expected \"cairn.topo\""),
            std::string::npos);
  EXPECT_THROW(cairn::require_schema(cairn::Json::array(), "cairn.probe", 1, "f"), cairn::Error);
}

TEST(TextFile, AtomicWriteReplacesWholeFile) {
  auto p = temp_path("atomic.txt");
  cairn::write_file_atomically(p, "first");
  cairn::write_file_atomically(p, "second");
  EXPECT_EQ(cairn::read_text_file(p), "second");
  EXPECT_THROW(cairn::write_file_atomically("/nonexistent-dir/x", "y"), cairn::Error);
}

}  // namespace
