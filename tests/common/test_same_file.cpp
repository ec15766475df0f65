// common/same_file.h: an output that is one of the inputs, by any name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/same_file.h"
#include "tests/support/error_of.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("cairn_same_file_" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
  std::string at(const std::string& name) const { return (path / name).string(); }
};

TEST(SameFile, HardLinksSymlinksAndOtherSpellingsAreTheSameFile) {
  Dir d;
  std::ofstream(d.at("a")) << "a";
  std::ofstream(d.at("b")) << "b";
  fs::create_hard_link(d.at("a"), d.at("hard"));
  fs::create_symlink("a", d.at("soft"));
  EXPECT_TRUE(same_existing_file(d.at("a"), d.at("a")));
  EXPECT_TRUE(same_existing_file(d.at("a"), d.at("hard")));
  EXPECT_TRUE(same_existing_file(d.at("soft"), d.at("a")));
  EXPECT_TRUE(same_existing_file(d.at("a"), (d.path / "." / "a").string()));
  EXPECT_FALSE(same_existing_file(d.at("a"), d.at("b")));
  EXPECT_FALSE(same_existing_file(d.at("a"), d.at("missing")));
  EXPECT_FALSE(same_existing_file(d.at("missing"), d.at("missing")));  // nothing to lose yet
}

TEST(SameFile, TheRefusalNamesBothFlagsAndPaths) {
  Dir d;
  std::ofstream(d.at("in")) << "x";
  fs::create_hard_link(d.at("in"), d.at("out"));
  const std::string msg = test::error_of([&] {
    refuse_output_over_inputs({"--loss-log", d.at("out")}, {{"--preset", ""}, {"--data", d.at("in")}});
  });
  EXPECT_NE(msg.find("--loss-log " + d.at("out") + " is the same file as --data " + d.at("in")), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("give --loss-log another path"), std::string::npos) << msg;
  EXPECT_NO_THROW(refuse_output_over_inputs({"--loss-log", d.at("new")}, {{"--data", d.at("in")}}));
  EXPECT_NO_THROW(refuse_output_over_inputs({"--loss-log", ""}, {{"--data", d.at("in")}}));
}

}  // namespace
}  // namespace cairn
