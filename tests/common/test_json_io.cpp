#include <filesystem>
#include <fstream>
#include <functional>
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
