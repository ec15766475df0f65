// common/atomic_file.h: the target is the old file until commit(), the whole new one
// after; an abandoned writer leaves no temporary file; errors name the target.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "common/text_file.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path = fs::temp_directory_path() / ("cairn_atomic_" + std::to_string(::getpid()));
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
};

TEST(AtomicFile, TargetIsOldUntilCommitAndNewAfter) {
  for (auto sync : {AtomicFile::Sync::durable, AtomicFile::Sync::none}) {
    Dir d;
    const std::string target = (d.path / "f").string();
    write_file_atomically(target, "old");
    {
      AtomicFile f(target, sync);
      f.write("new ", 4);
      EXPECT_EQ(read_text_file(target), "old");
      EXPECT_TRUE(fs::exists(f.temp_path()));
      f.write("contents", 8);
      f.commit();
      EXPECT_FALSE(fs::exists(f.temp_path()));
    }
    EXPECT_EQ(read_text_file(target), "new contents");
  }
}

TEST(AtomicFile, AbandonedWriteLeavesTheTargetAndNoTemporaryFile) {
  Dir d;
  const std::string target = (d.path / "f").string();
  write_file_atomically(target, "old");
  std::string tmp;
  {
    AtomicFile f(target);
    f.write("half", 4);
    tmp = f.temp_path();
  }  // e.g. an exception before commit()
  EXPECT_EQ(read_text_file(target), "old");
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 1);
}

TEST(AtomicFile, ErrorsNameTheTarget) {
  try {
    AtomicFile f("/nonexistent-dir/x.ckpt");
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.ckpt: cannot write"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn
