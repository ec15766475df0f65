// common/checked_output.h: what goes through the buffer arrives whole, and the reason of
// the first failed write is kept for finish().
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <ostream>
#include <string>

#include "common/checked_output.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

TEST(CheckedOutput, EverythingWrittenArrivesAndFinishReportsSuccess) {
  const fs::path p = fs::temp_directory_path() / ("cairn_checked_output_" + std::to_string(::getpid()));
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::string expected;
  {
    CheckedOutput buf(fd);
    std::ostream out(&buf);
    for (int i = 0; i < 20000; ++i) {  // several times the buffer
      out << "line " << i << '\n';
      expected += "line " + std::to_string(i) + "\n";
    }
    out << std::string(200000, 'x');
    expected += std::string(200000, 'x');
    EXPECT_EQ(buf.finish(), 0);
  }
  ::close(fd);
  EXPECT_EQ(fs::file_size(p), expected.size());
  fs::remove(p);
}

TEST(CheckedOutput, AFailedWriteKeepsItsReason) {
  const fs::path dir = fs::temp_directory_path() / ("cairn_checked_full_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path full = dir / "full";
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "mknod is not allowed here";
  }
  const int fd = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    CheckedOutput buf(fd);
    std::ostream out(&buf);
    out << std::string(100000, 'x');  // fails while writing, long before the end
    out << "more";
    EXPECT_FALSE(out.good());
    EXPECT_EQ(buf.finish(), ENOSPC);
    EXPECT_EQ(buf.finish(), ENOSPC);  // the first reason stays
  }
  ::close(fd);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cairn
